"""Issue 5: what the owner sees. One structured log line per request (text and JSON), the log
level, and the Prometheus metrics at `GET /metrics`."""

from __future__ import annotations

import re
import threading

import pytest

from prod_kit import (
    FAST, HTTP, HEADERS, MODEL, RawStream, Servers, clean_env, fresh, metric_value, metrics, post,
    stream, wait_until, write_config,
)

LINE_KEYS = {"request.id", "model.asked", "model.sent", "stream", "status", "upstream.status",
             "retries", "latency.first_byte_ms", "latency.ms", "tokens.in", "tokens.out",
             "tokens.cache_read", "tokens.cache_write"}
INT_KEYS = LINE_KEYS - {"request.id", "model.asked", "model.sent", "stream"}


@pytest.fixture(scope="module")
def jgw(nexus_bin, tmp_path_factory):
    cfg = write_config(tmp_path_factory.mktemp("obs"), FAST)
    s = Servers(nexus_bin)
    g = s.gateway("--config", str(cfg), "--log-format", "json", "--idle-timeout", "1")
    yield g
    s.stop_all()


def request_lines(g, rid):
    return [l for l in g.json_logs() if l.get("request.id") == rid
            and l["msg"] in ("request done", "request failed")]


def the_line(g, rid):
    lines = wait_until(lambda: request_lines(g, rid), 3)
    assert len(lines) == 1, f"expected one line for {rid}, got {lines}"
    line = lines[0]
    assert LINE_KEYS <= set(line), f"missing {LINE_KEYS - set(line)} in {line}"
    for key in INT_KEYS:
        assert isinstance(line[key], int), (key, line)
    assert isinstance(line["stream"], bool)
    assert line["level"] == "info" and line["label"] == "nexus-claude-api" and line["ts"]
    return line


def test_one_json_line_per_request(jgw):
    canary = fresh("canary-prompt")
    ok = post(jgw.url, f"hello {canary}")
    line = the_line(jgw, ok.headers["request-id"])
    assert line["msg"] == "request done"
    assert line["model.asked"] == MODEL and line["model.sent"] == "claude-sonnet-4.6"
    assert line["stream"] is False and line["status"] == 200 and line["upstream.status"] == 200
    assert line["retries"] == 0
    assert line["tokens.in"] == ok.json()["usage"]["input_tokens"] > 0
    assert line["tokens.out"] == ok.json()["usage"]["output_tokens"] > 0
    assert 0 <= line["latency.first_byte_ms"] <= line["latency.ms"] < 10_000

    s = stream(jgw.url, fresh("sim:throttle:1 sim:long:30"))
    line = the_line(jgw, s.headers["request-id"])
    assert line["stream"] is True and line["status"] == 200 and line["retries"] == 1
    assert line["outcome"] == "ok"
    assert line["tokens.out"] == 30
    assert line["latency.first_byte_ms"] <= line["latency.ms"]

    bad = post(jgw.url, fresh("sim:error:validation"))
    line = the_line(jgw, bad.headers["request-id"])
    assert line["msg"] == "request failed"
    assert line["status"] == 400 and line["upstream.status"] == 400
    assert line["error.type"] == "invalid_request_error" and line["error"]

    throttled = post(jgw.url, fresh("sim:throttle:100"))
    line = the_line(jgw, throttled.headers["request-id"])
    assert line["status"] == 429 and line["upstream.status"] == 429 and line["retries"] == 3
    assert throttled.headers["x-nexus-retries"] == "3"

    timed_out = stream(jgw.url, fresh("sim:stream_silent:3 sim:long:6"))
    line = the_line(jgw, timed_out.headers["request-id"])
    assert line["outcome"] == "idle timeout"

    invalid = HTTP.post(f"{jgw.url}/v1/messages", content=b"{not json", headers=HEADERS, timeout=10)
    line = the_line(jgw, invalid.headers["request-id"])
    assert line["status"] == 400 and line["model.sent"] == "" and line["upstream.status"] == 0

    # A client that leaves mid-stream still gets its line.
    raw = RawStream(jgw.port, fresh("sim:long:20000"), max_tokens=30000)
    head = raw.read_until(b"event: content_block_delta")
    raw.abort()
    rid = re.search(rb"request-id: (\S+)", head, re.I).group(1).decode()
    line = the_line(jgw, rid)
    assert line["outcome"] == "client gone"

    # Prompt caching shows in the cache token fields.
    cached = dict(system=[{"type": "text", "text": "You are terse. " * 50,
                           "cache_control": {"type": "ephemeral"}}])
    first = post(jgw.url, fresh("cache me"), **cached)
    second = post(jgw.url, fresh("cache me"), **cached)
    assert the_line(jgw, first.headers["request-id"])["tokens.cache_write"] > 0
    assert the_line(jgw, second.headers["request-id"])["tokens.cache_read"] > 0

    # Every line is JSON (json_logs fails otherwise); prompts are not logged at info.
    assert canary not in jgw.stderr


def test_text_logs_and_levels(servers, tmp_path):
    cfg = str(write_config(tmp_path, FAST))
    g = servers.gateway("--config", cfg)  # text, info
    r = post(g.url, fresh("sim:throttle:1"))
    rid = r.headers["request-id"]
    done = wait_until(lambda: [l for l in g.stderr_lines if rid in l and "request done" in l], 3)
    assert done, g.stderr
    for field in ("model.asked=", "model.sent=", "stream=false", "status=200", "upstream.status=200",
                  "retries=1", "latency.first_byte_ms=", "latency.ms=", "tokens.in=", "tokens.out=",
                  "tokens.cache_read=", "tokens.cache_write="):
        assert field in done[0], (field, done[0])
    assert any("retrying upstream" in l and "reason=" in l and "warning" in l for l in g.stderr_lines)

    quiet = servers.gateway("--config", cfg, "--log-level", "warning")
    post(quiet.url, fresh("sim:throttle:1"))
    assert wait_until(lambda: "retrying upstream" in quiet.stderr, 3)
    assert "request done" not in quiet.stderr

    chatty = servers.gateway("--config", cfg, env=clean_env(LOG_LEVEL="debug"))
    post(chatty.url, fresh("hello"))
    assert wait_until(lambda: "translated request" in chatty.stderr, 3)
    # The flag wins over LOG_LEVEL.
    flagged = servers.gateway("--config", cfg, "--log-level", "error", env=clean_env(LOG_LEVEL="debug"))
    post(flagged.url, fresh("hello"))
    assert "translated request" not in flagged.stderr and "request done" not in flagged.stderr


def test_prometheus_metrics(jgw):
    post(jgw.url, fresh("metrics plain"))
    stream(jgw.url, fresh("metrics stream sim:long:5"))
    post(jgw.url, fresh("sim:throttle:1"))
    post(jgw.url, fresh("sim:throttle:100"))
    post(jgw.url, fresh("sim:error:validation"))

    # A stream in flight shows in the gauge.
    started = threading.Event()
    t = threading.Thread(target=stream, args=(jgw.url, fresh("sim:stream_silent:0.8 sim:long:4")),
                         kwargs={"on_event": lambda *_: started.set()})
    t.start()
    try:
        assert started.wait(10)
        assert metric_value(metrics(jgw.url), "nexus_streams_in_flight") == 1
    finally:
        t.join(10)

    text = metrics(jgw.url)
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert types["nexus_requests_total"] == "counter"
    assert types["nexus_request_duration_seconds"] == "histogram"
    assert types["nexus_first_byte_seconds"] == "histogram"
    assert types["nexus_tokens_total"] == "counter"
    assert types["nexus_upstream_retries_total"] == "counter"
    assert types["nexus_upstream_errors_total"] == "counter"
    assert types["nexus_streams_in_flight"] == "gauge"

    m = lambda name, **labels: metric_value(text, name, **labels)  # noqa: E731
    assert m("nexus_requests_total", model=MODEL, status="200", stream="false") >= 2
    assert m("nexus_requests_total", model=MODEL, status="200", stream="true") >= 2
    assert m("nexus_requests_total", model=MODEL, status="429", stream="false") >= 1
    assert m("nexus_requests_total", model=MODEL, status="400", stream="false") >= 1
    assert m("nexus_request_duration_seconds_count", stream="false") >= 4
    assert m("nexus_request_duration_seconds_bucket", stream="false", le="+Inf") >= 4
    assert m("nexus_first_byte_seconds_count", stream="true") >= 2
    assert m("nexus_tokens_total", model=MODEL, kind="input") > 0
    assert m("nexus_tokens_total", model=MODEL, kind="output") > 0
    # 1 retry for throttle:1, 3 for the permanent throttle (the failed request counts too).
    assert m("nexus_upstream_retries_total", model=MODEL) >= 4
    assert m("nexus_upstream_errors_total", type="rate_limit_error") >= 1
    assert m("nexus_streams_in_flight") == 0
