"""Issue 18: the provider seam, the `anthropic` provider and routes with fallback, end to end.

Every gateway here runs from a configuration file with `[[upstreams]]` and `[[routes]]` (no
`--simulate`): the upstreams are `nexus-claude-api simulate` processes, whose Converse face plays
AI Nexus and whose Anthropic face plays an Anthropic-compatible gateway (strict like the real
API: it refuses thinking blocks the Converse face signed, and vice versa). Faults come from the
simulators' `--fault` flag and `POST /_sim/fault`.
"""

from __future__ import annotations

import json

import anthropic
import pytest

from gateway_testkit import BASH_TOOL, explain, run_claude, user
from prod_kit import HTTP, clean_env, fresh, post, sim_stats, stream, wait_until, write_config

BACKUP_KEY = "backup-secret-0123456789abcdef"
NEXUS_KEY = "nexus-secret-0123456789abcdef"
THINKING = {"type": "enabled", "budget_tokens": 1024}


def config(nexus_url: str | None, backup_url: str, *, routes: str | None = None, extra: str = "") -> str:
    upstreams = ""
    if nexus_url:
        upstreams += f"""
[[upstreams]]
name = "nexus"
kind = "converse"
endpoint = "{nexus_url}"
auth = "bearer"
key_env = "NEXUS_API_KEY"
"""
    upstreams += f"""
[[upstreams]]
name = "backup"
kind = "anthropic"
endpoint = "{backup_url}"
auth = "x-api-key"
key_env = "BACKUP_API_KEY"
"""
    if routes is None and nexus_url:
        routes = """
[[routes]]
model = "claude-*"
targets = ["nexus", "backup"]
"""
    return extra + upstreams + (routes or "")


def start(servers, tmp_path, text: str, *flags: str):
    path = write_config(tmp_path, text)
    env = clean_env(NEXUS_API_KEY=NEXUS_KEY, BACKUP_API_KEY=BACKUP_KEY)
    return servers.gateway("--config", str(path), "--log-format", "json", *flags, env=env, simulate=False)


def sdk(gw) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="sk-test", max_retries=0, timeout=60.0)


def requests(sim) -> dict:
    stats = sim_stats(sim.url)
    return {"converse": stats.get("converse_requests", 0), "anthropic": stats.get("anthropic_requests", 0)}


# -- the anthropic provider ---------------------------------------------------------------------

@pytest.fixture
def anthropic_only(servers, tmp_path):
    sim = servers.simulator()
    gw = start(servers, tmp_path, config(None, sim.url))
    return gw, sim


def test_sdk_text_and_streaming_through_an_anthropic_upstream(anthropic_only):
    gw, sim = anthropic_only
    client = sdk(gw)
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=256, messages=user("hello anthropic upstream"))
    assert raw.headers["x-nexus-upstream"] == "backup"
    message = raw.parse()
    assert message.model == "claude-sonnet-4-6"
    assert "hello anthropic upstream" in message.content[0].text
    assert message.usage.input_tokens > 0
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=256,
                                messages=user("sim:long:30")) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert len(text.split()) == 30
    assert final.stop_reason == "end_turn" and final.usage.output_tokens > 0
    assert requests(sim) == {"converse": 0, "anthropic": 2}


def test_tools_and_a_thinking_round_trip_keep_the_upstreams_signatures(anthropic_only):
    gw, _ = anthropic_only
    client = sdk(gw)
    first = client.messages.create(model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING,
                                   tools=[BASH_TOOL], messages=user("sim:bash_seq:echo a;;echo b"))
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    history = [{"role": "user", "content": "sim:bash_seq:echo a;;echo b"},
               {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": first.content[1].id,
                                             "content": "a"}]}]
    second = client.messages.create(model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING,
                                    tools=[BASH_TOOL], messages=history)
    # The signature the Anthropic face made came back unchanged: it accepted the history.
    assert second.content[-1].type == "tool_use"


def test_count_tokens_is_forwarded(anthropic_only):
    gw, _ = anthropic_only
    r = HTTP.post(f"{gw.url}/v1/messages/count_tokens",
                  headers={"x-api-key": "sk", "anthropic-version": "2023-06-01"},
                  json={"model": "claude-sonnet-4-6", "messages": user("count me please")})
    assert r.status_code == 200, r.text
    assert r.headers["x-nexus-token-count"] == "exact" and r.headers["x-nexus-upstream"] == "backup"
    assert r.json()["input_tokens"] > 0


def test_upstream_errors_stay_anthropic_shaped(anthropic_only):
    gw, _ = anthropic_only
    client = sdk(gw)
    with pytest.raises(anthropic.NotFoundError) as e:
        client.messages.create(model="claude-nonexistent-9", max_tokens=64, messages=user("hi"))
    assert e.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=[])
    assert e.value.body["type"] == "error"
    r = post(gw.url, fresh("sim:throttle:1"), model="claude-sonnet-4-6")
    # The gateway retried the 429 once (the route has one target) and got the answer.
    assert r.status_code == 200 and r.headers["x-nexus-retries"] == "1", r.text


def test_the_key_goes_upstream_and_never_into_output(servers, anthropic_only):
    gw, _ = anthropic_only
    assert post(gw.url, "hi", model="claude-sonnet-4-6").status_code == 200
    health = HTTP.get(f"{gw.url}/health").json()
    assert [u["name"] for u in health["upstreams"]] == ["backup"]
    assert health["upstreams"][0]["key_configured"] is True
    everything = servers.outputs() + json.dumps(health)
    assert BACKUP_KEY not in everything


def test_claude_code_through_an_anthropic_upstream(claude_bin, anthropic_only, claude_home):
    gw, sim = anthropic_only
    commands = ["echo via-anthropic-one", "echo via-anthropic-two"]
    p, result = run_claude(claude_bin, gw, claude_home, [
        "-p", "Run these. sim:bash_seq:" + ";;".join(commands), "--output-format", "json",
        "--allowedTools", "Bash", "--max-turns", "4", "--model", "claude-sonnet-4-6"],
        {"MAX_THINKING_TOKENS": "2048"}, timeout=240)
    assert p.returncode == 0, explain(p, result)
    assert result.get("is_error") is False, explain(p, result)
    assert "via-anthropic-one | via-anthropic-two" in result["result"], explain(p, result)
    # Both thinking blocks came back signed as the Anthropic face signed them.
    assert "(signed thinking blocks in the history: 2)" in result["result"], explain(p, result)
    assert requests(sim)["converse"] == 0


# -- fallback -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["throttle", "overloaded", "error:internal"])
def test_a_failing_first_target_falls_back_before_the_first_byte(servers, tmp_path, fault):
    nexus = servers.simulator("--fault", fault)
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url))
    r = post(gw.url, "json please")
    assert r.status_code == 200, r.text
    assert r.headers["x-nexus-upstream"] == "backup" and r.json()["model"] == "claude-sonnet-4-6"
    s = stream(gw.url, "sim:long:8 stream please")
    assert s.status == 200 and s.names[-1] == "message_stop", s.events
    assert s.headers["x-nexus-upstream"] == "backup"
    assert s.events[0][1]["message"]["model"] == "claude-sonnet-4-6"
    assert requests(backup)["anthropic"] == 2
    assert wait_until(lambda: len([r for r in gw.json_logs() if r.get("msg") == "request done"]) == 2, 5)
    line = [r for r in gw.json_logs() if r.get("msg") == "request done"][-1]
    assert line["upstream"] == "backup" and line["fallbacks"] == 1, line
    assert any(r.get("msg") == "falling back to the next target" for r in gw.json_logs())


def test_a_refused_connection_falls_back(servers, tmp_path):
    backup = servers.simulator()
    gw = start(servers, tmp_path, config("http://127.0.0.1:1", backup.url))
    r = post(gw.url, "anyone there?")
    assert r.status_code == 200 and r.headers["x-nexus-upstream"] == "backup", r.text
    s = stream(gw.url, "sim:long:5 anyone streaming?")
    assert s.status == 200 and s.headers["x-nexus-upstream"] == "backup" and s.names[-1] == "message_stop"


def test_a_first_byte_timeout_falls_back(servers, tmp_path):
    nexus = servers.simulator("--fault", "slow:5")
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url), "--first-byte-timeout", "1")
    s = stream(gw.url, "sim:long:5 slow primary")
    assert s.status == 200 and s.headers["x-nexus-upstream"] == "backup"
    assert s.elapsed < 4.5
    r = post(gw.url, "slow primary, whole answer")
    assert r.status_code == 200 and r.headers["x-nexus-upstream"] == "backup", r.text


def test_a_stream_cut_mid_way_ends_with_an_error_event_and_is_never_replayed(servers, tmp_path):
    nexus = servers.simulator("--fault", "cut")
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url))
    s = stream(gw.url, "sim:long:40 cut me")
    assert s.status == 200 and s.headers["x-nexus-upstream"] == "nexus"
    assert "content_block_delta" in s.names
    assert s.names[-1] == "error", s.names
    assert requests(backup)["anthropic"] == 0


def test_a_failing_target_cools_down_and_the_route_skips_it(servers, tmp_path):
    nexus = servers.simulator("--fault", "throttle")
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url))
    for _ in range(3):
        assert post(gw.url, "cool it").headers["x-nexus-upstream"] == "backup"
    health = HTTP.get(f"{gw.url}/health").json()
    target = next(t for t in health["targets"] if t["target"] == "nexus:claude-sonnet-4.6")
    assert target["status"] == "cooling down", health
    assert "rate_limit_error" in target["last_error"]
    before = requests(nexus)["converse"]
    # Cooling down: requests go straight to the backup, the primary sees none.
    HTTP.post(f"{nexus.url}/_sim/fault", json={"fault": None})
    r = post(gw.url, "skip the primary")
    assert r.status_code == 200 and r.headers["x-nexus-upstream"] == "backup"
    assert r.headers["x-nexus-retries"] == "0"
    assert requests(nexus)["converse"] == before


def test_fallback_takes_out_thinking_the_primary_signed(servers, tmp_path):
    """A conversation started on the primary (Converse face signatures) falls back to the
    Anthropic face, which refuses those signatures: the gateway sends the history without them."""
    nexus = servers.simulator()
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url))
    client = sdk(gw)
    first = client.messages.create(model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING,
                                   messages=user("sim:thinking think first"))
    assert first.content[0].type == "thinking"
    HTTP.post(f"{nexus.url}/_sim/fault", json={"fault": "overloaded"})
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING, messages=[
            {"role": "user", "content": "sim:thinking think first"},
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": "sim:echo and then"}])
    assert raw.headers["x-nexus-upstream"] == "backup"
    assert raw.parse().content[-1].text == "sim:echo and then"
    # Log lines are written by a thread of their own: wait for the notice.
    assert wait_until(lambda: any("signed thinking" in r.get("msg", "") for r in gw.json_logs()), 5), gw.output


def test_an_upstream_that_refuses_anothers_signature_gets_the_history_without_it(servers, tmp_path):
    """The other way round: the backup served a turn during an outage; the primary is back and
    refuses the backup's signature, so the gateway retries once without signed thinking."""
    nexus = servers.simulator("--fault", "overloaded")
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url))
    client = sdk(gw)
    first = client.messages.create(model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING,
                                   messages=user("sim:thinking during the outage"))
    HTTP.post(f"{nexus.url}/_sim/fault", json={"fault": None})
    gw2 = start(servers, tmp_path, config(nexus.url, backup.url))  # a fresh gateway: no cooldown
    raw = sdk(gw2).messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING, messages=[
            {"role": "user", "content": "sim:thinking during the outage"},
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": "sim:echo after it"}])
    assert raw.headers["x-nexus-upstream"] == "nexus"
    assert raw.parse().content[-1].text == "sim:echo after it"


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_a_long_outage_keeps_the_thinking_the_fallback_signed(servers, tmp_path, streamed):
    """While the primary is down the backup serves a whole tool loop: its own signatures stay in
    the history (the gateway knows who signed what, from JSON answers and from streams alike), so
    thinking stays on and is accepted."""
    nexus = servers.simulator("--fault", "overloaded")
    backup = servers.simulator()
    gw = start(servers, tmp_path, config(nexus.url, backup.url))
    client = sdk(gw)
    prompt = "sim:bash_seq:echo one;;echo two"
    if streamed:
        with client.messages.stream(model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING,
                                    tools=[BASH_TOOL], messages=user(prompt)) as s:
            first = s.get_final_message()
    else:
        first = client.messages.create(model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING,
                                       tools=[BASH_TOOL], messages=user(prompt))
    assert [b.type for b in first.content] == ["thinking", "tool_use"]
    raw = client.messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=2048, thinking=THINKING, tools=[BASH_TOOL], messages=[
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": first.content[1].id,
                                          "content": "one"}]}])
    assert raw.headers["x-nexus-upstream"] == "backup"
    second = raw.parse()
    # Thinking stayed on: the step's answer starts with a thinking block again.
    assert [b.type for b in second.content] == ["thinking", "tool_use"], second.content
    # Only the attempt on the primary (which would refuse the backup's signature) went without it.
    def notes():
        return [r["msg"] for r in gw.json_logs() if "signed thinking" in r.get("msg", "")]
    assert wait_until(notes, 5) and all("upstream 'nexus'" in n for n in notes()), notes()


def test_serve_simulate_serves_every_configured_upstream(servers, tmp_path):
    path = write_config(tmp_path, config("https://nexus.invalid", "https://backup.invalid"))
    gw = servers.gateway("--config", str(path), env=clean_env())
    r = post(gw.url, "simulated routes")
    assert r.status_code == 200 and r.headers["x-nexus-upstream"] == "nexus", r.text
