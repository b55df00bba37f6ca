"""Issue 5: a bounded soak. Mixed streaming and non-streaming traffic from several threads,
with retries, client errors and clients that vanish mid-stream, against a gateway in front of a
standalone simulator. Afterwards: no unexpected answer, nothing left running upstream, open file
descriptors and RSS back near where they started.

NEXUS_SOAK_SECONDS sets the traffic time (default 30 s; the test takes about 10 s more).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import httpx

from prod_kit import (
    MODEL, RawStream, clean_env, fresh, metric_value, metrics, post, sim_stats, stream, wait_until,
    write_config,
)

SOAK_SECONDS = float(os.environ.get("NEXUS_SOAK_SECONDS", "30"))
THREADS = 4
CONFIG = """
[timeouts]
ping_interval = 0.5
[retries]
base_delay = 0.05
max_delay = 0.2
"""

KINDS = ["plain", "plain", "long", "stream", "stream", "stream", "throttled", "disconnect",
         "client_error", "count"]


def one(kind: str, g, c: httpx.Client, rng: random.Random) -> str | None:
    """Runs one exchange; returns a description of what went wrong, or None."""
    if kind == "plain":
        r = post(g.url, f"soak plain {rng.random()}", client=c, max_tokens=64)
        return None if r.status_code == 200 and r.json()["content"] else f"plain: {r.status_code} {r.text[:200]}"
    if kind == "long":
        r = post(g.url, "sim:long:300", client=c, max_tokens=1000)
        ok = r.status_code == 200 and len(r.json()["content"][0]["text"].split()) == 300
        return None if ok else f"long: {r.status_code} {r.text[:200]}"
    if kind == "stream":
        words = rng.randint(20, 150)
        s = stream(g.url, f"sim:long:{words}", client=c, max_tokens=1000)
        ok = s.status == 200 and s.names[-1] == "message_stop" and len(s.text.split()) == words
        return None if ok else f"stream: {s.status} {s.names[-3:]} {s.error_body}"
    if kind == "throttled":
        r = post(g.url, fresh("sim:throttle:1"), client=c)
        ok = r.status_code == 200 and r.headers.get("x-nexus-retries") == "1"
        return None if ok else f"throttled: {r.status_code} {r.headers.get('x-nexus-retries')} {r.text[:200]}"
    if kind == "disconnect":
        raw = RawStream(g.port, "sim:long:5000", max_tokens=6000)
        try:
            raw.read_until(b"event: content_block_delta", count=rng.randint(1, 30))
        finally:
            raw.abort()
        return None
    if kind == "client_error":
        r = post(g.url, fresh("sim:error:validation"), client=c)
        return None if r.status_code == 400 else f"client_error: {r.status_code} {r.text[:200]}"
    if kind == "count":
        r = c.post(f"{g.url}/v1/messages/count_tokens", timeout=30,
                   json={"model": MODEL, "messages": [{"role": "user", "content": "count me"}]},
                   headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
        return None if r.status_code == 200 and r.json()["input_tokens"] > 0 else f"count: {r.status_code}"
    raise AssertionError(kind)


def traffic(g, seconds: float, seed: int) -> tuple[Counter, list[str]]:
    done: Counter = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(n):
        rng = random.Random(seed * 100 + n)
        with httpx.Client(timeout=30) as c:  # keep-alive, like a real client
            while time.monotonic() < deadline:
                kind = rng.choice(KINDS)
                try:
                    problem = one(kind, g, c, rng)
                except Exception as e:  # noqa: BLE001 - every failure is reported below
                    problem = f"{kind}: {type(e).__name__}: {e}"
                with lock:
                    done[kind] += 1
                    if problem:
                        problems.append(problem)

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    assert not any(t.is_alive() for t in threads), "a soak worker hung"
    return done, problems


def settled(g, sim) -> bool:
    return (sim_stats(sim.url)["streams_active"] == 0
            and metric_value(metrics(g.url), "nexus_streams_in_flight") == 0)


def test_soak(servers, tmp_path):
    sim = servers.simulator()
    g = servers.gateway("--endpoint", sim.url, "--config", str(write_config(tmp_path, CONFIG)),
                        env=clean_env(NEXUS_API_KEY="soak-key"), simulate=False)
    # Warm up with the same mix, so pools and caches are at their working size.
    _, problems = traffic(g, 3, seed=1)
    assert problems == []
    assert wait_until(lambda: settled(g, sim), 5)
    time.sleep(0.5)
    fds0, rss0 = g.open_fds(), g.rss_kb()

    done, problems = traffic(g, SOAK_SECONDS, seed=2)

    assert problems == [], f"{len(problems)} unexpected answers, e.g. {problems[:5]}"
    assert all(done[k] > 0 for k in set(KINDS)), done
    assert wait_until(lambda: settled(g, sim), 5), "streams still running after the soak"
    time.sleep(0.5)
    fds1, rss1 = g.open_fds(), g.rss_kb()
    total = sum(done.values())
    print(f"soak: {total} exchanges in {SOAK_SECONDS:.0f} s {dict(done)}; "
          f"fds {fds0} -> {fds1}; RSS {rss0 // 1024} -> {rss1 // 1024} MB")
    assert abs(fds1 - fds0) <= 5, f"file descriptors {fds0} -> {fds1}"
    assert rss1 < rss0 + 30 * 1024, f"RSS {rss0} kB -> {rss1} kB"
    # No connection left behind upstream beyond the pool's keep-alive ones.
    assert sim_stats(sim.url)["connections_open"] <= 12
    # The gateway logged no error of its own, and still serves.
    assert not [l for l in g.stderr_lines if " error " in l or " critical " in l], g.stderr[-2000:]
    assert post(g.url, "after the soak").status_code == 200
    m = metrics(g.url)
    assert metric_value(m, "nexus_requests_total", status="200") >= total * 0.5
