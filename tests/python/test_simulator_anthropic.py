"""The simulator's Anthropic face (`/v1/messages`, `/v1/messages/count_tokens`, `/v1/models`)
driven by the official `anthropic` SDK pointed directly at `nexus-claude-api simulate`: answers,
tools, thinking round trips, streaming, count_tokens, errors as the SDK's exception classes, and
the process-level fault knobs (`--fault`, `POST /_sim/fault`, `/_sim/stats`)."""

from __future__ import annotations

import time

import anthropic
import httpx
import pytest

from prod_kit import fresh

MODEL = "claude-sonnet-4-6"
BASH = {
    "name": "Bash",
    "description": "Run a shell command",
    "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
}


def client_for(proc, **kw) -> anthropic.Anthropic:
    kw.setdefault("api_key", "sim-key")
    return anthropic.Anthropic(base_url=proc.url, max_retries=0, timeout=30, **kw)


@pytest.fixture(scope="module")
def sim(nexus_bin):
    from prod_kit import Servers

    servers = Servers(nexus_bin)
    yield servers.simulator()
    servers.stop_all()


@pytest.fixture
def client(sim):
    return client_for(sim)


def stats(proc) -> dict:
    return httpx.get(f"{proc.url}/_sim/stats", timeout=5).json()


# --- answers ---------------------------------------------------------------------------------


def test_text_answer(client):
    msg = client.messages.create(model=MODEL, max_tokens=256, messages=[{"role": "user", "content": "hello there"}])
    assert msg.id.startswith("msg_")
    assert msg.model == MODEL and msg.role == "assistant" and msg.stop_reason == "end_turn"
    assert msg.content[0].type == "text"
    assert msg.content[0].text == "Hello from the AI Nexus simulator. You said: hello there"
    assert msg.usage.input_tokens > 0 and msg.usage.output_tokens > 0
    assert msg.usage.cache_read_input_tokens == 0 and msg.usage.cache_creation_input_tokens == 0


def test_bearer_auth(sim):
    c = anthropic.Anthropic(base_url=sim.url, api_key=None, auth_token="sim-token", max_retries=0)
    msg = c.messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.stop_reason == "end_turn"


def test_models_list(client):
    ids = [m.id for m in client.models.list()]
    assert "claude-sonnet-4-6" in ids and "claude-opus-4-6" in ids and "claude-haiku-4-5-20251001" in ids
    assert "claude-sonnet-4.6" not in ids


def test_tool_loop(client):
    first = client.messages.create(
        model=MODEL, max_tokens=512, tools=[BASH], messages=[{"role": "user", "content": "sim:bash:ls -la"}]
    )
    assert first.stop_reason == "tool_use"
    use = first.content[-1]
    assert use.type == "tool_use" and use.name == "Bash" and use.input["command"] == "ls -la"
    assert use.id.startswith("toolu_")
    second = client.messages.create(
        model=MODEL,
        max_tokens=512,
        tools=[BASH],
        messages=[
            {"role": "user", "content": "sim:bash:ls -la"},
            {"role": "assistant", "content": first.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "a.txt b.txt"}]},
        ],
    )
    assert second.content[0].text == "Tool said: a.txt b.txt"


def test_thinking_round_trip(client):
    thinking = {"type": "enabled", "budget_tokens": 1024}
    history = [{"role": "user", "content": "sim:bash_seq:echo one;;echo two"}]
    for step in range(2):
        msg = client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[BASH], messages=history)
        assert [b.type for b in msg.content] == ["thinking", "tool_use"]
        assert msg.content[0].signature
        history += [
            {"role": "assistant", "content": msg.content},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": msg.content[1].id, "content": f"out{step}"}]},
        ]
    done = client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[BASH], messages=history)
    assert done.content[-1].text == "Tool said: out0 | out1 (signed thinking blocks in the history: 2)"

    # An altered signature in the latest assistant turn is refused.
    tampered = [dict(m) for m in history[:-1]]
    last = tampered[-1]["content"]
    tampered[-1] = {
        "role": "assistant",
        "content": [{"type": "thinking", "thinking": last[0].thinking, "signature": "Zm9yZ2Vk"}, last[1]],
    }
    tampered.append(history[-1])
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=4096, thinking=thinking, tools=[BASH], messages=tampered)
    assert "Invalid `signature` in `thinking` block" in str(info.value)


def test_converse_signature_is_refused(sim, client):
    """A thinking block signed by the Converse face is not accepted by the Anthropic face."""
    r = httpx.post(
        f"{sim.url}/model/claude-sonnet-4.6/converse",
        headers={"authorization": "Bearer k"},
        json={"messages": [{"role": "user", "content": [{"text": "sim:thinking"}]}]},
        timeout=10,
    )
    reasoning = r.json()["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"]
    with pytest.raises(anthropic.BadRequestError, match="Invalid `signature`"):
        client.messages.create(
            model=MODEL,
            max_tokens=256,
            messages=[
                {"role": "user", "content": "sim:thinking"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": reasoning["text"], "signature": reasoning["signature"]},
                        {"type": "text", "text": "Hello"},
                    ],
                },
                {"role": "user", "content": "more"},
            ],
        )


def test_stream(client):
    with client.messages.stream(
        model=MODEL, max_tokens=512, messages=[{"role": "user", "content": "sim:long:30"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert len(text.split()) == 30
    assert final.content[0].text == text and final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 30 and final.usage.input_tokens > 0


def test_stream_thinking_and_tool(client):
    with client.messages.stream(
        model=MODEL,
        max_tokens=4096,
        thinking={"type": "adaptive"},
        tools=[BASH],
        messages=[{"role": "user", "content": "sim:bash_seq:pwd"}],
    ) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "tool_use"]
    assert final.content[0].signature and final.content[1].input == {"command": "pwd", "description": "Run step 1"}


def test_stream_error_event(client):
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.stream(
            model=MODEL, max_tokens=512, messages=[{"role": "user", "content": "sim:stream_exception sim:long:40"}]
        ) as stream:
            for _ in stream.text_stream:
                pass
    assert "overloaded_error" in str(info.value) or "Overloaded" in str(info.value)


def test_count_tokens_matches(client):
    messages = [{"role": "user", "content": "count these words for me"}]
    counted = client.messages.count_tokens(model=MODEL, messages=messages, tools=[BASH])
    msg = client.messages.create(model=MODEL, max_tokens=64, messages=messages, tools=[BASH])
    assert counted.input_tokens == msg.usage.input_tokens > 0


def test_prompt_caching(client):
    system = [{"type": "text", "text": "policy " * 400 + fresh(), "cache_control": {"type": "ephemeral"}}]
    first = client.messages.create(model=MODEL, max_tokens=64, system=system, messages=[{"role": "user", "content": "a"}])
    second = client.messages.create(model=MODEL, max_tokens=64, system=system, messages=[{"role": "user", "content": "b"}])
    assert first.usage.cache_creation_input_tokens > 0 and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens


# --- errors -----------------------------------------------------------------------------------


def test_errors_map_to_sdk_classes(sim, client):
    ask = lambda text, **kw: client.messages.create(  # noqa: E731
        model=kw.pop("model", MODEL), max_tokens=64, messages=[{"role": "user", "content": text}], **kw
    )
    with pytest.raises(anthropic.NotFoundError, match="model: claude-sonnet-4.6"):
        ask("hi", model="claude-sonnet-4.6")
    with pytest.raises(anthropic.BadRequestError, match="Extra inputs are not permitted"):
        ask("hi", extra_body={"colour": "red"})
    with pytest.raises(anthropic.BadRequestError, match="temperature"):
        ask("hi", extra_body={"temperature": 1.5})
    with pytest.raises(anthropic.AuthenticationError, match="invalid x-api-key"):
        client_for(sim, api_key="bad-key").messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(anthropic.RateLimitError) as info:
        ask(fresh("sim:throttle:1"))
    assert info.value.response.headers.get("retry-after")
    with pytest.raises(anthropic.InternalServerError) as info:
        ask("sim:error:internal")
    assert info.value.status_code == 500
    with pytest.raises(anthropic.APIStatusError) as info:
        ask("sim:error:overloaded")
    assert info.value.status_code == 529
    assert info.value.body["error"]["type"] == "overloaded_error"
    with pytest.raises(anthropic.PermissionDeniedError):
        ask("sim:error:permission")
    with pytest.raises(anthropic.BadRequestError, match="anthropic-beta"):
        ask("hi", extra_headers={"anthropic-beta": "no-such-beta-2020-01-01"})


def test_missing_version_header(sim):
    r = httpx.post(
        f"{sim.url}/v1/messages",
        headers={"x-api-key": "k"},
        json={"model": MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    assert r.status_code == 400
    assert r.json()["error"] == {"type": "invalid_request_error", "message": "anthropic-version: header is required"}
    assert r.json()["request_id"].startswith("req_") and r.headers["request-id"].startswith("req_")


# --- fault knobs -------------------------------------------------------------------------------


def test_fault_throttle_flag(servers):
    proc = servers.simulator("--fault", "throttle")
    with pytest.raises(anthropic.RateLimitError):
        client_for(proc).messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    r = httpx.post(
        f"{proc.url}/model/claude-sonnet-4.6/converse",
        headers={"authorization": "Bearer k"},
        json={"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
        timeout=10,
    )
    assert r.status_code == 429 and r.headers["x-amzn-errortype"].startswith("ThrottlingException")


def test_fault_overloaded_flag(servers):
    proc = servers.simulator("--fault", "overloaded")
    with pytest.raises(anthropic.APIStatusError) as info:
        client_for(proc).messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 529
    r = httpx.post(
        f"{proc.url}/model/claude-sonnet-4.6/converse",
        headers={"authorization": "Bearer k"},
        json={"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
        timeout=10,
    )
    assert r.status_code == 503


def test_fault_slow_and_cut_flags(servers):
    proc = servers.simulator("--fault", "slow:0.5", "--fault", "cut")
    c = client_for(proc)
    start = time.monotonic()
    c.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])
    assert time.monotonic() - start >= 0.5
    # The SDK surfaces the cut as its transport's RemoteProtocolError or as an APIConnectionError.
    with pytest.raises(Exception, match="peer closed connection|incomplete|Connection") as info:
        with c.messages.stream(
            model=MODEL, max_tokens=512, messages=[{"role": "user", "content": "sim:long:40"}]
        ) as stream:
            stream.get_final_message()
    assert not isinstance(info.value, AssertionError)


def test_bad_fault_flag_is_refused(servers):
    out = servers.run("simulate", "--port", "0", "--fault", "melt", timeout=30)
    assert out.returncode != 0 and "melt" in out.stderr


def test_runtime_fault_switch_and_stats(servers):
    proc = servers.simulator()
    c = client_for(proc)
    ask = lambda: c.messages.create(model=MODEL, max_tokens=8, messages=[{"role": "user", "content": "hi"}])  # noqa: E731
    ask()
    r = httpx.post(f"{proc.url}/_sim/fault", json={"fault": "error:rate_limit"}, timeout=5)
    assert r.status_code == 200 and r.json() == {"fault": ["error:rate_limit"]}
    with pytest.raises(anthropic.RateLimitError):
        ask()
    assert httpx.post(f"{proc.url}/_sim/fault", json={"fault": None}, timeout=5).json() == {"fault": None}
    ask()
    assert httpx.post(f"{proc.url}/_sim/fault", json={"fault": "melt"}, timeout=5).status_code == 400
    s = stats(proc)
    assert s["anthropic_requests"] == 3 and s["converse_requests"] == 0 and s["requests"] == 3


# --- the real Claude Code CLI, pointed directly at the face ------------------------------------

CLAUDE_VARIANTS = {
    "sonnet-4-6": (["--model", "claude-sonnet-4-6"], {}),
    "haiku-thinking-budget": (["--model", "claude-haiku-4-5"], {"MAX_THINKING_TOKENS": "2048"}),
    "opus-4-6": (["--model", "claude-opus-4-6"], {}),
}


@pytest.mark.parametrize("variant", list(CLAUDE_VARIANTS))
def test_claude_code_tool_loop_with_signed_thinking(claude_bin, sim, claude_home, variant):
    """Claude Code's own requests (betas, cache_control, tools, thinking) pass the face's
    validation, and its thinking blocks come back with this face's signatures."""
    from gateway_testkit import explain, run_claude

    args, env = CLAUDE_VARIANTS[variant]
    p, result = run_claude(claude_bin, sim, claude_home, [
        "-p", "sim:bash_seq:echo one;;echo two", "--output-format", "json",
        "--allowedTools", "Bash", "--max-turns", "6", *args], env, timeout=240)
    assert p.returncode == 0 and result and result.get("is_error") is False, explain(p, result)
    text = result.get("result", "")
    assert text.startswith("Tool said: one | two (signed thinking blocks in the history: "), explain(p, result)
