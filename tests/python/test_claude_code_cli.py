"""The real Claude Code CLI against the gateway (`serve --simulate`).

`sim:bash:CMD` makes the simulator ask for the Bash tool; Claude Code runs CMD and sends the
output back; the simulator answers `Tool said: <output>`, which ends up in the JSON result.

Notes on the flags (Claude Code 2.1.x):
  * `--dangerously-skip-permissions` is refused when running as root (CI is root), so the Bash
    tool is allowed with `--allowedTools Bash` instead.
  * `-p` never asks questions; `--output-format json` prints one JSON object.
"""

from __future__ import annotations


import pytest

from gateway_testkit import explain, run_claude as run_with_timeout

TIMEOUT = 240


def run_claude(claude_bin, gateway, home, args, extra_env=None):
    return run_with_timeout(claude_bin, gateway, home, args, extra_env, timeout=TIMEOUT)



VARIANTS = {
    "default-model": ([], {}),
    "sonnet-4-6": (["--model", "claude-sonnet-4-6"], {}),
    "haiku-thinking-budget": (["--model", "claude-haiku-4-5"], {"MAX_THINKING_TOKENS": "2048"}),
    "no-experimental-betas": ([], {"CLAUDE_CODE_DISABLE_EXPERIMENTAL_BETAS": "1"}),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_claude_code_runs_bash_through_the_gateway(claude_bin, gateway, claude_home, variant):
    extra_args, extra_env = VARIANTS[variant]
    p, result = run_claude(claude_bin, gateway, claude_home, [
        "-p", "sim:bash:echo nexus-e2e-ok", "--output-format", "json",
        "--allowedTools", "Bash", "--max-turns", "4", *extra_args], extra_env)
    assert p.returncode == 0, explain(p, result)
    assert result is not None, explain(p, result)
    assert result.get("is_error") is False, explain(p, result)
    assert "nexus-e2e-ok" in result.get("result", ""), explain(p, result)
    # Two model turns: the Bash tool_use, then the answer to its result.
    assert result.get("num_turns") == 2, explain(p, result)


def test_claude_code_plain_answer(claude_bin, gateway, claude_home):
    p, result = run_claude(claude_bin, gateway, claude_home,
                           ["-p", "Say hi", "--output-format", "json", "--max-turns", "2"])
    assert p.returncode == 0, explain(p, result)
    assert result["result"].startswith("Hello from the AI Nexus simulator"), explain(p, result)
    assert result["usage"]["input_tokens"] > 0, explain(p, result)


def test_claude_code_compact_and_continue(claude_bin, gateway, claude_home):
    p, result = run_claude(claude_bin, gateway, claude_home, [
        "-p", "sim:bash:echo before-compact", "--output-format", "json",
        "--allowedTools", "Bash", "--max-turns", "4"])
    assert p.returncode == 0 and "before-compact" in result["result"], explain(p, result)
    p, result = run_claude(claude_bin, gateway, claude_home, [
        "-p", "/compact", "--continue", "--output-format", "json"])
    assert p.returncode == 0, explain(p, result)
    assert result.get("is_error") is False, explain(p, result)
    p, result = run_claude(claude_bin, gateway, claude_home, [
        "-p", "sim:echo after compact", "--continue", "--output-format", "json",
        "--max-turns", "2"])
    assert p.returncode == 0, explain(p, result)
    assert "sim:echo after compact" in result["result"], explain(p, result)


def test_claude_code_context_uses_count_tokens(claude_bin, gateway, claude_home):
    # /context sends many POST /v1/messages/count_tokens (one with `tools: []`).
    p, result = run_claude(claude_bin, gateway, claude_home,
                           ["-p", "/context", "--output-format", "json"])
    assert p.returncode == 0, explain(p, result)
    assert result.get("is_error") is False, explain(p, result)


def test_claude_code_recovers_from_a_broken_stream(claude_bin, gateway, claude_home):
    # After an SSE `error` event the CLI retries the turn with "stream": false.
    p, result = run_claude(claude_bin, gateway, claude_home, [
        "-p", "sim:stream_exception:throttling", "--output-format", "json", "--max-turns", "2"])
    assert p.returncode == 0, explain(p, result)
    assert result.get("is_error") is False, explain(p, result)


def test_claude_code_reports_upstream_error(claude_bin, gateway, claude_home):
    # A persistent 400 from AI Nexus must reach the user as an error, not hang.
    p, result = run_claude(claude_bin, gateway, claude_home, [
        "-p", "sim:error:validation", "--output-format", "json", "--max-turns", "2"])
    assert result is not None, explain(p, result)
    assert result.get("is_error") is True, explain(p, result)
    assert result.get("api_error_status") == 400, explain(p, result)
