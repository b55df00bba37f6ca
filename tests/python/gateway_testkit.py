"""Constants shared by the Python end-to-end tests (imported by the test modules)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FIXTURES = REPO / "Tests" / "TranslationTests" / "Fixtures" / "claude-code"

PNG_1x1 = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")).decode()

MINIMAL_PDF = base64.b64encode(b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
""").decode()

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Get the weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"},
                                                       "unit": {"type": "string"}},
                     "required": ["city"]},
}

BASH_TOOL = {
    "name": "Bash",
    "description": "Run a shell command.",
    "input_schema": {"type": "object",
                     "properties": {"command": {"type": "string"},
                                    "description": {"type": "string"}},
                     "required": ["command"]},
}


def user(text):
    """A one-message conversation."""
    return [{"role": "user", "content": text}]


def claude_env(gateway, home, extra_env=None) -> dict:
    """The environment a Claude Code CLI run gets: a throwaway HOME, the gateway as its API, a
    dummy key, and no telemetry, update checks or other traffic off the machine."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "USER": "user",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "SHELL": "/bin/bash",
        "TMPDIR": str(home),
        "ANTHROPIC_BASE_URL": gateway.url,
        "ANTHROPIC_API_KEY": "sk-test",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        **(extra_env or {}),
    }


def run_claude(claude_bin, gateway, home, args, extra_env=None, timeout: float = 240):
    """Runs the Claude Code CLI against `gateway` in `home/project`; returns the process and its
    JSON result (None when stdout is not JSON). A run past `timeout` fails the test."""
    import pytest

    env = claude_env(gateway, home, extra_env)
    try:
        p = subprocess.run([claude_bin, *args], cwd=home / "project", env=env, capture_output=True,
                           text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"claude {' '.join(args)} did not finish in {timeout} s; stderr: {e.stderr!r}"[:4000],
                    pytrace=False)
    result = None
    try:
        result = json.loads(p.stdout)
    except ValueError:
        pass
    return p, result


def explain(p, result) -> str:
    """A failed CLI run, for assertion messages."""
    return (f"claude exited {p.returncode}\nresult: {json.dumps(result, indent=1)[:3000] if result else None}\n"
            f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
