"""Helpers of the production-behaviour tests (`test_prod_*.py`, issue 5).

Everything here talks to 127.0.0.1 only: gateway and simulator processes started with the real
binary (`$NEXUS_BIN`), a CONNECT proxy and a TLS front written in Python, raw-socket clients.
Every process and thread is bounded in time and stopped by its owner (`Servers.stop_all`).
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx

MODEL = os.environ.get("NEXUS_TEST_MODEL", "claude-sonnet-4-6")
READY = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
SIM_IN_LINE = re.compile(r"simulator \(http://127\.0\.0\.1:(\d+)\)")
SIM_READY = re.compile(r"simulator listening on http://127\.0\.0\.1:(\d+)")
START_TIMEOUT = 30.0

# Variables of the developer's shell that would change what the gateway does.
_STRIPPED = {"NEXUS_API_KEY", "AWS_BEARER_TOKEN_BEDROCK", "NEXUS_PROXY_API_KEY", "NEXUS_ENDPOINT",
             "NEXUS_CONFIG", "NEXUS_CA_BUNDLE", "LOG_LEVEL", "HTTPS_PROXY", "https_proxy",
             "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"}

_EMPTY_HOME = tempfile.mkdtemp(prefix="nexus-prod-home-")


def clean_env(**extra: str) -> dict:
    """The test process's environment without anything that configures the gateway, HOME an
    empty directory (no ~/.config/nexus-claude-api/config.toml), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _STRIPPED}
    env["HOME"] = _EMPTY_HOME
    env.update(extra)
    return env


def fresh(text: str = "") -> str:
    """`text` made unique (the simulator counts `sim:throttle` per distinct text)."""
    return f"{text} run-{uuid.uuid4().hex[:12]}".strip()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Polls `predicate` until it returns a truthy value or `timeout` passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# -- processes ------------------------------------------------------------------------------------

class Proc:
    """A gateway or simulator process. stdout and stderr are read into separate line lists
    (the gateway logs on stderr, prints its banner on stdout)."""

    def __init__(self, args: list[str], name: str, env: dict | None = None):
        self.args = args
        self.name = name
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._lock = threading.Lock()
        self.port: int | None = None
        self.sim_port: int | None = None
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, env=env if env is not None else clean_env(),
            start_new_session=True, errors="replace")
        self._threads = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.stdout_lines),
                             daemon=True, name=f"{name}-stdout"),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr_lines),
                             daemon=True, name=f"{name}-stderr"),
        ]
        for t in self._threads:
            t.start()

    def _read(self, stream, lines):
        for line in stream:
            line = line.rstrip("\n")
            with self._lock:
                lines.append(line)
            if self.port is None:
                m = READY.search(line) or SIM_READY.search(line)
                if m:
                    s = SIM_IN_LINE.search(line)
                    if s:
                        self.sim_port = int(s.group(1))
                    self.port = int(m.group(1))
                    self._ready.set()
        self._ready.set()

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sim_url(self) -> str:
        assert self.sim_port, f"{self.name} runs no built-in simulator"
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def stdout(self) -> str:
        with self._lock:
            return "\n".join(self.stdout_lines)

    @property
    def stderr(self) -> str:
        with self._lock:
            return "\n".join(self.stderr_lines)

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def json_logs(self) -> list[dict]:
        """stderr lines parsed as JSON (`--log-format json`); a line that is not JSON fails."""
        with self._lock:
            lines = list(self.stderr_lines)
        out = []
        for line in lines:
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise AssertionError(f"log line is not JSON ({e}): {line!r}") from None
        return out

    def wait_ready(self, timeout: float = START_TIMEOUT) -> "Proc":
        deadline = time.monotonic() + timeout
        while self.port is None and time.monotonic() < deadline:
            self._ready.wait(0.1)
            if self.proc.poll() is not None and self.port is None:
                break
        if self.port is None:
            code = self.proc.poll()
            self.stop()
            state = f"exited with {code}" if code is not None else f"not ready after {timeout:.0f} s"
            raise AssertionError(f"{self.name} ({' '.join(self.args)}) {state}; output:\n{self.output}")
        return self

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        code = self.proc.wait(timeout)
        for t in self._threads:
            t.join(2)
        return code

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for t in self._threads:
            t.join(2)
        return self.proc.returncode

    # /proc figures of the process, for leak checks.
    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")


class Servers:
    """Starts gateways and simulators and stops them all at the end."""

    def __init__(self, nexus_bin: str):
        self.nexus_bin = nexus_bin
        self.procs: list[Proc] = []

    def gateway(self, *flags: str, env: dict | None = None, simulate: bool = True,
                name: str = "gateway") -> Proc:
        args = [self.nexus_bin, "serve", "--port", "0", "--host", "127.0.0.1"]
        if simulate:
            args.append("--simulate")
        p = Proc(args + list(flags), name, env)
        self.procs.append(p)
        return p.wait_ready()

    def simulator(self, *flags: str) -> Proc:
        """`nexus-claude-api simulate --port 0` with extra flags (`--fault throttle`, …)."""
        p = Proc([self.nexus_bin, "simulate", "--port", "0", *flags], "simulator")
        self.procs.append(p)
        return p.wait_ready()

    def run(self, *args: str, env: dict | None = None, timeout: float = 30) -> subprocess.CompletedProcess:
        """Runs a short command of the binary (`config`, a `serve` that must fail)."""
        return subprocess.run([self.nexus_bin, *args], env=env if env is not None else clean_env(),
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def stop_all(self):
        for p in self.procs:
            p.stop()

    def outputs(self) -> str:
        """What every process printed, each under a header naming its command line (the value
        of `--api-key` masked: the leak tests grep this)."""
        def shown(args):
            return " ".join("****" if i > 0 and args[i - 1] == "--api-key" else a for i, a in enumerate(args))
        return "\n".join(f"--- {p.name} ({shown(p.args[1:])}) ---\n{p.output}" for p in self.procs)


def write_config(directory: Path, text: str, name: str = "config.toml") -> Path:
    path = Path(directory) / name
    path.write_text(text)
    return path


# -- HTTP -----------------------------------------------------------------------------------------

HEADERS = {"anthropic-version": "2023-06-01", "content-type": "application/json"}

# One client for all plain requests: httpx.get()/post() would build a TLS context per call
# (~80 ms). No keep-alive, so every request is still a connection of its own, as before.
HTTP = httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def body(content: str, *, stream: bool = False, max_tokens: int = 256, model: str = MODEL, **extra) -> dict:
    return {"model": model, "max_tokens": max_tokens, "stream": stream,
            "messages": [{"role": "user", "content": content}], **extra}


def post(url: str, content: str, *, headers: dict | None = None, timeout: float = 30,
         client: httpx.Client | None = None, **kw) -> httpx.Response:
    """A non-streaming `POST /v1/messages`."""
    hdrs = {**HEADERS, "x-api-key": "sk-test", **(headers or {})}
    return (client or HTTP).post(f"{url}/v1/messages", json=body(content, **kw), headers=hdrs,
                                  timeout=timeout)


class SSEResult:
    def __init__(self):
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.events: list[tuple[str | None, dict | None]] = []
        self.times: list[float] = []  # seconds since the request started, per event
        self.error_body: dict | None = None
        self.elapsed: float = 0.0

    @property
    def names(self) -> list[str | None]:
        return [e for e, _ in self.events]

    @property
    def text(self) -> str:
        return "".join(d["delta"].get("text", "") for e, d in self.events
                       if e == "content_block_delta" and d)


def stream(url: str, content: str, *, headers: dict | None = None, timeout: float = 30,
           on_event=None, client: httpx.Client | None = None, **kw) -> SSEResult:
    """A streaming `POST /v1/messages`, parsed into events. `on_event(name, data)` is called as
    each event arrives."""
    hdrs = {**HEADERS, "x-api-key": "sk-test", **(headers or {})}
    out = SSEResult()
    started = time.monotonic()
    c = client or HTTP
    with c.stream("POST", f"{url}/v1/messages", json=body(content, stream=True, **kw), headers=hdrs,
                  timeout=timeout) as r:
        out.status = r.status_code
        out.headers = r.headers
        if r.status_code != 200:
            r.read()
            out.error_body = r.json() if r.content else None
            out.elapsed = time.monotonic() - started
            return out
        event, data = None, []
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line[len("event:"):].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:"):].strip())
            elif line == "" and (event or data):
                parsed = json.loads("\n".join(data)) if data else None
                out.events.append((event, parsed))
                out.times.append(time.monotonic() - started)
                if on_event:
                    on_event(event, parsed)
                event, data = None, []
    out.elapsed = time.monotonic() - started
    return out


def sim_stats(sim_url: str, client: httpx.Client | None = None) -> dict:
    """The simulator's `GET /_sim/stats`. Each call on the default client is a connection of its
    own (and counts as one); pass a keep-alive client to watch `connections_open` steadily."""
    return (client or HTTP).get(f"{sim_url}/_sim/stats", timeout=10).json()


def metrics(url: str) -> str:
    r = HTTP.get(f"{url}/metrics", timeout=10)
    assert r.status_code == 200
    return r.text


def metric_value(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name{labels…}` (labels given must match; others are ignored);
    the sum over all matching samples, or None when there is none."""
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
            found = True
    return total if found else None


class RawStream:
    """A streaming request over a bare socket, to read a few events and then vanish like a
    client that was closed (no HTTP library tidying up)."""

    def __init__(self, port: int, content: str, timeout: float = 15, **kw):
        payload = json.dumps(body(content, stream=True, **kw)).encode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.sendall(
            b"POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            b"anthropic-version: 2023-06-01\r\nx-api-key: sk-test\r\n"
            + f"content-length: {len(payload)}\r\n\r\n".encode() + payload)
        self.received = b""

    def read_until(self, marker: bytes, count: int = 1, timeout: float = 15) -> bytes:
        deadline = time.monotonic() + timeout
        while self.received.count(marker) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"did not see {count}× {marker!r} in time; got {self.received[:500]!r}")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed early; got {self.received[:500]!r}")
            self.received += chunk
        return self.received

    def abort(self):
        """Closes with a reset, as a killed client would."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.close()


# -- network fixtures: CONNECT proxy, TLS front, black hole ----------------------------------------

def _pump(a: socket.socket, b: socket.socket, stop: threading.Event, idle: float = 60.0):
    """Copies bytes both ways until either side closes (or `idle` seconds of silence). Blocking
    sockets; TLS sockets may hold decrypted bytes that select() cannot see (`pending()`)."""
    socks = [a, b]
    last = time.monotonic()

    def pending(s):
        return isinstance(s, ssl.SSLSocket) and s.pending() > 0

    try:
        while not stop.is_set():
            readable = [s for s in socks if pending(s)]
            if not readable:
                readable, _, _ = select.select(socks, [], [], 0.2)
            if not readable:
                if time.monotonic() - last > idle:
                    return
                continue
            last = time.monotonic()
            for s in readable:
                other = b if s is a else a
                data = s.recv(65536)
                if not data:
                    return
                other.sendall(data)
    except OSError:
        return
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


class _ThreadedServer:
    """A loopback listener whose connections are each served by a thread."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.connections = 0
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._accept, daemon=True, name=type(self).__name__)
        self.thread.start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            t = threading.Thread(target=self._serve_safely, args=(conn,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve_safely(self, conn):
        try:
            self.serve(conn)
        except Exception:  # noqa: BLE001 - a test server thread must not die loudly
            try:
                conn.close()
            except OSError:
                pass

    def serve(self, conn: socket.socket):
        raise NotImplementedError

    def close(self):
        self.stopping.set()
        self.listener.close()
        self.thread.join(2)
        for t in self.threads:
            t.join(2)


class ConnectProxy(_ThreadedServer):
    """An HTTP CONNECT proxy on loopback. `routes` maps `host:port` (as the client names it) to a
    loopback port; anything else is refused with 403, so nothing ever leaves the machine. It
    records each CONNECT target and `Proxy-Authorization` header, and each plain (non-CONNECT)
    request line. A plain request in absolute form (`POST http://host:port/path`) to a host in
    `plain_routes` is forwarded there as is, with the rest of its connection (an HTTP/1.1 server
    takes absolute-form targets); any other plain request gets a 502."""

    def __init__(self, routes: dict[str, int], plain_routes: dict[str, int] | None = None):
        self.routes = routes
        self.plain_routes = plain_routes or {}
        self.tunnels: list[str] = []
        self.plain_requests: list[str] = []
        self.authorizations: list[str | None] = []
        super().__init__()

    def serve(self, conn: socket.socket):
        conn.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            head += chunk
            if len(head) > 65536:
                conn.close()
                return
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        auth = next((l.split(":", 1)[1].strip() for l in lines[1:]
                     if l.lower().startswith("proxy-authorization:")), None)
        with self.lock:
            self.authorizations.append(auth)
        if method != "CONNECT":
            with self.lock:
                self.plain_requests.append(lines[0])
            authority = target.split("://", 1)[1].split("/", 1)[0].lower() if "://" in target else ""
            if authority and ":" not in authority:
                authority += ":80"
            port = self.plain_routes.get(authority)
            if port is None:
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                conn.close()
                return
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
            upstream.sendall(head)
            conn.settimeout(None)
            upstream.settimeout(None)
            _pump(conn, upstream, self.stopping)
            return
        with self.lock:
            self.tunnels.append(target)
        port = self.routes.get(target.lower())
        if port is None:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")
            conn.close()
            return
        upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        conn.settimeout(None)
        upstream.settimeout(None)
        _pump(conn, upstream, self.stopping)


class TLSFront(_ThreadedServer):
    """Terminates TLS with `cert`/`key` and forwards the plain bytes to `backend_port` (the
    simulator), like a load balancer in front of AI Nexus. HTTP/1.1 only (ALPN)."""

    def __init__(self, cert: Path, key: Path, backend_port: int):
        self.backend_port = backend_port
        self.handshake_failures = 0
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.context.set_alpn_protocols(["http/1.1"])
        super().__init__()

    def serve(self, conn: socket.socket):
        conn.settimeout(10)
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            with self.lock:
                self.handshake_failures += 1
            conn.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=10)
        tls.settimeout(None)
        backend.settimeout(None)
        _pump(tls, backend, self.stopping)


class BlackHole:
    """A loopback port that accepts TCP handshakes for nobody: a listener with a backlog of 0,
    whose queue is filled by a few connections of our own, so further SYNs are dropped and a
    connect attempt hangs until the client's connect timeout."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)
        self.port = self.listener.getsockname()[1]
        self.fillers = []
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(s)
        time.sleep(0.2)

    def is_black(self) -> bool:
        """True when a new connect attempt does not complete within 0.5 s."""
        probe = socket.socket()
        probe.settimeout(0.5)
        try:
            probe.connect(("127.0.0.1", self.port))
            return False
        except (socket.timeout, TimeoutError):
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def close(self):
        for s in self.fillers:
            s.close()
        self.listener.close()


def make_certs(directory: Path, hostnames: list[str]) -> dict[str, Path]:
    """A throwaway CA and a server certificate for `hostnames` (and 127.0.0.1) signed by it,
    made with the openssl CLI. Returns paths: ca, cert, key, other_ca (an unrelated CA)."""
    d = Path(directory)

    def openssl(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key",
                "-out", f"{ca}.pem", "-days", "2", "-subj", f"/CN=nexus-claude-api test {ca}",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", f"/CN={hostnames[0]}")
    san = ",".join([f"DNS:{h}" for h in hostnames] + ["IP:127.0.0.1"])
    (d / "ext.cnf").write_text(
        f"subjectAltName={san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key",
            "other_ca": d / "other-ca.pem"}


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# -- shared test settings and checks ---------------------------------------------------------------

# Quick pings and retries, for tests that wait on them.
FAST = """
[timeouts]
ping_interval = 0.25
[retries]
base_delay = 0.05
max_delay = 0.2
"""


def error_of(r: httpx.Response) -> dict:
    """The `error` object of an Anthropic-shaped error answer (with its request id checked)."""
    data = r.json()
    assert data["type"] == "error", data
    assert data["request_id"] == r.headers["request-id"]
    return data["error"]


def failures_both_ways(url: str, content: str) -> list[tuple[int, dict]]:
    """Status and error object of `content` sent non-streaming, then streaming."""
    r = post(url, content)
    s = stream(url, content)
    return [(r.status_code, error_of(r)), (s.status, s.error_body["error"])]

