"""Shared fixtures of the Python end-to-end tests.

Environment:
  NEXUS_BIN   the built gateway binary (scripts/test sets it: `swift build --show-bin-path`)
  CLAUDE_BIN  the Claude Code CLI (scripts/test sets it from scripts/lib/get-claude-cli)
  NEXUS_TEST_MODEL  the model name the SDK tests send (default claude-sonnet-4-6)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODEL = os.environ.get("NEXUS_TEST_MODEL", "claude-sonnet-4-6")
READY = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 30.0

sys.path.insert(0, str(HERE))


def _binary(var: str, hint: str) -> str:
    path = os.environ.get(var)
    if not path:
        pytest.fail(f"${var} is not set: {hint}", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"${var}={path} is not an executable file: {hint}", pytrace=False)
    return path


@pytest.fixture(scope="session")
def nexus_bin() -> str:
    return _binary("NEXUS_BIN", "run the tests through scripts/test, or export "
                   "NEXUS_BIN=$(swift build --show-bin-path)/nexus-claude-api")


@pytest.fixture(scope="session")
def claude_bin() -> str:
    if not os.environ.get("CLAUDE_BIN"):
        try:
            out = subprocess.run([str(REPO / "scripts" / "lib" / "get-claude-cli")],
                                 capture_output=True, text=True, timeout=600, check=True)
            os.environ["CLAUDE_BIN"] = out.stdout.strip().splitlines()[-1]
        except (subprocess.SubprocessError, IndexError) as e:
            pytest.fail(f"$CLAUDE_BIN is not set and scripts/lib/get-claude-cli failed: {e}",
                        pytrace=False)
    return _binary("CLAUDE_BIN", "scripts/lib/get-claude-cli prints the path")


class ServerProcess:
    """A server subprocess that prints `listening on http://127.0.0.1:PORT` when ready."""

    def __init__(self, args: list[str], name: str, env: dict | None = None):
        self.args = args
        self.name = name
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.port: int | None = None
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, env=env, start_new_session=True)
        self._reader = threading.Thread(target=self._read, name=f"{name}-output", daemon=True)
        self._reader.start()

    def _read(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))
            if self.port is None:
                m = READY.search(line)
                if m:
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()  # EOF: wake the waiter

    @property
    def output(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        deadline = time.monotonic() + timeout
        while self.port is None and time.monotonic() < deadline:
            self._ready.wait(0.1)
            if self.proc.poll() is not None and self.port is None:
                self._reader.join(2)
                break
        if self.port is None:
            code = self.proc.poll()
            self.stop()
            state = f"exited with {code}" if code is not None else f"not ready after {timeout:.0f} s"
            pytest.fail(f"{self.name} ({' '.join(self.args)}) {state}; output:\n"
                        f"{self.output or '(none)'}", pytrace=False)
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._reader.join(2)
        return self.proc.returncode


def start_server(args: list[str], name: str, env: dict | None = None) -> ServerProcess:
    return ServerProcess(args, name, env).wait_ready()


@pytest.fixture(scope="session")
def gateway(nexus_bin):
    """`nexus-claude-api serve --simulate` (gateway + built-in AI Nexus simulator)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("NEXUS_API_KEY", "AWS_BEARER_TOKEN_BEDROCK", "NEXUS_PROXY_API_KEY",
                        "NEXUS_ENDPOINT")}
    server = start_server([nexus_bin, "serve", "--simulate", "--port", "0", "--host", "127.0.0.1"],
                          "gateway", env)
    yield server
    code = server.stop()
    if code not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        print(f"gateway exited with {code} after SIGTERM; output:\n{server.output}", file=sys.stderr)


class GatewayFactory:
    """Starts `serve --simulate` gateways with extra flags (simulator knobs, a config file, log
    options), each a fresh process with fresh memory (rejected betas, prompt cache), in an empty
    HOME so no `~/.config/nexus-claude-api/config.toml` leaks in. Stopped at teardown."""

    def __init__(self, nexus_bin: str):
        self.nexus_bin = nexus_bin
        self.servers: list[ServerProcess] = []
        self.home = Path(tempfile.mkdtemp(prefix="nexus-gateway-home-"))

    def start(self, *args: str) -> ServerProcess:
        env = {k: v for k, v in os.environ.items()
               if k not in ("NEXUS_API_KEY", "AWS_BEARER_TOKEN_BEDROCK", "NEXUS_PROXY_API_KEY",
                            "NEXUS_ENDPOINT", "NEXUS_CONFIG", "LOG_LEVEL")}
        env["HOME"] = str(self.home)
        server = ServerProcess(
            [self.nexus_bin, "serve", "--simulate", "--port", "0", "--host", "127.0.0.1", *args],
            f"gateway {len(self.servers) + 1}", env)
        self.servers.append(server)
        return server.wait_ready()

    def stop_all(self):
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture
def gateway_factory(nexus_bin):
    """`gateway_factory.start(*flags)`: a gateway of this test only (see GatewayFactory)."""
    factory = GatewayFactory(nexus_bin)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def simulator(nexus_bin):
    """`nexus-claude-api simulate` (the raw fake AI Nexus: Converse over HTTP)."""
    server = start_server([nexus_bin, "simulate", "--port", "0"], "simulator")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def client(gateway):
    import anthropic
    # No SDK retries: the error tests want to see the first answer.
    return anthropic.Anthropic(base_url=gateway.url, api_key="sk-test", max_retries=0,
                               timeout=60.0)


@pytest.fixture(scope="session")
def model() -> str:
    return MODEL


@pytest.fixture
def claude_home():
    """A throwaway HOME with a project directory for Claude Code runs."""
    root = Path(tempfile.mkdtemp(prefix="nexus-claude-"))
    (root / "project").mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def pytest_report_header(config):
    return [f"NEXUS_BIN={os.environ.get('NEXUS_BIN', '(unset)')}",
            f"CLAUDE_BIN={os.environ.get('CLAUDE_BIN', '(unset)')}",
            f"model={MODEL}"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, attach the tail of the gateway's / simulator's output to the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    for name in ("gateway", "simulator"):
        server = funcargs.get(name)
        if isinstance(server, ServerProcess):
            tail = "\n".join(server.output.splitlines()[-60:])
            report.sections.append((f"{name} output (last 60 lines)", tail or "(none)"))
    factory = funcargs.get("gateway_factory")
    if isinstance(factory, GatewayFactory):
        for server in factory.servers:
            # Bodies may be logged (--log-bodies): keep the lines short.
            tail = "\n".join(line[:400] for line in server.output.splitlines()[-60:])
            report.sections.append((f"{server.name} output (last 60 lines)", tail or "(none)"))


# -- production-behaviour tests (test_prod_*.py) ----------------------------------------------------

@pytest.fixture
def servers(nexus_bin):
    """Starts gateways / simulators for one test (prod_kit.Servers) and stops them all after it."""
    from prod_kit import Servers
    s = Servers(nexus_bin)
    yield s
    s.stop_all()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_call(item):
    """On a failure of a test that used `servers`, attach the output of every process it started."""
    outcome = yield
    if outcome.excinfo is None:
        return
    s = getattr(item, "funcargs", {}).get("servers")
    if s is not None and getattr(s, "procs", None):
        tail = "\n".join(s.outputs().splitlines()[-120:])
        item.add_report_section("call", "servers output (last 120 lines)", tail)
