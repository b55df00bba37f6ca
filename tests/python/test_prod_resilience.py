"""Issue 5: retries, timeouts, limits and malformed upstream answers, against the real binary.

Most tests share one `serve --simulate` with small timeouts and fast retry backoff (a config
file sets what has no flag: the ping interval and the backoff); tests whose flags clash start
their own gateway. Upstream request counts come from the simulator's `GET /_sim/stats`.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from prod_kit import (
    FAST, HTTP, HEADERS, Servers, body, clean_env, error_of, failures_both_ways, fresh, free_port, post,
    sim_stats, stream, wait_until, write_config,
)


@pytest.fixture(scope="module")
def gw(nexus_bin, tmp_path_factory):
    """A gateway with first-byte and idle timeouts of 1 s, a 100 kB body limit, fast backoff."""
    cfg = write_config(tmp_path_factory.mktemp("resilience"), FAST)
    s = Servers(nexus_bin)
    g = s.gateway("--config", str(cfg), "--log-format", "json", "--first-byte-timeout", "1",
                  "--idle-timeout", "1", "--max-body-bytes", "100000")
    yield g
    s.stop_all()


def upstream_requests(g) -> int:
    return sim_stats(g.sim_url)["requests"]


# -- retries ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 3])
def test_throttled_n_times_then_success(gw, n):
    before = upstream_requests(gw)
    r = post(gw.url, fresh(f"sim:throttle:{n}"))
    assert r.status_code == 200, r.text
    assert r.headers["x-nexus-retries"] == str(n)
    assert upstream_requests(gw) - before == n + 1
    assert r.json()["content"][0]["text"].startswith("Hello from the AI Nexus simulator")


def test_throttled_stream_is_retried_before_the_first_byte(gw):
    before = upstream_requests(gw)
    s = stream(gw.url, fresh("sim:throttle:2"))
    assert s.status == 200
    assert s.headers["x-nexus-retries"] == "2"
    assert s.names[0] == "message_start" and s.names[-1] == "message_stop", s.names
    assert upstream_requests(gw) - before == 3


def test_untrottled_request_says_zero_retries(gw):
    r = post(gw.url, fresh("plain"))
    assert r.status_code == 200
    assert r.headers["x-nexus-retries"] == "0"


def test_permanent_throttling_ends_in_429_after_max_attempts(gw):
    before = upstream_requests(gw)
    started = time.monotonic()
    r = post(gw.url, fresh("sim:throttle:1000"))
    assert r.status_code == 429, r.text
    assert error_of(r)["type"] == "rate_limit_error"
    if "retry-after" in r.headers:
        assert int(r.headers["retry-after"]) >= 0
    assert upstream_requests(gw) - before == 4  # the default --max-attempts
    assert time.monotonic() - started < 5
    # Every retry is logged with its reason, under the request's id.
    rid = r.headers["request-id"]
    retries = wait_until(lambda: [l for l in gw.json_logs()
                                  if l.get("request.id") == rid and l["msg"] == "retrying upstream"], 2)
    assert len(retries) == 3, retries
    assert all("429" in l["reason"] and "rate_limit_error" in l["reason"] for l in retries)
    assert [l["attempt"] for l in retries] == [1, 2, 3]


@pytest.mark.parametrize("name,status,etype", [
    ("model_not_ready", 429, "rate_limit_error"),
    ("internal", 500, "api_error"),
    ("unavailable", 529, "overloaded_error"),
])
def test_transient_upstream_errors_are_retried(gw, name, status, etype):
    before = upstream_requests(gw)
    r = post(gw.url, fresh(f"sim:error:{name}"))
    assert r.status_code == status, r.text
    assert error_of(r)["type"] == etype
    assert upstream_requests(gw) - before == 4


@pytest.mark.parametrize("name,status,etype", [
    ("validation", 400, "invalid_request_error"),
    ("too_long", 400, "invalid_request_error"),
    ("access_denied", 403, "permission_error"),
    ("not_found", 404, "not_found_error"),
])
def test_client_errors_are_never_retried(gw, name, status, etype):
    for streaming in (False, True):
        before = upstream_requests(gw)
        text = fresh(f"sim:error:{name}")
        if streaming:
            s = stream(gw.url, text)
            got_status, err, headers = s.status, s.error_body["error"], s.headers
        else:
            r = post(gw.url, text)
            got_status, err, headers = r.status_code, error_of(r), r.headers
        assert got_status == status, err
        assert err["type"] == etype
        assert headers.get("x-nexus-retries", "0") == "0"
        assert upstream_requests(gw) - before == 1, f"{name} (stream={streaming}) was retried"


def test_unreachable_upstream_is_502_naming_the_endpoint(servers):
    port = free_port()
    g = servers.gateway("--endpoint", f"http://127.0.0.1:{port}", "--max-attempts", "2",
                        env=clean_env(NEXUS_API_KEY="k-unreachable"), simulate=False)
    started = time.monotonic()
    for status, err in failures_both_ways(g.url, "hello"):
        assert status == 502, err
        assert err["type"] == "api_error"
        assert f"127.0.0.1:{port}" in err["message"]
    assert time.monotonic() - started < 15
    # One retry per request (2 attempts), logged with the reason.
    assert wait_until(lambda: g.stderr.count("retrying upstream") == 2, 2), g.stderr
    r = HTTP.get(f"{g.url}/health", timeout=5)
    assert r.status_code == 200


# -- timeouts ---------------------------------------------------------------------------------------

def test_first_byte_timeout_non_stream(gw):
    before = upstream_requests(gw)
    started = time.monotonic()
    r = post(gw.url, fresh("sim:slow_first_byte:4"))
    elapsed = time.monotonic() - started
    assert r.status_code == 504, r.text
    assert error_of(r)["type"] == "timeout_error"
    assert 0.8 < elapsed < 2.5, elapsed
    assert upstream_requests(gw) - before == 1, "a timeout is not retried"


def test_first_byte_timeout_stream(gw):
    s = stream(gw.url, fresh("sim:slow_first_byte:4"))
    assert s.status == 504, s.error_body
    assert s.error_body["error"]["type"] == "timeout_error"
    assert 0.8 < s.elapsed < 2.5, s.elapsed


def test_idle_timeout_pings_then_fails_the_stream(gw):
    s = stream(gw.url, fresh("sim:stream_silent:5 sim:long:20"))
    assert s.status == 200
    names = s.names
    assert names[0] == "message_start"
    assert "content_block_delta" in names
    assert names[-1] == "error", names
    assert "message_stop" not in names
    err = s.events[-1][1]["error"]
    assert err["type"] == "timeout_error", err
    assert "ping" in names[names.index("content_block_delta"):], "pings keep the client alive while upstream is silent"
    assert s.elapsed < 3.5, s.elapsed


@pytest.fixture(scope="module")
def patient(nexus_bin, tmp_path_factory):
    """First byte within 1 s, but 5 s of silence allowed mid-stream; 3 s in all."""
    cfg = write_config(tmp_path_factory.mktemp("patient"), FAST)
    s = Servers(nexus_bin)
    g = s.gateway("--config", str(cfg), "--first-byte-timeout", "1", "--idle-timeout", "5",
                  "--total-timeout", "3")
    yield g
    s.stop_all()


def test_a_pause_longer_than_the_first_byte_timeout_is_not_cut(patient):
    # The first-byte timeout bounds the wait for the answer to start, not the silences of a
    # stream (a model thinking): those are the idle timeout's.
    s = stream(patient.url, fresh("sim:stream_silent:1.8 sim:long:10"))
    assert s.status == 200
    assert s.names[-1] == "message_stop", s.events[-3:]
    assert "ping" in s.names
    assert len(s.text.split()) == 10


def test_total_timeout_cuts_a_stream(patient):
    s = stream(patient.url, fresh("sim:stream_silent:8 sim:long:10"))
    assert s.status == 200
    assert s.names[-1] == "error", s.names
    assert s.events[-1][1]["error"]["type"] == "timeout_error"
    assert 2.5 < s.elapsed < 5, s.elapsed


def test_total_timeout_bounds_a_non_streaming_request(servers):
    g = servers.gateway("--first-byte-timeout", "20", "--total-timeout", "1")
    started = time.monotonic()
    r = post(g.url, fresh("sim:slow_first_byte:2.5"))
    elapsed = time.monotonic() - started
    assert r.status_code == 504, r.text
    assert error_of(r)["type"] == "timeout_error"
    assert elapsed < 2.5, elapsed


# -- malformed upstream answers ----------------------------------------------------------------------

@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("marker", ["sim:malformed_json", "sim:wrong_content_type"])
def test_unreadable_upstream_answer_is_502(gw, marker, streaming):
    started = time.monotonic()
    if streaming:
        s = stream(gw.url, fresh(marker))
        status, err = s.status, s.error_body and s.error_body["error"]
    else:
        r = post(gw.url, fresh(marker))
        status, err = r.status_code, error_of(r)
    assert status == 502, err
    assert err["type"] == "api_error"
    assert "AI Nexus" in err["message"]
    if marker == "sim:wrong_content_type":
        assert "text/html" in err["message"], err["message"]
    assert time.monotonic() - started < 5
    assert post(gw.url, fresh("still serving")).status_code == 200


# -- limits -----------------------------------------------------------------------------------------

def test_body_over_the_limit_is_413(gw):
    big = "word " * 30_000  # 150 kB > 100 kB
    r = post(gw.url, big)
    assert r.status_code == 413, r.text[:300]
    assert error_of(r)["type"] == "request_too_large"
    # Without content-length (chunked), the limit holds while reading.
    payload = httpx.Request("POST", "/", json=body(big)).read()

    def chunks():
        for i in range(0, len(payload), 8192):
            yield payload[i:i + 8192]

    r = HTTP.post(f"{gw.url}/v1/messages", content=chunks(), headers={**HEADERS, "x-api-key": "k"},
                   timeout=30)
    assert r.status_code == 413, r.text[:300]
    assert error_of(r)["type"] == "request_too_large"
    # Just under the limit is served.
    r = post(gw.url, "word " * 18_000)
    assert r.status_code == 200, r.text[:300]


def test_oversized_headers_get_a_4xx_and_the_server_keeps_serving(gw):
    payload = b'{"model":"claude-sonnet-4-6","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}'
    with socket.create_connection(("127.0.0.1", gw.port), timeout=10) as sock:
        sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
                     b"x-filler: " + b"a" * 200_000 + b"\r\n"
                     + f"content-length: {len(payload)}\r\n\r\n".encode() + payload)
        response = b""
        try:
            while b"\r\n" not in response:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                response += chunk
        except ConnectionResetError:
            pass
    status_line = response.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/1.1 4"), f"expected a 4xx, got {status_line!r}"
    assert post(gw.url, fresh("after the big header")).status_code == 200
    # Many small headers that fit are fine.
    r = HTTP.post(f"{gw.url}/v1/messages", json=body("hi"),
                   headers={**HEADERS, **{f"x-h{i}": "v" * 100 for i in range(100)}}, timeout=10)
    assert r.status_code == 200


def test_concurrency_limit_answers_429_and_frees_the_slot(servers, tmp_path):
    cfg = write_config(tmp_path, FAST)
    g = servers.gateway("--config", str(cfg), "--max-concurrent-requests", "1")
    started = threading.Event()
    results = {}

    def long_stream():
        results["first"] = stream(g.url, fresh("sim:stream_silent:1.5 sim:long:6"),
                                  on_event=lambda name, _: started.set())

    t = threading.Thread(target=long_stream)
    t.start()
    try:
        assert started.wait(10), "the first stream did not start"
        r = post(g.url, fresh("second"))
        assert r.status_code == 429, r.text
        assert error_of(r)["type"] == "rate_limit_error"
        assert r.headers.get("retry-after") == "1"
        s = stream(g.url, fresh("third"))
        assert s.status == 429
        # Health and metrics are not requests to AI Nexus: never limited.
        assert HTTP.get(f"{g.url}/health", timeout=5).status_code == 200
    finally:
        t.join(15)
    assert results["first"].names[-1] == "message_stop"
    # The slot is free again once the stream ended.
    assert wait_until(lambda: post(g.url, fresh("after")).status_code == 200, 3)
