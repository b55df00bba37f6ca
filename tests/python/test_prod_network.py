"""Issue 5: corporate networks and connections, against the real binary.

An HTTPS endpoint is built on loopback: a standalone simulator (`nexus-claude-api simulate`),
a Python TLS front with a certificate from a throwaway CA (made with the openssl CLI), and a
Python CONNECT proxy. The endpoint's name, `nexus.internal.test`, is never resolved: the gateway
sends it to the proxy in `CONNECT nexus.internal.test:443`, and the proxy maps exactly that name
to the TLS front on 127.0.0.1 (anything else is refused), so no traffic leaves the machine.
"""

from __future__ import annotations

import shutil
import time
from types import SimpleNamespace

import httpx
import pytest

from prod_kit import (
    BlackHole, ConnectProxy, Servers, TLSFront, basic_auth, clean_env, free_port,
    error_of, failures_both_ways, make_certs, post, sim_stats, stream, wait_until,
)

HOST = "nexus.internal.test"
ENDPOINT = f"https://{HOST}"
KEY = "nexus-network-test-key"

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


@pytest.fixture(scope="module")
def upstream(nexus_bin, tmp_path_factory):
    """Simulator, TLS front and CONNECT proxy, shared by the module."""
    s = Servers(nexus_bin)
    sim = s.simulator()
    ns = SimpleNamespace(sim=sim, tls=None, proxy=None, certs=None)
    if shutil.which("openssl"):
        ns.certs = make_certs(tmp_path_factory.mktemp("certs"), [HOST, "localhost"])
        ns.tls = TLSFront(ns.certs["cert"], ns.certs["key"], sim.port)
        ns.proxy = ConnectProxy({f"{HOST}:443": ns.tls.port})
    yield ns
    if ns.proxy:
        ns.proxy.close()
        ns.tls.close()
    s.stop_all()


def proxied_env(upstream, proxy_url=None, **extra):
    return clean_env(NEXUS_API_KEY=KEY, HTTPS_PROXY=proxy_url or f"http://127.0.0.1:{upstream.proxy.port}",
                     **extra)


@needs_openssl
def test_https_through_a_connect_proxy_with_a_ca_bundle(servers, upstream):
    tunnels = len(upstream.proxy.tunnels)
    g = servers.gateway("--endpoint", ENDPOINT, "--ca-bundle", str(upstream.certs["ca"]),
                        env=proxied_env(upstream), simulate=False)
    assert f"using proxy http://127.0.0.1:{upstream.proxy.port}" in g.stderr
    r = post(g.url, "hello through the proxy")
    assert r.status_code == 200, r.text
    assert "hello through the proxy" in r.json()["content"][0]["text"]
    s = stream(g.url, "sim:long:30")
    assert s.status == 200 and s.names[-1] == "message_stop"
    assert len(s.text.split()) == 30
    new = upstream.proxy.tunnels[tunnels:]
    assert new and all(t == f"{HOST}:443" for t in new), new
    # Keep-alive through the tunnel: 30 more requests, a handful of tunnels at most.
    with httpx.Client() as c:
        for i in range(30):
            assert post(g.url, f"again {i}", client=c).status_code == 200
    assert len(upstream.proxy.tunnels) - tunnels <= 4, upstream.proxy.tunnels[tunnels:]
    assert upstream.proxy.plain_requests == []


@needs_openssl
@pytest.mark.parametrize("ca", ["none", "unrelated"])
def test_tls_verification_stays_on(servers, upstream, ca):
    failures = upstream.tls.handshake_failures
    flags = ["--endpoint", ENDPOINT, "--max-attempts", "1"]
    if ca == "unrelated":
        flags += ["--ca-bundle", str(upstream.certs["other_ca"])]
    g = servers.gateway(*flags, env=proxied_env(upstream), simulate=False)
    for status, err in failures_both_ways(g.url, "hello"):
        assert status == 502, err
        assert err["type"] == "api_error"
        assert HOST in err["message"], err["message"]
    # The TLS front counts a failure in its connection's thread, maybe after the 502 went out.
    assert wait_until(lambda: upstream.tls.handshake_failures >= failures + 2, 5), upstream.tls.handshake_failures
    assert KEY not in g.output


@needs_openssl
def test_insecure_skip_tls_verify_works_and_is_loud(servers, upstream):
    g = servers.gateway("--endpoint", ENDPOINT, "--insecure-skip-tls-verify",
                        env=proxied_env(upstream), simulate=False)
    warning = [l for l in g.stderr_lines if "insecure-skip-tls-verify" in l]
    assert warning and "critical" in warning[0] and "NOT verified" in warning[0], g.stderr
    r = post(g.url, "hello insecure")
    assert r.status_code == 200, r.text
    cfg = servers.run("config", "--insecure-skip-tls-verify", env=proxied_env(upstream))
    assert "insecure_skip_tls_verify = true" in cfg.stdout


@needs_openssl
def test_proxy_credentials_are_sent_and_never_shown(servers, upstream):
    password = "proxy-pass-5ecret"
    url = f"http://alice:{password}@127.0.0.1:{upstream.proxy.port}"
    before = len(upstream.proxy.authorizations)
    g = servers.gateway("--endpoint", ENDPOINT, "--ca-bundle", str(upstream.certs["ca"]),
                        env=proxied_env(upstream, proxy_url=url), simulate=False)
    assert post(g.url, "hello with credentials").status_code == 200
    assert basic_auth("alice", password) in upstream.proxy.authorizations[before:]
    cfg = servers.run("config", env=proxied_env(upstream, proxy_url=url))
    assert cfg.returncode == 0, cfg.stderr
    assert f'https_proxy = "http://alice:****@127.0.0.1:{upstream.proxy.port}"' in cfg.stdout
    for text in (g.output, cfg.stdout, cfg.stderr):
        assert password not in text


def test_loopback_endpoints_are_never_proxied(servers, upstream, tmp_path):
    # A proxy that would refuse everything: nothing may reach it.
    trap = ConnectProxy({})
    try:
        env = clean_env(NEXUS_API_KEY=KEY, HTTPS_PROXY=f"http://127.0.0.1:{trap.port}",
                        HTTP_PROXY=f"http://127.0.0.1:{trap.port}",
                        http_proxy=f"http://127.0.0.1:{trap.port}")
        g = servers.gateway("--endpoint", upstream.sim.url, env=env, simulate=False)
        assert post(g.url, "hello direct").status_code == 200
        assert trap.connections == 0
        assert "using proxy" not in g.stderr
    finally:
        trap.close()


def test_http_endpoint_through_http_proxy_in_absolute_form(servers, upstream):
    """A plain-http endpoint goes through `HTTP_PROXY` as absolute-form requests (no tunnel),
    with the proxy's credentials."""
    password = "plain-proxy-5ecret"
    proxy = ConnectProxy({}, plain_routes={f"{HOST}:80": upstream.sim.port})
    try:
        env = clean_env(NEXUS_API_KEY=KEY, HTTP_PROXY=f"http://bob:{password}@127.0.0.1:{proxy.port}")
        g = servers.gateway("--endpoint", f"http://{HOST}", env=env, simulate=False)
        assert f"using proxy http://bob:****@127.0.0.1:{proxy.port}" in g.stderr
        for word in ("first", "second"):
            r = post(g.url, f"plain {word}")
            assert r.status_code == 200, r.text
            assert f"plain {word}" in r.json()["content"][0]["text"]
        assert proxy.tunnels == []
        # The proxy records the first request line of each connection it forwards.
        assert set(proxy.plain_requests) == {
            f"POST http://{HOST}:80/model/claude-sonnet-4.6/converse HTTP/1.1"}, proxy.plain_requests
        assert set(proxy.authorizations) == {basic_auth("bob", password)}
        g.stop()
        assert password not in g.output
    finally:
        proxy.close()


def test_https_proxy_and_no_proxy_are_read_from_the_environment(servers):
    proxy = "http://127.0.0.1:3128"
    for name in ("HTTPS_PROXY", "https_proxy"):
        r = servers.run("config", "--endpoint", ENDPOINT, env=clean_env(**{name: proxy}))
        assert f'https_proxy = "{proxy}"' in r.stdout, r.stdout
    for no_proxy in (HOST, ".internal.test", "internal.test", "*", f"example.com, {HOST}"):
        for name in ("NO_PROXY", "no_proxy"):
            r = servers.run("config", "--endpoint", ENDPOINT,
                            env=clean_env(HTTPS_PROXY=proxy, **{name: no_proxy}))
            assert 'https_proxy = ""' in r.stdout, (name, no_proxy, r.stdout)
    r = servers.run("config", "--endpoint", ENDPOINT,
                    env=clean_env(HTTPS_PROXY=proxy, NO_PROXY="example.com,other.test"))
    assert f'https_proxy = "{proxy}"' in r.stdout
    # http endpoints use HTTP_PROXY, never HTTPS_PROXY.
    r = servers.run("config", "--endpoint", "http://nexus.internal.test:8080",
                    env=clean_env(HTTPS_PROXY=proxy))
    assert 'https_proxy = ""' in r.stdout


# -- connections ---------------------------------------------------------------------------------

@pytest.mark.parametrize("streaming", [False, True], ids=["json", "stream"])
def test_sequential_requests_reuse_a_handful_of_connections(servers, upstream, streaming):
    g = servers.gateway("--endpoint", upstream.sim.url, env=clean_env(NEXUS_API_KEY=KEY), simulate=False)
    count = 50 if streaming else 100
    before = sim_stats(upstream.sim.url)["connections_accepted"]
    with httpx.Client() as c:
        for i in range(count):
            if streaming:
                # A stream must read the end of the upstream body after its last event, or its
                # connection is cut instead of pooled.
                s = stream(g.url, f"stream {i} sim:long:20", client=c, max_tokens=64)
                assert s.names[-1] == "message_stop"
            else:
                r = post(g.url, f"request {i}", client=c, max_tokens=32)
                assert r.status_code == 200, r.text
    # The stats request itself is one more connection.
    opened = sim_stats(upstream.sim.url)["connections_accepted"] - before - 1
    assert opened <= 4, f"{count} sequential requests opened {opened} upstream connections"


def test_refused_connection_fails_fast_with_502(servers):
    port = free_port()
    g = servers.gateway("--endpoint", f"http://127.0.0.1:{port}", "--max-attempts", "1",
                        env=clean_env(NEXUS_API_KEY=KEY), simulate=False)
    started = time.monotonic()
    r = post(g.url, "anyone there?")
    assert r.status_code == 502
    assert f"127.0.0.1:{port}" in error_of(r)["message"]
    assert time.monotonic() - started < 3


def test_connect_timeout(servers):
    hole = BlackHole()
    try:
        if not hole.is_black():
            pytest.skip("this kernel completes handshakes beyond the listen backlog")
        g = servers.gateway("--endpoint", f"http://127.0.0.1:{hole.port}", "--connect-timeout", "1",
                            "--max-attempts", "1", env=clean_env(NEXUS_API_KEY=KEY), simulate=False)
        started = time.monotonic()
        r = post(g.url, "hello?")
        elapsed = time.monotonic() - started
        assert r.status_code == 502, r.text
        err = error_of(r)
        assert err["type"] == "api_error"
        assert f"127.0.0.1:{hole.port}" in err["message"] and "timed out" in err["message"], err
        assert 0.8 < elapsed < 3, elapsed
    finally:
        hole.close()
