"""The real Claude Code CLI used INTERACTIVELY (no `-p`) inside tmux, through the gateway.

Each test starts `claude` in a tmux session of its own (a private server: `tmux -L <unique>`,
a 200x50 window) with `claude_env(...)` as its environment and a throwaway HOME
(`claude_home`), types prompts with `send-keys`, reads the screen with `capture-pane` (every wait
bounded) and leaves with `/exit`.

What Claude Code 2.1.x shows on a first start, and how the tests get past it:
  * onboarding (theme, then a connectivity check of api.anthropic.com that ends at "Unable to
    connect to Anthropic services" offline): skipped by `hasCompletedOnboarding` in the
    pre-seeded `~/.claude.json`;
  * "Detected a custom API key in your environment … Do you want to use this API key?" (default
    "No"): skipped by `customApiKeyResponses.approved` holding the key's last 20 characters;
  * "Accessing workspace … Is this a project you created or one you trust?" (default "No,
    exit"): skipped by `projects[<cwd>].hasTrustDialogAccepted`.
  Should one of the two questions still show up (another CLI version), the test answers it with
  the arrow keys and Enter.
  * The default renderer since 2.1.x is the full-screen one (alternate screen, its own
    scrollback): `sim:echo`'s answer (the whole last user text, system reminders included) then
    scrolls out of reach of `capture-pane`. `CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN=1` keeps the
    classic main-screen renderer, whose lines go to tmux's history.
  * The Bash tool is allowed with `--allowedTools Bash` (`--dangerously-skip-permissions` is
    refused as root); a permission question, if one still shows, is answered "Yes".
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from gateway_testkit import claude_env
from prod_kit import clean_env, sim_stats, write_config

WIDTH, HEIGHT = 200, 50
MODEL = "claude-sonnet-4-6"
START_TIMEOUT = 30.0  # until the input prompt shows
TURN_TIMEOUT = 60.0  # until a turn's answer shows
EXIT_TIMEOUT = 15.0
ANSWER = ("●", "⏺")  # the mark of an assistant message or tool call (⏺ on macOS)
RULE = "─"

TMUX_CONF = """\
set -g history-limit 50000
set -g remain-on-exit on
set -g status off
set -g focus-events on
"""


# -- tmux -----------------------------------------------------------------------------------------

def _install_tmux() -> str | None:
    """tmux, installed with apt-get when missing and possible (root, apt-get present)."""
    found = shutil.which("tmux")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "install", "-y", "-qq", "tmux"], env=env, capture_output=True,
                       timeout=300)
        if not shutil.which("tmux"):
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-qq", "tmux"], env=env,
                           capture_output=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        pass
    return shutil.which("tmux")


@pytest.fixture(scope="session")
def tmux_bin() -> str:
    path = _install_tmux()
    if not path:
        pytest.skip("tmux is not installed and could not be installed with apt-get "
                    "(scripts/test installs it when it can)")
    return path


class ClaudeInTmux:
    """One interactive `claude` in the only pane of a private tmux server."""

    def __init__(self, tmux: str, home: Path, env: dict):
        self.tmux = tmux
        self.home = home
        self.env = env
        self.socket = f"nexus-claude-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.conf = home / "tmux.conf"
        self.conf.write_text(TMUX_CONF)
        self.pid: int | None = None
        self.socket_path = f"/tmp/tmux-{os.getuid()}/{self.socket}"  # the real one once started
        self.answered: list[str] = []  # the questions the test had to answer (see the module doc)

    def run(self, *args: str, check: bool = True) -> str:
        p = subprocess.run([self.tmux, "-L", self.socket, "-f", str(self.conf), *args],
                           env=self.env, capture_output=True, text=True, timeout=10,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def start(self, claude_bin: str, *args: str):
        self.claude_bin = claude_bin
        command = "exec " + shlex.join([claude_bin, *args])
        self.run("new-session", "-d", "-s", "claude", "-x", str(WIDTH), "-y", str(HEIGHT),
                 "-c", str(self.home / "project"), command)
        self.pid = int(self.pane("#{pane_pid}"))
        self.socket_path = self.pane("#{socket_path}")

    def pane(self, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", "claude", fmt).strip()

    def screen(self, history: bool = False) -> str:
        """The visible screen, or with `history` also everything that scrolled off; wrapped
        lines joined."""
        args = ["capture-pane", "-p", "-J", "-t", "claude"]
        if history:
            args[2:2] = ["-S", "-"]
        return self.run(*args)

    def type(self, text: str):
        """Types `text` into the input box, waits until it shows there, then presses Enter."""
        self.run("send-keys", "-t", "claude", "-l", text)
        self.wait(lambda s: any(line.startswith("❯") and text in line for line in s.splitlines()),
                  10, f"{text!r} to show in the input box")
        self.run("send-keys", "-t", "claude", "Enter")

    def keys(self, *keys: str):
        self.run("send-keys", "-t", "claude", *keys)

    def dead(self) -> bool:
        return self.pane("#{pane_dead}") == "1"

    def wait(self, predicate, timeout: float, what: str, *, history: bool = False) -> str:
        """Polls the screen until `predicate(screen)` is true; fails with the screen after
        `timeout` seconds or when claude ended."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen(history)
            if predicate(screen):
                return screen
            if self.dead():
                pytest.fail(f"claude ended (status {self.pane('#{pane_dead_status}')}) while "
                            f"waiting for {what}; screen:\n{self.screen(True)[-6000:]}", pytrace=False)
            if time.monotonic() >= deadline:
                pytest.fail(f"no {what} after {timeout:.0f} s; screen:\n{screen}", pytrace=False)
            time.sleep(0.25)

    def settle(self, quiet: float = 1.0, timeout: float = 20.0):
        """Waits until the screen stays the same for `quiet` seconds (a turn has ended)."""
        deadline = time.monotonic() + timeout
        last, since = self.screen(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            now = self.screen()
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
        pytest.fail(f"the screen kept changing for {timeout:.0f} s:\n{last}", pytrace=False)

    def choose(self, option: str, timeout: float = 10.0):
        """In the menu on the screen (the current item marked ❯), moves to the item that starts
        with `option`, checks the mark is there, then presses Enter. (A key sent while the menu
        is still being set up can be lost: the arrows are sent again until the mark moved.)"""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            lines = [line.strip() for line in screen.splitlines()]
            items = [i for i, line in enumerate(lines) if line.lstrip("❯ ").startswith(option)]
            current = [i for i, line in enumerate(lines) if line.startswith("❯")]
            if items and current:
                moves = items[0] - current[-1]
                if moves == 0:
                    self.keys("Enter")
                    return
                self.keys(*(["Down"] * moves if moves > 0 else ["Up"] * -moves))
            if time.monotonic() >= deadline:
                pytest.fail(f"could not choose {option!r} in:\n{screen}", pytrace=False)
            time.sleep(0.5)

    def stop(self):
        """Kills the tmux server (claude gets a SIGHUP; a SIGKILL if still there 5 s later) and
        removes its socket; never fails."""
        try:
            alive = self.pid is not None and self.run("list-panes", "-a", "-F", "#{pane_dead}",
                                                      check=False).strip() == "0"
            self.run("kill-server", check=False)
        except subprocess.SubprocessError:
            alive = self.pid is not None
        deadline = time.monotonic() + 5
        while alive and time.monotonic() < deadline:
            alive = self._claude_runs()
            time.sleep(0.1)
        if alive and self._claude_runs():
            os.kill(self.pid, signal.SIGKILL)
        if self.socket_path:
            Path(self.socket_path).unlink(missing_ok=True)

    def _claude_runs(self) -> bool:
        try:
            return self.claude_bin in Path(f"/proc/{self.pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False


def input_ready(screen: str) -> bool:
    """The empty input box: a `❯` line right under a horizontal rule."""
    lines = screen.splitlines()
    return any(line.strip() == "❯" and i > 0 and lines[i - 1].startswith(RULE)
               for i, line in enumerate(lines))


def seed_home(home: Path, project: Path, api_key: str):
    """What skips onboarding, the custom-API-key question and the folder-trust question."""
    (home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True,
        "theme": "dark",
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": {str(project): {"hasTrustDialogAccepted": True,
                                    "hasCompletedProjectOnboarding": True}},
    }))


@pytest.fixture
def claude_tui(tmux_bin, claude_bin, claude_home):
    """`claude_tui(gateway)`: an interactive `claude` against `gateway`, at its input prompt."""
    sessions: list[ClaudeInTmux] = []

    def start(gateway) -> ClaudeInTmux:
        project = (claude_home / "project").resolve()
        env = claude_env(gateway, claude_home, {"TERM": "xterm-256color",
                                                "CLAUDE_CODE_DISABLE_ALTERNATE_SCREEN": "1"})
        seed_home(claude_home, project, env["ANTHROPIC_API_KEY"])
        tui = ClaudeInTmux(tmux_bin, claude_home, env)
        sessions.append(tui)
        tui.start(claude_bin, "--model", MODEL, "--allowedTools", "Bash")

        def ready(screen: str) -> bool:
            if "Unable to connect to Anthropic services" in screen:
                pytest.fail(f"Claude Code ran its onboarding:\n{screen}", pytrace=False)
            if "Detected a custom API key" in screen and len(tui.answered) < 4:
                tui.answered.append("custom API key")
                tui.choose("Yes")
            elif "Yes, I trust this folder" in screen and len(tui.answered) < 4:
                tui.answered.append("folder trust")
                tui.choose("Yes, I trust this folder")
            return input_ready(screen)

        tui.wait(ready, START_TIMEOUT, "input prompt")
        return tui

    yield start
    for tui in sessions:
        if tui.answered:
            print(f"questions answered with send-keys: {tui.answered}")
        tui.stop()


# -- turns ----------------------------------------------------------------------------------------

def after_prompt(screen: str, prompt: str) -> list[str] | None:
    """The lines after the last input line that shows `prompt` (None if there is none)."""
    lines = screen.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("❯") and prompt in line]
    return lines[starts[-1] + 1:] if starts else None


def answer_text(screen: str, prompt: str) -> str:
    """The text from the first assistant mark after `prompt` on ('' while there is none)."""
    lines = after_prompt(screen, prompt) or []
    for i, line in enumerate(lines):
        if line.startswith(ANSWER):
            return "\n".join(lines[i:])
    return ""


def turn(tui: ClaudeInTmux, prompt: str, done, what: str) -> str:
    """Types `prompt`, answers a permission question if one shows, waits until `done(answer)`
    and the screen is still; returns the screen with its history."""
    tui.type(prompt)

    def finished(screen: str) -> bool:
        tail = "\n".join(after_prompt(screen, prompt) or [])
        if "Do you want to proceed?" in tail and len(tui.answered) < 8:
            tui.answered.append("permission")
            tui.choose("1. Yes" if "1. Yes" in tail else "Yes")
            return False
        return done(answer_text(screen, prompt))

    tui.wait(finished, TURN_TIMEOUT, what, history=True)
    tui.settle()
    return tui.screen(history=True)


def echo_turn(tui: ClaudeInTmux) -> str:
    # `sim:echo` answers the whole last user text: Claude Code's system reminders, then the prompt.
    return turn(tui, "sim:echo hello-from-tmux", lambda answer: "hello-from-tmux" in answer,
                "answer with hello-from-tmux")


def process_state(pid: int) -> tuple[str, int | None]:
    """(state, wait status) of `pid` from /proc: ("gone", None) once reaped; a zombie ("Z") also
    shows its wait status (field 52 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return "gone", None
    fields = stat[stat.rindex(")") + 2:].split()  # from field 3, the state, on
    return fields[0], int(fields[49]) if len(fields) > 49 else None


def exit_claude(tui: ClaudeInTmux):
    """`/exit`, then checks claude ended with status 0. tmux marks the pane dead when its
    terminal closes and learns the status when it reaps the process; now and then (tmux 3.3a)
    it leaves the process a zombie without a status: the zombie's status is read from /proc."""
    tui.type("/exit")
    deadline = time.monotonic() + EXIT_TIMEOUT
    while True:
        dead, status = tui.pane("#{pane_dead}|#{pane_dead_status}#{pane_dead_signal}").split("|")
        state, wait_status = process_state(tui.pid)
        if dead == "1" and status:
            code = status
            break
        if dead == "1" and state == "Z" and wait_status is not None:
            code = str(wait_status >> 8) if wait_status & 0x7F == 0 else f"signal {wait_status & 0x7F}"
            break
        if time.monotonic() >= deadline:
            pytest.fail(f"claude still runs {EXIT_TIMEOUT:.0f} s after /exit (pane dead: {dead}, "
                        f"process: {state}):\n{tui.screen()}", pytrace=False)
        time.sleep(0.2)
    assert code == "0", f"claude ended with {code}:\n{tui.screen(True)[-3000:]}"
    assert process_state(tui.pid)[0] in ("gone", "Z")


# -- tests ----------------------------------------------------------------------------------------

def test_interactive_session_with_an_answer_and_a_bash_call(claude_tui, gateway):
    before = sim_stats(gateway.sim_url).get("converse_requests", 0)
    tui = claude_tui(gateway)

    screen = echo_turn(tui)
    answer = answer_text(screen, "sim:echo hello-from-tmux")
    # The echo (the whole last user text, prompt included) shows as the assistant's message.
    assert "sim:echo hello-from-tmux" in answer, screen[-4000:]

    prompt = "sim:bash:echo tmux-tool-ok"
    screen = turn(tui, prompt, lambda answer: re.search(r"^[●⏺] Tool said: tmux-tool-ok", answer, re.M),
                  "answer to the Bash call")
    lines = after_prompt(screen, prompt)
    tail = "\n".join(lines)
    assert re.search(r"^[●⏺] Bash\(echo tmux-tool-ok\)", tail, re.M), tail
    assert re.search(r"^\s+⎿\s+tmux-tool-ok\s*$", tail, re.M), tail  # the tool's output
    assert sim_stats(gateway.sim_url)["converse_requests"] >= before + 3  # echo, tool_use, answer

    exit_claude(tui)


def test_interactive_turn_through_an_anthropic_upstream(claude_tui, servers, tmp_path):
    sim = servers.simulator()
    path = write_config(tmp_path, f"""
[[upstreams]]
name = "backup"
kind = "anthropic"
endpoint = "{sim.url}"
auth = "x-api-key"
key_env = "BACKUP_API_KEY"
""")
    gw = servers.gateway("--config", str(path), env=clean_env(BACKUP_API_KEY="backup-key-0123456789"),
                         simulate=False)
    tui = claude_tui(gw)

    echo_turn(tui)
    stats = sim_stats(sim.url)
    assert stats["anthropic_requests"] > 0, stats
    assert stats.get("converse_requests", 0) == 0, stats

    exit_claude(tui)
