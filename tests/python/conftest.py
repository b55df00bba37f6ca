"""Shared fixtures of the Python end-to-end tests.

Environment:
  NEXUS_BIN   the built gateway binary (scripts/test sets it: `swift build --show-bin-path`)
  CLAUDE_BIN  the Claude Code CLI (scripts/test sets it from scripts/lib/get-claude-cli)
  NEXUS_TEST_MODEL  the model name the SDK tests send (default claude-sonnet-4-6)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MODEL = os.environ.get("NEXUS_TEST_MODEL", "claude-sonnet-4-6")

sys.path.insert(0, str(HERE))

from prod_kit import Proc, Servers  # noqa: E402  (after the path is set)


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


@pytest.fixture(scope="session")
def gateway(nexus_bin):
    """`nexus-claude-api serve --simulate` (gateway + built-in AI Nexus simulator)."""
    servers = Servers(nexus_bin)
    server = servers.gateway()
    yield server
    code = server.stop()
    if code not in (0, -signal.SIGTERM, 128 + signal.SIGTERM):
        print(f"gateway exited with {code} after SIGTERM; output:\n{server.output}", file=sys.stderr)


class GatewayFactory(Servers):
    """Starts `serve --simulate` gateways with extra flags (simulator knobs, a config file, log
    options), each a fresh process with fresh memory (rejected betas, prompt cache), in a clean
    environment (`prod_kit.clean_env`). Stopped at teardown."""

    def start(self, *args: str) -> Proc:
        return self.gateway(*args, name=f"gateway {len(self.procs) + 1}")


@pytest.fixture
def gateway_factory(nexus_bin):
    """`gateway_factory.start(*flags)`: a gateway of this test only (see GatewayFactory)."""
    factory = GatewayFactory(nexus_bin)
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def simulator(nexus_bin):
    """`nexus-claude-api simulate` (the raw fake AI Nexus: Converse over HTTP)."""
    servers = Servers(nexus_bin)
    yield servers.simulator()
    servers.stop_all()


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
        if isinstance(server, Proc):
            tail = "\n".join(server.output.splitlines()[-60:])
            report.sections.append((f"{name} output (last 60 lines)", tail or "(none)"))
    factory = funcargs.get("gateway_factory")
    if isinstance(factory, GatewayFactory):
        for server in factory.procs:
            # Bodies may be logged (--log-bodies): keep the lines short.
            tail = "\n".join(line[:400] for line in server.output.splitlines()[-60:])
            report.sections.append((f"{server.name} output (last 60 lines)", tail or "(none)"))


# -- production-behaviour tests (test_prod_*.py) ----------------------------------------------------

@pytest.fixture
def servers(nexus_bin):
    """Starts gateways / simulators for one test (prod_kit.Servers) and stops them all after it."""
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
