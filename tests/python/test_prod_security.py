"""Issue 5: keys never leak, bodies are not logged unless asked.

Gateways run with known test keys (the AI Nexus key in NEXUS_API_KEY, the proxy key in
--api-key) at trace level, through successes and every kind of failure (bad inbound key,
upstream 403, unreachable upstream, throttling, client errors). Everything they print and every
HTTP answer is collected; neither key (nor its unmasked part) may appear anywhere.
"""

from __future__ import annotations

import secrets

import httpx
import pytest

from prod_kit import (
    HTTP, HEADERS, MODEL, RawStream, body, clean_env, free_port, fresh, post, stream, wait_until, write_config,
)

NEXUS_KEY = "nexus-secret-XYZ" + secrets.token_hex(16)
BAD_NEXUS_KEY = "bad-nexus-secret-" + secrets.token_hex(16)  # the simulator refuses keys starting "bad"
PROXY_KEY = "proxy-secret-" + secrets.token_hex(16)
KEYS = (NEXUS_KEY, BAD_NEXUS_KEY, PROXY_KEY)


def leaks(text: str) -> list[str]:
    """The keys (or their unmasked part: all but the last 4 characters) found in `text`."""
    return [k for k in KEYS if k in text or k[:-4] in text]


class Transcript:
    """Every HTTP answer seen, as text."""

    def __init__(self):
        self.parts: list[str] = []

    def add(self, r: httpx.Response):
        self.parts.append(f"{r.status_code} {dict(r.headers)} {r.text}")
        return r

    def text(self) -> str:
        return "\n".join(self.parts)


def exercise(g, t: Transcript, key_header: dict):
    """Every kind of request, with the right key and with wrong ones."""
    url = g.url
    auth = {**HEADERS, **key_header}
    t.add(HTTP.post(f"{url}/v1/messages", json=body(fresh("hello")), headers=auth, timeout=30))
    t.add(HTTP.post(f"{url}/v1/messages", json=body(fresh("hello bearer")), timeout=30,
                     headers={**HEADERS, "authorization": f"Bearer {PROXY_KEY}"}))
    t.add(HTTP.post(f"{url}/v1/messages", json=body("no key"), headers=HEADERS, timeout=30))
    t.add(HTTP.post(f"{url}/v1/messages", json=body("wrong key"), timeout=30,
                     headers={**HEADERS, "x-api-key": PROXY_KEY[:-1] + "0"}))
    t.add(HTTP.post(f"{url}/v1/messages", json=body("bearer wrong"), timeout=30,
                     headers={**HEADERS, "authorization": "Bearer nope"}))
    with HTTP.stream("POST", f"{url}/v1/messages", json=body(fresh("sim:long:20"), stream=True),
                      headers=auth, timeout=30) as r:
        r.read()
        t.add(r)
    for marker in ("sim:throttle:1", "sim:error:access_denied", "sim:error:validation",
                   "sim:error:internal", "sim:stream_exception:throttling"):
        t.add(HTTP.post(f"{url}/v1/messages", json=body(fresh(marker), stream="stream" in marker),
                         headers=auth, timeout=30))
    t.add(HTTP.post(f"{url}/v1/messages/count_tokens",
                     json={"model": MODEL, "messages": [{"role": "user", "content": "count"}]},
                     headers=auth, timeout=30))
    t.add(HTTP.post(f"{url}/v1/messages", content=b"{broken", headers=auth, timeout=30))
    for path in ("/", "/health", "/metrics", "/v1/models", f"/v1/models/{MODEL}", "/nope"):
        t.add(HTTP.get(f"{url}{path}", headers=auth, timeout=30))
        t.add(HTTP.get(f"{url}{path}", timeout=30))


FAST_RETRIES = "[retries]\nbase_delay = 0.05\nmax_delay = 0.1\n"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_keys_never_appear_in_output_or_answers(servers, tmp_path, log_format):
    t = Transcript()
    flags = ["--api-key", PROXY_KEY, "--log-level", "trace", "--log-format", log_format,
             "--config", str(write_config(tmp_path, FAST_RETRIES))]
    key_header = {"x-api-key": PROXY_KEY}

    good = servers.gateway(*flags, env=clean_env(NEXUS_API_KEY=NEXUS_KEY), name="good-key")
    exercise(good, t, key_header)
    health = HTTP.get(f"{good.url}/health", timeout=10).json()
    assert health["key_configured"] is True and health["auth_required"] is True
    raw = RawStream(good.port, fresh("sim:long:5000"), max_tokens=6000)
    raw.sock.close()  # (RawStream sends x-api-key sk-test: answered 401, then closed)

    rejected = servers.gateway(*flags, env=clean_env(NEXUS_API_KEY=BAD_NEXUS_KEY), name="bad-key")
    r = t.add(post(rejected.url, fresh("upstream says no"), headers=key_header))
    assert r.status_code in (401, 403) and "rejected" in r.text
    s = stream(rejected.url, fresh("upstream says no"), headers=key_header)
    assert s.status in (401, 403)
    t.parts.append(str(s.error_body))
    exercise(rejected, t, key_header)

    port = free_port()
    unreachable = servers.gateway(*flags, "--endpoint", f"http://127.0.0.1:{port}", "--max-attempts", "1",
                                  env=clean_env(NEXUS_API_KEY=NEXUS_KEY), simulate=False, name="unreachable")
    r = t.add(post(unreachable.url, "anyone?", headers=key_header))
    assert r.status_code == 502
    exercise(unreachable, t, key_header)

    # What `config` prints, with the keys in the environment and on the command line.
    for env in (clean_env(NEXUS_API_KEY=NEXUS_KEY, NEXUS_PROXY_API_KEY=PROXY_KEY),
                clean_env(AWS_BEARER_TOKEN_BEDROCK=BAD_NEXUS_KEY)):
        c = servers.run("config", "--api-key", PROXY_KEY, env=env)
        assert c.returncode == 0
        t.parts += [c.stdout, c.stderr]

    # Trace level really logs: the check is not vacuous.
    assert wait_until(lambda: "request done" in good.stderr and "request failed" in good.stderr, 3)
    for g in (good, rejected, unreachable):
        assert g.stop() == 0
    everything = servers.outputs() + "\n" + t.text()
    assert leaks(everything) == [], "a key leaked"


def test_bodies_are_not_logged_unless_asked(servers):
    canary = "canary-" + secrets.token_hex(8)
    # Default: not even at trace level.
    g = servers.gateway("--log-level", "trace")
    assert post(g.url, f"my prompt {canary}").status_code == 200
    assert stream(g.url, f"my streamed prompt {canary}").names[-1] == "message_stop"
    assert post(g.url, f"sim:error:validation {canary}").status_code == 400
    assert wait_until(lambda: g.stderr.count("request done") >= 2, 3)
    assert "log-bodies" not in g.output
    assert canary not in g.output

    # --log-bodies says so at start-up, and logs bodies at debug level only.
    at_info = servers.gateway("--log-bodies")
    notice = [l for l in at_info.stderr_lines if "--log-bodies is on" in l]
    assert notice, at_info.stderr
    assert post(at_info.url, f"my prompt {canary}").status_code == 200
    assert wait_until(lambda: "request done" in at_info.stderr, 3)
    assert canary not in at_info.output

    at_debug = servers.gateway("--log-bodies", "--log-level", "debug")
    assert any("--log-bodies is on" in l for l in at_debug.stderr_lines)
    assert post(at_debug.url, f"my prompt {canary}").status_code == 200
    assert wait_until(lambda: canary in at_debug.stderr, 3)
