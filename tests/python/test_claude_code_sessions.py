"""Whole Claude Code sessions through the gateway (`serve --simulate`): the "Proof" of issue 4.

Each test starts its own gateway (`gateway_factory`: fresh process, so fresh beta memory and a
cold prompt cache) with JSON logs, runs the real CLI in a fresh HOME, and checks both what the
CLI printed and what the gateway and its simulator logged.

`sim:bash_seq:CMD1;;CMD2` (docs/simulator.md) makes the simulated model call Bash once per
command, each time after a signed reasoning block when the request enables thinking, then answer
`Tool said: <out1> | <out2> (signed thinking blocks in the history: M)`, where M counts the
reasoning blocks of the request's history that still carry the simulator's signature. The
simulator also refuses (400) a latest-turn reasoning block whose text or signature changed.

What Claude Code 2.1.x sends (Tests/TranslationTests/Fixtures/claude-code/README.md):
  * `claude-sonnet-4-6` and the default model: `thinking: {type: adaptive, display: omitted}`;
  * `claude-sonnet-4-5` with `MAX_THINKING_TOKENS=2048`: `thinking: {type: enabled,
    budget_tokens: 2048}` (the gateway maps both 4-5 and 4-6 to AI Nexus's `claude-sonnet-4.6`);
  * the default model (`claude-opus-5-5`, mapped to `claude-opus-4.6`) puts the environment into
    `role: "system"` messages, which the gateway folds into user turns;
  * beta header: `claude-code-20250219,interleaved-thinking-2025-05-14,…`.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from gateway_testkit import explain, run_claude as run_with_timeout

TIMEOUT = 120  # seconds, per CLI run
COMMANDS = ("echo nexus-one", "echo nexus-two")
MORE_COMMANDS = ("echo nexus-three", "echo nexus-four")


def run_claude(claude_bin, gateway, home, args, extra_env=None):
    return run_with_timeout(claude_bin, gateway, home, args, extra_env, timeout=TIMEOUT)



def seq_prompt(commands) -> str:
    return "Run these with the Bash tool, one after the other. sim:bash_seq:" + ";;".join(commands)


def expected_text(commands, signed_blocks: int) -> str:
    outputs = " | ".join(c.removeprefix("echo ") for c in commands)
    return f"Tool said: {outputs} (signed thinking blocks in the history: {signed_blocks})"


def run_session_turn(claude_bin, gateway, home, commands, extra_args, extra_env, *, cont=False):
    """One `claude -p` with a bash_seq prompt; asserts it ran every command and ended well."""
    p, result = run_claude(claude_bin, gateway, home, [
        "-p", seq_prompt(commands), "--output-format", "json", "--allowedTools", "Bash",
        "--max-turns", str(len(commands) + 2), *(["--continue"] if cont else []), *extra_args], extra_env)
    assert p.returncode == 0, explain(p, result)
    assert result is not None and result.get("is_error") is False, explain(p, result)
    # One model turn per command, then the final answer.
    assert result.get("num_turns") == len(commands) + 1, explain(p, result)
    return result


# --- the gateway's JSON log ---------------------------------------------------------------------

def records(server) -> list[dict]:
    """The JSON log records of a gateway started with `--log-format json`."""
    out = []
    for line in server.output.splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def gateway_records(server, msg: str) -> list[dict]:
    return [r for r in records(server) if r.get("label") == "nexus-claude-api" and r.get("msg") == msg]


def simulator_lines(server, text: str) -> list[str]:
    """Debug lines of the built-in simulator (`ConverseStream claude-sonnet-4.6: 400 …`)."""
    return [r["msg"] for r in records(server) if r.get("label") == "nexus-simulator" and text in r.get("msg", "")]


def wait_for_requests(server, count: int, timeout: float = 10.0) -> list[dict]:
    """The `request done` / `request failed` records, once `count` are logged. A stream's record
    follows its last event, so it may arrive just after the CLI exits; everything the gateway and
    the simulator logged for those requests comes before it in the same output."""
    deadline = time.monotonic() + timeout
    while True:
        ended = [r for r in records(server) if r.get("label") == "nexus-claude-api"
                 and r.get("msg") in ("request done", "request failed")]
        if len(ended) >= count or time.monotonic() > deadline:
            return ended
        time.sleep(0.05)


def converse_bodies(server) -> list[dict]:
    """The Converse bodies sent upstream, in order (needs `--log-level debug --log-bodies`)."""
    return [json.loads(r["body"]) for r in gateway_records(server, "converse body")]


def reasoning_blocks(body: dict) -> list[dict]:
    return [block["reasoningContent"]["reasoningText"]
            for message in body["messages"] if message["role"] == "assistant"
            for block in message["content"] if "reasoningText" in block.get("reasoningContent", {})]


def log_context(server) -> str:
    return "\n".join(line[:400] for line in server.output.splitlines()[-40:])


DEBUG_JSON_LOGS = ("--log-level", "debug", "--log-format", "json")

# --- 1. a multi-turn session with two tool calls and thinking ----------------------------------

SESSIONS = {
    # thinking {type: enabled, budget_tokens: 2048} and the interleaved-thinking beta
    "sonnet-4-5-thinking-budget": (["--model", "claude-sonnet-4-5"], {"MAX_THINKING_TOKENS": "2048"}, "enabled"),
    # thinking {type: adaptive, display: omitted}
    "sonnet-4-6-adaptive": (["--model", "claude-sonnet-4-6"], {}, "adaptive"),
    # adaptive too, with role: "system" messages in the middle and at the end of `messages`
    "default-model": ([], {}, "adaptive"),
}


@pytest.mark.parametrize("session", list(SESSIONS))
def test_multi_turn_session_with_two_tool_calls_and_thinking(claude_bin, gateway_factory, claude_home, session):
    extra_args, extra_env, thinking_type = SESSIONS[session]
    gw = gateway_factory.start(*DEBUG_JSON_LOGS, "--log-bodies")

    first = run_session_turn(claude_bin, gw, claude_home, COMMANDS, extra_args, extra_env)
    assert first["result"] == expected_text(COMMANDS, 2), first["result"]

    # The same conversation, a second CLI process: the history (two thinking + tool_use turns,
    # their results, the answer) is sent back and must be accepted as is.
    second = run_session_turn(claude_bin, gw, claude_home, MORE_COMMANDS, extra_args, extra_env, cont=True)
    assert second["result"] == expected_text(MORE_COMMANDS, 4), second["result"]
    assert second["session_id"] == first["session_id"], (first["session_id"], second["session_id"])

    # Upstream: 3 + 3 Converse calls, all with thinking on, each carrying every signed reasoning
    # block so far (0, 1, 2, then 2, 3, 4), unchanged.
    wait_for_requests(gw, 6)
    bodies = converse_bodies(gw)
    assert len(bodies) == 6, log_context(gw)
    for body in bodies:
        assert body["additionalModelRequestFields"]["thinking"]["type"] == thinking_type, body.get(
            "additionalModelRequestFields")
    assert [len(reasoning_blocks(b)) for b in bodies] == [0, 1, 2, 2, 3, 4]
    texts = [r["text"] for r in reasoning_blocks(bodies[-1])]
    assert texts == [f"Step {i} of 2: I will run `{c}` with the Bash tool."
                     for i, c in ((1, COMMANDS[0]), (2, COMMANDS[1]), (1, MORE_COMMANDS[0]), (2, MORE_COMMANDS[1]))]
    assert all(r["signature"] for r in reasoning_blocks(bodies[-1]))
    assert not gateway_records(gw, "request failed"), log_context(gw)

    # Prompt caching: the top-level system prompt is byte-identical on every turn, so every request
    # after the first one (cold cache) reads the cached prefix — also across CLI invocations.
    assert all(b["system"] == bodies[0]["system"] for b in bodies), "the system prompt changed between turns"
    assert any("cachePoint" in block for block in bodies[0]["system"]), bodies[0]["system"]
    done = gateway_records(gw, "request done")
    assert len(done) == 6, log_context(gw)
    reads = [int(r["tokens.cache_read"]) for r in done]
    assert reads[0] == 0 and int(done[0]["tokens.cache_write"]) > 0, reads
    assert all(n > 0 for n in reads[1:]), f"cache reads per request: {reads}"
    assert first["usage"]["cache_read_input_tokens"] > 0, first["usage"]
    assert second["usage"]["cache_read_input_tokens"] > 0, second["usage"]


# --- 2. a model configured as adaptive-only -----------------------------------------------------

# claude-sonnet-4-5 + MAX_THINKING_TOKENS sends thinking {type: enabled, budget_tokens: 2048};
# the gateway maps it to claude-sonnet-4.6, which this simulator accepts only as adaptive.
BUDGET_ARGS = ["--model", "claude-sonnet-4-5"]
BUDGET_ENV = {"MAX_THINKING_TOKENS": "2048"}
ENABLED_REFUSED = "thinking.type.enabled is not supported for this model"


def test_adaptive_only_model_gets_enabled_thinking_converted(claude_bin, gateway_factory, claude_home, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[model."claude-sonnet-4.6"]\nthinking = "adaptive"\n')
    gw = gateway_factory.start("--config", str(config), "--simulator-adaptive-only", "claude-sonnet-4.6",
                               *DEBUG_JSON_LOGS, "--log-bodies")

    result = run_session_turn(claude_bin, gw, claude_home, COMMANDS, BUDGET_ARGS, BUDGET_ENV)
    assert result["result"] == expected_text(COMMANDS, 2), result["result"]
    wait_for_requests(gw, 3)

    # Never a 400: every request asked for `enabled` and went upstream as `adaptive`.
    assert not gateway_records(gw, "request failed"), log_context(gw)
    assert not simulator_lines(gw, ": 400 "), log_context(gw)
    translated = gateway_records(gw, "translated request")
    assert len(translated) == 3, log_context(gw)
    for r in translated:
        assert "converted thinking.enabled to adaptive" in r["notes"], r["notes"]
    for body in converse_bodies(gw):
        assert body["additionalModelRequestFields"]["thinking"] == {"type": "adaptive"}, body[
            "additionalModelRequestFields"]


def test_adaptive_only_model_without_the_config_is_refused(claude_bin, gateway_factory, claude_home):
    """The control of the test above: without the config the gateway forwards `enabled` and the
    simulator's 400 reaches Claude Code. (Claude Code 2.1.x then retries with adaptive thinking by
    itself, so the run may still end well: what matters is that the 400 happened.)"""
    gw = gateway_factory.start("--simulator-adaptive-only", "claude-sonnet-4.6", *DEBUG_JSON_LOGS)
    p, result = run_claude(claude_bin, gw, claude_home, [
        "-p", seq_prompt(COMMANDS), "--output-format", "json", "--allowedTools", "Bash", "--max-turns", "4",
        *BUDGET_ARGS], BUDGET_ENV)
    wait_for_requests(gw, 1)
    assert simulator_lines(gw, ENABLED_REFUSED), log_context(gw)
    failed = gateway_records(gw, "request failed")
    assert failed, log_context(gw)
    assert str(failed[0]["status"]) == "400" and ENABLED_REFUSED in failed[0]["error"], failed[0]


# --- 3. AI Nexus rejects a beta the CLI sends ---------------------------------------------------

REJECTED_BETA = "interleaved-thinking-2025-05-14"  # sent by Claude Code on every model (corpus)


def test_rejected_beta_is_retried_once_and_remembered(claude_bin, gateway_factory, claude_home):
    gw = gateway_factory.start("--simulator-reject-beta", REJECTED_BETA, *DEBUG_JSON_LOGS)
    args = ["--model", "claude-sonnet-4-6"]

    first = run_session_turn(claude_bin, gw, claude_home, COMMANDS, args, {})
    assert first["result"] == expected_text(COMMANDS, 2), first["result"]
    second = run_session_turn(claude_bin, gw, claude_home, MORE_COMMANDS[:1], args, {}, cont=True)
    assert second["result"] == expected_text(MORE_COMMANDS[:1], 3), second["result"]

    wait_for_requests(gw, 5)
    # The CLI did send the beta and the gateway forwarded it, once.
    translated = gateway_records(gw, "translated request")
    assert REJECTED_BETA in translated[0]["betas.forwarded"].split(","), translated[0]
    # AI Nexus said "invalid beta flag" exactly once; the gateway warned once for that model,
    # retried, and never forwarded the beta again (5 requests + the one retry).
    assert len(simulator_lines(gw, "invalid beta flag")) == 1, log_context(gw)
    warnings = [r for r in records(gw) if r.get("level") == "warning" and "rejected betas" in r.get("msg", "")]
    assert len(warnings) == 1, warnings
    assert warnings[0]["model"] == "claude-sonnet-4.6" and REJECTED_BETA in warnings[0]["betas"].split(","), warnings
    assert len(translated) == 6, log_context(gw)
    for r in translated[1:]:
        assert REJECTED_BETA not in r["betas.forwarded"].split(","), r
    assert not gateway_records(gw, "request failed"), log_context(gw)
    assert len(gateway_records(gw, "request done")) == 5, log_context(gw)
