"""HTTP/1.1 on the gateway's own connection handling, against the real binary.

`POST /v1/messages` is answered on the connection's event loop, in front of Hummingbird's router
which answers everything else. Well-formed messages requests are read straight from the socket's
bytes (`FastMessagesFront`); the first request it does not take hands the connection to NIO's
HTTP codec for good. These tests speak raw HTTP/1.1 to check what that split must not
break: answers in request order when requests are pipelined (messages and router routes mixed,
streaming or not), `connection: close`, HTTP/1.0 (with and without keep-alive), a body over the
limit, and a connection that goes on serving after each of them.
"""

from __future__ import annotations

import json
import re
import socket

import pytest

from prod_kit import Servers, body, fresh


@pytest.fixture(scope="module")
def gw(nexus_bin):
    s = Servers(nexus_bin)
    yield s.gateway("--max-body-bytes", "100000")
    s.stop_all()


class Conn:
    """One raw keep-alive connection, reading answers one by one (content-length or chunked)."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.buf = b""

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buf += data
        return bool(data)

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            assert self._fill(), "connection closed mid-answer"
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            assert self._fill(), "connection closed mid-answer"
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def answer(self) -> tuple[int, dict, bytes]:
        status = int(self._line().split(b" ")[1])
        headers = {}
        while line := self._line():
            name, value = line.split(b":", 1)
            headers[name.decode().lower()] = value.decode().strip()
        if "content-length" in headers:
            return status, headers, self._take(int(headers["content-length"]))
        assert headers.get("transfer-encoding") == "chunked", headers
        out = b""
        while size := int(self._line(), 16):
            out += self._take(size)
            assert self._take(2) == b"\r\n"
        assert self._line() == b""
        return status, headers, out

    def closed(self) -> bool:
        """True when the server closed the connection (after any answer already read)."""
        try:
            return not self._fill() and not self.buf
        except (ConnectionResetError, socket.timeout):
            return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def messages(content: str, *, stream: bool = False, extra: str = "", version: str = "1.1") -> bytes:
    payload = json.dumps(body(content, stream=stream, max_tokens=64)).encode()
    return (b"POST /v1/messages HTTP/%s\r\nhost: gw\r\ncontent-type: application/json\r\n" % version.encode()
            + b"anthropic-version: 2023-06-01\r\n" + extra.encode()
            + b"content-length: %d\r\n\r\n" % len(payload) + payload)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: gw\r\n\r\n".encode()


def test_pipelined_requests_are_answered_in_order(gw):
    with Conn(gw.port) as c:
        c.send(messages(fresh("one")) + get("/health") + messages(fresh("two"), stream=True)
               + get("/v1/models") + messages(fresh("three")))
        status, headers, data = c.answer()
        assert status == 200 and json.loads(data)["type"] == "message"
        # Like the router's answers, with a date (RFC 9110's IMF-fixdate).
        assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", headers["date"]), headers
        status, headers, data = c.answer()
        assert status == 200 and json.loads(data)["status"] == "ok"
        assert "date" in headers
        status, headers, data = c.answer()
        assert status == 200 and headers["content-type"].startswith("text/event-stream")
        assert data.rstrip().endswith(b'data: {"type":"message_stop"}')
        status, headers, data = c.answer()
        assert status == 200 and json.loads(data)["data"]
        status, headers, data = c.answer()
        assert status == 200 and json.loads(data)["type"] == "message"
        # Still open and serving.
        c.send(messages(fresh("four")))
        assert c.answer()[0] == 200


def test_a_router_request_then_messages_pipelined(gw):
    with Conn(gw.port) as c:
        c.send(get("/v1/models") + get("/nope") + messages(fresh("after the router")))
        assert c.answer()[0] == 200
        status, _, data = c.answer()
        assert status == 404 and json.loads(data)["type"] == "error"
        status, _, data = c.answer()
        assert status == 200 and json.loads(data)["type"] == "message"


@pytest.mark.parametrize("stream", [False, True])
def test_connection_close_is_honoured(gw, stream):
    with Conn(gw.port) as c:
        c.send(messages(fresh("bye"), stream=stream, extra="connection: close\r\n"))
        status, headers, data = c.answer()
        assert status == 200 and b"message" in data
        assert headers.get("connection") == "close", headers
        assert c.closed()


def read_to_close(c: Conn) -> bytes:
    while c._fill():
        pass
    return c.buf


@pytest.mark.parametrize("stream", [False, True])
def test_http_1_0_without_keep_alive_is_answered_and_closed(gw, stream):
    """An HTTP/1.0 client keeps no connection unless it asks: the answer ends with the
    connection, and a stream is not chunked (an HTTP/1.0 client cannot read chunks)."""
    with Conn(gw.port) as c:
        c.send(messages(fresh("old client"), stream=stream, version="1.0"))
        raw = read_to_close(c)
    head, _, payload = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), head
    assert b"transfer-encoding" not in head.lower()
    if stream:
        assert payload.rstrip().endswith(b'data: {"type":"message_stop"}')
    else:
        assert json.loads(payload)["type"] == "message"


def test_http_1_0_keep_alive_is_honoured(gw):
    with Conn(gw.port) as c:
        for word in ("first", "second"):
            c.send(messages(fresh(word), version="1.0", extra="connection: keep-alive\r\n"))
            status, headers, data = c.answer()
            assert status == 200 and json.loads(data)["type"] == "message"
            # An HTTP/1.0 client keeps the connection only when told so.
            assert headers.get("connection") == "keep-alive", headers


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/messages/count_tokens"])
def test_expect_100_continue_is_answered_at_once(gw, path):
    """curl sends `Expect: 100-continue` with large bodies and waits a second for the go-ahead
    unless it comes."""
    payload = json.dumps(body(fresh("continue"), max_tokens=64)).encode()
    with Conn(gw.port) as c:
        c.sock.settimeout(0.5)  # well under curl's one-second wait
        c.send(f"POST {path} HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
               f"anthropic-version: 2023-06-01\r\nexpect: 100-continue\r\n"
               f"content-length: {len(payload)}\r\n\r\n".encode())
        assert c._line() == b"HTTP/1.1 100 Continue"
        assert c._line() == b""
        c.sock.settimeout(15)
        c.send(payload)
        status, _, data = c.answer()
        assert status == 200, data
        assert ("input_tokens" in json.loads(data)) if path.endswith("count_tokens") else json.loads(data)["type"] == "message"


def test_errors_keep_the_connection(gw):
    with Conn(gw.port) as c:
        bad = b"{not json"
        c.send(b"POST /v1/messages HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
               b"content-length: %d\r\n\r\n" % len(bad) + bad)
        status, headers, data = c.answer()
        assert status == 400 and json.loads(data)["error"]["type"] == "invalid_request_error"
        assert headers["request-id"].startswith("req_")
        c.send(messages(fresh("after an error")))
        assert c.answer()[0] == 200


def test_a_chunked_body_over_the_limit_is_413_and_the_connection_closes(gw):
    with Conn(gw.port) as c:
        c.send(b"POST /v1/messages HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
               b"transfer-encoding: chunked\r\n\r\n")
        piece = b"x" * 8192
        try:
            for _ in range(20):  # 160 kB > 100 kB
                c.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before the whole body is sent
        status, headers, data = c.answer()
        assert status == 413 and json.loads(data)["error"]["type"] == "request_too_large"
        assert headers.get("connection") == "close"
    # The server goes on serving.
    with Conn(gw.port) as c:
        c.send(messages(fresh("still here")))
        assert c.answer()[0] == 200


def test_pipelined_messages_requests_are_answered_in_order(gw):
    """Several messages requests in one write, all on the fast path."""
    with Conn(gw.port) as c:
        words = [fresh(w) for w in ("alpha", "beta", "gamma")]
        c.send(messages(words[0]) + messages(words[1], stream=True) + messages(words[2]))
        for i, word in enumerate(words):
            status, headers, data = c.answer()
            assert status == 200, data
            if i == 1:
                assert headers["content-type"].startswith("text/event-stream")
                assert headers.get("transfer-encoding") == "chunked", headers
                assert data.rstrip().endswith(b'data: {"type":"message_stop"}')
            else:
                assert json.loads(data)["type"] == "message"


@pytest.mark.parametrize("pieces", [1, 7, 400])
def test_a_request_arriving_in_pieces_is_answered(gw, pieces):
    """Head and body split anywhere (down to single bytes): the request waits for its bytes."""
    request = messages(fresh("in pieces"), extra="X-Api-Key: k\r\nConnection: keep-alive\r\n")
    step = max(1, len(request) // pieces)
    with Conn(gw.port) as c:
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(request), step):
            c.send(request[start:start + step])
        status, _, data = c.answer()
        assert status == 200 and json.loads(data)["type"] == "message"
        c.send(messages(fresh("next")))
        assert c.answer()[0] == 200


def test_a_chunked_messages_request_is_served(gw):
    """`transfer-encoding: chunked` is NIO's to read: the connection is handed over, and it
    goes on serving messages requests."""
    payload = json.dumps(body(fresh("chunked"), max_tokens=64)).encode()
    with Conn(gw.port) as c:
        c.send(messages(fresh("before")))
        assert c.answer()[0] == 200
        c.send(b"POST /v1/messages HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\n"
               b"transfer-encoding: chunked\r\n\r\n"
               + b"%x\r\n" % 10 + payload[:10] + b"\r\n"
               + b"%x\r\n" % (len(payload) - 10) + payload[10:] + b"\r\n0\r\n\r\n")
        status, _, data = c.answer()
        assert status == 200 and json.loads(data)["type"] == "message"
        c.send(messages(fresh("after")))
        assert c.answer()[0] == 200


@pytest.mark.parametrize("request_bytes", [
    b"POST /v1/messages HTTP/1.1\r\nhost: gw\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}",
    b"POST /v1/messages HTTP/1.1\r\nhost: gw\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nhost gw\r\ncontent-length: 2\r\n\r\n{}",
    b"POST /v1/messages HTTP/1.1\r\nx-a: 1\r\n folded\r\ncontent-length: 2\r\n\r\n{}",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
])
def test_malformed_requests_are_refused_and_the_server_goes_on(gw, request_bytes):
    """What the fast path does not take reaches NIO's decoder, which refuses it with a 400
    and closes: never a request read one way here and another way there."""
    with Conn(gw.port) as c:
        c.send(request_bytes)
        status, headers, _ = c.answer()
        assert status == 400 and headers.get("connection", "").lower() == "close"
        assert c.closed()
    with Conn(gw.port) as c:
        c.send(messages(fresh("still here")))
        assert c.answer()[0] == 200
