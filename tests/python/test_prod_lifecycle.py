"""Issue 5: shutdown (SIGTERM during answers) and clients that go away mid-stream."""

from __future__ import annotations

import signal
import socket
import threading
import time

import httpx
import pytest

from prod_kit import (
    RawStream, fresh, metric_value, metrics, post, sim_stats, stream, wait_until, write_config,
)

PINGS = "[timeouts]\nping_interval = 0.25\n"


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def test_sigterm_lets_running_answers_finish_then_exits_0(servers, tmp_path):
    g = servers.gateway("--config", str(write_config(tmp_path, PINGS)), "--shutdown-grace", "10")
    results = {}
    streaming = threading.Event()

    def on_event(name, _):
        if name == "content_block_delta":
            streaming.set()

    threads = [
        threading.Thread(target=lambda: results.__setitem__(
            "stream", stream(g.url, fresh("sim:stream_silent:2 sim:long:20"), on_event=on_event))),
        threading.Thread(target=lambda: results.__setitem__(
            "plain", post(g.url, fresh("sim:slow_first_byte:1.5")))),
    ]
    for t in threads:
        t.start()
    try:
        assert streaming.wait(10), "the stream did not start"
        time.sleep(0.3)  # the non-streaming request is in flight too
        g.signal(signal.SIGTERM)
        signalled = time.monotonic()
        # It stops accepting at once...
        assert wait_until(lambda: refuses_connections(g.port), 2), "still accepting after SIGTERM"
    finally:
        for t in threads:
            t.join(15)
    # ...while the running answers complete within the grace period.
    s = results["stream"]
    assert s.names[-1] == "message_stop", s.names[-4:]
    assert "error" not in s.names
    assert len(s.text.split()) == 20
    assert results["plain"].status_code == 200, results["plain"].text
    assert g.wait(10) == 0, g.output
    assert time.monotonic() - signalled < 6


@pytest.mark.parametrize("pings,grace", [(PINGS, "1"), ("", "2")], ids=["ping-0.25s", "default-ping"])
def test_sigterm_past_the_grace_period_cuts_streams_with_an_error_event(servers, tmp_path, pings, grace):
    g = servers.gateway("--config", str(write_config(tmp_path, pings)), "--shutdown-grace", grace)
    results = {}
    streaming = threading.Event()
    t = threading.Thread(target=lambda: results.__setitem__("stream", stream(
        g.url, fresh("sim:stream_silent:8 sim:long:20"),
        on_event=lambda name, _: streaming.set() if name == "content_block_delta" else None)))
    t.start()
    try:
        assert streaming.wait(10)
        g.signal(signal.SIGTERM)
        signalled = time.monotonic()
    finally:
        t.join(15)
    s = results["stream"]
    assert s.names[-1] == "error", s.names[-4:]
    assert "message_stop" not in s.names
    assert s.events[-1][1]["error"]["type"] == "overloaded_error"
    assert g.wait(10) == 0, g.output
    assert time.monotonic() - signalled < 5


def test_sigint_also_stops_gracefully(servers):
    g = servers.gateway()
    assert post(g.url, "hi").status_code == 200
    g.signal(signal.SIGINT)
    assert g.wait(10) == 0, g.output


def test_client_disconnect_cancels_the_upstream_stream(servers, tmp_path):
    g = servers.gateway("--config", str(write_config(tmp_path, PINGS)))
    with httpx.Client() as stats_client:  # one steady connection for the stats
        # 1,000 deltas, 3 s of silence, 1,000 more: the upstream stream is surely still running
        # at the check below (a firehose would not be: the buffers between the simulator and
        # this client hold several MB on loopback, and a fast gateway fills them in no time).
        raw = RawStream(g.port, fresh("sim:stream_silent:3 sim:long:2000"), max_tokens=4000)
        try:
            raw.read_until(b"event: content_block_delta", count=20)
            before = sim_stats(g.sim_url, stats_client)
            assert before["streams_active"] == 1, "the upstream stream should still be running"
        finally:
            raw.abort()
        # The gateway cuts the upstream connection (not finished and pooled). The simulator
        # sees it at its next write, once its silence is over; were the connection left open,
        # its stream would wait on the gateway's held reads for good.
        assert wait_until(lambda: sim_stats(g.sim_url, stats_client)["streams_active"] == 0, 6), \
            "the upstream stream was not cancelled after the client left"
        assert wait_until(lambda: sim_stats(g.sim_url, stats_client)["connections_open"]
                          == before["connections_open"] - 1, 2)
    assert wait_until(lambda: metric_value(metrics(g.url), "nexus_streams_in_flight") == 0, 2)
    assert wait_until(lambda: "outcome=client gone" in g.stderr, 2), g.stderr
    assert post(g.url, fresh("still serving")).status_code == 200
    s = stream(g.url, fresh("sim:long:5"))
    assert s.names[-1] == "message_stop"


def test_client_disconnect_during_upstream_silence_is_noticed(servers, tmp_path):
    g = servers.gateway("--config", str(write_config(tmp_path, PINGS)))
    raw = RawStream(g.port, fresh("sim:stream_silent:3 sim:long:10"))
    try:
        raw.read_until(b"event: content_block_delta")
        assert metric_value(metrics(g.url), "nexus_streams_in_flight") == 1
    finally:
        raw.abort()
    # The next ping finds the client gone: the stream ends long before the silence does.
    assert wait_until(lambda: metric_value(metrics(g.url), "nexus_streams_in_flight") == 0, 2)
    assert post(g.url, fresh("still serving")).status_code == 200
