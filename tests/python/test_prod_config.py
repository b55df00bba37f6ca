"""Issue 5: configuration in one place. Defaults < config file < environment < flags, printed by
`nexus-claude-api config` with secrets masked; a bad file is a start-up error (exit 2) naming
the file, the line and the key."""

from __future__ import annotations

import tomllib

import pytest

from prod_kit import clean_env, post, write_config

NEXUS_KEY = "nexus-secret-config-0123456789abcdef"
FILE_PROXY_KEY = "file-proxy-secret-0123456789abcdef"
ENV_PROXY_KEY = "env-proxy-secret-0123456789abcdef"
FLAG_PROXY_KEY = "flag-proxy-secret-0123456789abcdef"


def effective(servers, *flags, env=None) -> tuple[dict, str]:
    r = servers.run("config", *flags, env=env)
    assert r.returncode == 0, r.stderr
    return tomllib.loads(r.stdout), r.stdout


BAD = [
    # (file text, line, key, words of the message)
    ('port = 4000\nmax_body_bytes = "big"\n', 2, "max_body_bytes", "expected an integer"),
    ("[timeouts]\nconnect = 5\nfirst_bite = 10\n", 3, "timeouts.first_bite", "unknown key"),
    ("colour = \"blue\"\n", 1, "colour", "unknown key"),
    ("port = 70000\n", 1, "port", "out of range"),
    ("[timeouts]\nidle = \"long\"\n", 2, "timeouts.idle", "number of seconds"),
    ('log_bodies = "yes"\n', 1, "log_bodies", "true or false"),
    ("endpoint = \"https://example.invalid\"\nendpoint = \"x\"\n", 2, "endpoint", "defined twice"),
    ('[model."claude-sonnet-4.6"]\nthinking = "sometimes"\n', 2, 'model.claude-sonnet-4.6.thinking', "is not one of"),
    # Syntax errors: toml++'s words (a bare word for a value gets a hint).
    ("# comment\n\nlog_level = info\n", 3, "log_level", "strings need quotes"),
    ('endpoint = "https://example.invalid\n', 1, "endpoint", "Error while parsing string"),
    ("[timeouts\nconnect = 1\n", 1, None, "expected ']'"),
    ("port 4000\n", 1, None, "expected '='"),
]


@pytest.mark.parametrize("text,line,key,words", BAD, ids=[b[3] + f"-{i}" for i, b in enumerate(BAD)])
def test_a_bad_config_file_is_a_clear_start_up_error(servers, tmp_path, text, line, key, words):
    path = write_config(tmp_path, text)
    for command in (["config"], ["serve", "--simulate", "--port", "0"]):
        r = servers.run(*command, "--config", str(path), timeout=20)
        assert r.returncode == 2, (command, r.returncode, r.stdout, r.stderr)
        message = r.stderr.strip()
        assert f"{path}:{line}:" in message, message
        if key:
            assert f"key '{key}'" in message, message
        assert words in message, message
        assert "listening" not in r.stdout


def test_a_missing_config_file_is_an_error(servers, tmp_path):
    missing = tmp_path / "nope.toml"
    r = servers.run("serve", "--simulate", "--config", str(missing), timeout=20)
    assert r.returncode == 2
    assert str(missing) in r.stderr
    r = servers.run("config", env=clean_env(NEXUS_CONFIG=str(missing)))
    assert r.returncode == 2 and str(missing) in r.stderr


def test_precedence_defaults_file_environment_flags(servers, tmp_path):
    path = write_config(tmp_path, f"""
endpoint = "https://file.example.invalid"
log_level = "debug"
log_format = "json"
max_body_bytes = 5000
api_key = "{FILE_PROXY_KEY}"

[timeouts]
connect = 3
idle = 42.5
first_byte = 100

[retries]
max_attempts = 6

[models]
"my-model" = "claude-opus-4.6"
""")
    env = clean_env(NEXUS_ENDPOINT="https://env.example.invalid", LOG_LEVEL="warning",
                    NEXUS_API_KEY=NEXUS_KEY, NEXUS_PROXY_API_KEY=ENV_PROXY_KEY)
    cfg, text = effective(servers, "--config", str(path), "--log-level", "error",
                          "--connect-timeout", "7", "--max-attempts", "2", env=env)
    assert cfg["endpoint"] == "https://env.example.invalid"        # env > file
    assert cfg["log_level"] == "error"                             # flag > env > file
    assert cfg["log_format"] == "json"                             # file > default
    assert cfg["max_body_bytes"] == 5000                           # file > default
    assert cfg["max_concurrent_requests"] == 512                   # default
    assert cfg["timeouts"]["connect"] == 7                         # flag > file
    assert cfg["timeouts"]["idle"] == 42.5                         # file
    assert cfg["timeouts"]["first_byte"] == 100                    # file
    assert cfg["timeouts"]["total"] == 900                         # default
    assert cfg["retries"]["max_attempts"] == 2                     # flag > file
    assert cfg["models"]["my-model"] == "claude-opus-4.6"
    assert f"configuration file: {path}" in text
    # Secrets: the environment's proxy key beats the file's; both only masked.
    assert cfg["api_key"] == f"****{ENV_PROXY_KEY[-4:]} ({len(ENV_PROXY_KEY)} chars)"
    assert cfg["nexus_api_key"] == f"****{NEXUS_KEY[-4:]} ({len(NEXUS_KEY)} chars)"
    for secret in (NEXUS_KEY, FILE_PROXY_KEY, ENV_PROXY_KEY):
        assert secret not in text
        assert secret[:-4] not in text

    # The flag beats the environment for the proxy key too.
    cfg, text = effective(servers, "--config", str(path), "--api-key", FLAG_PROXY_KEY, env=env)
    assert cfg["api_key"] == f"****{FLAG_PROXY_KEY[-4:]} ({len(FLAG_PROXY_KEY)} chars)"
    assert FLAG_PROXY_KEY[:-4] not in text


def test_config_file_locations(servers, tmp_path):
    # $NEXUS_CONFIG, else ~/.config/nexus-claude-api/config.toml.
    path = write_config(tmp_path, "port = 4321\n", name="via-env.toml")
    cfg, _ = effective(servers, env=clean_env(NEXUS_CONFIG=str(path)))
    assert cfg["port"] == 4321
    home = tmp_path / "home"
    (home / ".config" / "nexus-claude-api").mkdir(parents=True)
    write_config(home / ".config" / "nexus-claude-api", "port = 4567\n")
    cfg, text = effective(servers, env={**clean_env(), "HOME": str(home)})
    assert cfg["port"] == 4567
    assert str(home / ".config" / "nexus-claude-api" / "config.toml") in text
    # --config beats $NEXUS_CONFIG.
    other = write_config(tmp_path, "port = 4999\n", name="flag.toml")
    cfg, _ = effective(servers, "--config", str(other), env=clean_env(NEXUS_CONFIG=str(path)))
    assert cfg["port"] == 4999


def test_defaults(servers):
    cfg, text = effective(servers, env={k: v for k, v in clean_env().items()
                                        if k not in ("SSL_CERT_FILE",)})
    assert cfg["host"] == "127.0.0.1" and cfg["port"] == 4000
    assert cfg["log_level"] == "info" and cfg["log_format"] == "text" and cfg["log_bodies"] is False
    assert cfg["insecure_skip_tls_verify"] is False and cfg["ca_bundle"] == ""
    # Long enough for long thinking runs (Claude Code allows 10 minutes).
    assert cfg["timeouts"]["first_byte"] >= 600
    assert cfg["timeouts"]["total"] >= 600
    assert cfg["retries"]["max_attempts"] >= 2
    assert cfg["nexus_api_key"] == "" and cfg["api_key"] == ""


def test_ca_bundle_sources(servers, tmp_path):
    a, b = tmp_path / "a.pem", tmp_path / "b.pem"
    cfg, _ = effective(servers, env=clean_env(SSL_CERT_FILE=str(a)))
    assert cfg["ca_bundle"] == str(a)
    cfg, _ = effective(servers, env=clean_env(SSL_CERT_FILE=str(a), NEXUS_CA_BUNDLE=str(b)))
    assert cfg["ca_bundle"] == str(b)
    cfg, _ = effective(servers, "--ca-bundle", str(a), env=clean_env(NEXUS_CA_BUNDLE=str(b)))
    assert cfg["ca_bundle"] == str(a)
    # An unreadable bundle stops `serve` with a clear error.
    r = servers.run("serve", "--simulate", "--port", "0", "--ca-bundle", str(tmp_path / "missing.pem"),
                    timeout=20)
    assert r.returncode == 2
    assert "missing.pem" in r.stderr


NEXUS_SECRET = "sk-nexus-startup-0123456789"


@pytest.mark.parametrize("key", [f"{NEXUS_SECRET}\r\nX-Injected: 1", f"{NEXUS_SECRET}\ttail"], ids=["crlf", "tab"])
def test_a_key_with_a_control_character_inside_stops_the_start_unshown(servers, key):
    r = servers.run("serve", "--port", "0", env=clean_env(NEXUS_API_KEY=key), timeout=20)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "control character" in r.stderr, r.stderr
    shown = r.stdout + r.stderr
    assert NEXUS_SECRET not in shown and "X-Injected" not in shown
    assert "listening" not in r.stdout


def test_a_key_with_a_line_end_works(servers):
    # A key file saved with CRLF: the line end is trimmed, not sent in every request's header
    # (which used to fail every request with a 502 after three retries).
    sim = servers.simulator()
    g = servers.gateway("--endpoint", sim.url, env=clean_env(NEXUS_API_KEY=f"{NEXUS_SECRET}\r\n"), simulate=False)
    r = post(g.url, "Hello")
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["text"]


def test_an_endpoint_that_is_no_http_url_stops_the_start(servers):
    r = servers.run("serve", "--port", "0", env=clean_env(NEXUS_API_KEY=NEXUS_SECRET, NEXUS_ENDPOINT="nexus.example.com"),
                    timeout=20)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "http:// or https:// URL" in r.stderr, r.stderr


ANTHROPIC_KEY = "sk-ant-config-test-0123456789abcdef"

UPSTREAMS = """
[[upstreams]]
name = "nexus"
kind = "converse"
endpoint = "https://genai-nexus.example.invalid"
key_env = "NEXUS_API_KEY"

[[upstreams]]
name = "anthropic"
kind = "anthropic"
endpoint = "https://api.anthropic.example.invalid"
key_env = "ANTHROPIC_API_KEY"

[[routes]]
model = "claude-sonnet-*"
targets = ["nexus:claude-sonnet-4.6", "anthropic:claude-sonnet-4-6"]

[[routes]]
model = "*"
targets = [
  "anthropic",
]
"""


def test_upstreams_and_routes_are_printed_with_keys_masked(servers, tmp_path):
    path = write_config(tmp_path, UPSTREAMS)
    env = clean_env(NEXUS_API_KEY=NEXUS_KEY, ANTHROPIC_API_KEY=f"  {ANTHROPIC_KEY}\r\n")
    r = servers.run("config", "--config", str(path), env=env)
    assert r.returncode == 0, r.stderr
    cfg = tomllib.loads(r.stdout)
    assert [u["name"] for u in cfg["upstreams"]] == ["nexus", "anthropic"]
    nexus, anthropic = cfg["upstreams"]
    assert nexus["kind"] == "converse" and nexus["auth"] == "bearer"
    assert anthropic == {
        "name": "anthropic", "kind": "anthropic", "endpoint": "https://api.anthropic.example.invalid",
        "auth": "x-api-key", "key_env": "ANTHROPIC_API_KEY",
        "key": f"****{ANTHROPIC_KEY[-4:]} ({len(ANTHROPIC_KEY)} chars)",  # trimmed, then masked
    }
    assert cfg["routes"] == [
        {"model": "claude-sonnet-*", "targets": ["nexus:claude-sonnet-4.6", "anthropic:claude-sonnet-4-6"]},
        {"model": "*", "targets": ["anthropic"]},
    ]
    for secret in (NEXUS_KEY, ANTHROPIC_KEY):
        assert secret[:-4] not in r.stdout + r.stderr


BAD_UPSTREAMS = [
    # (replace this line of UPSTREAMS, with this, the key, words of the message)
    ('kind = "converse"', 'kind = "bedrock"', "upstreams[0].kind", "unknown kind 'bedrock' (converse, anthropic)"),
    ('  "anthropic",', '  "ghost:claude-x",', "routes[1].targets[0]", "no defined upstream 'ghost'"),
    ('key_env = "ANTHROPIC_API_KEY"', 'key_env = "UNSET_ANTHROPIC_KEY"', "upstreams[1].key_env",
     "upstream 'anthropic': the environment variable UNSET_ANTHROPIC_KEY is not set or empty"),
    ('key_env = "ANTHROPIC_API_KEY"', f'key = "{ANTHROPIC_KEY}"', "upstreams[1].key", "key_env"),
]


@pytest.mark.parametrize("old,new,key,words", BAD_UPSTREAMS, ids=[b[2] for b in BAD_UPSTREAMS])
def test_a_bad_upstream_or_route_is_a_clear_start_up_error(servers, tmp_path, old, new, key, words):
    lines = UPSTREAMS.split("\n")
    line = lines.index(old) + 1
    lines[line - 1] = new
    path = write_config(tmp_path, "\n".join(lines))
    env = clean_env(NEXUS_API_KEY=NEXUS_KEY, ANTHROPIC_API_KEY=ANTHROPIC_KEY)
    for command in (["config"], ["serve", "--port", "0"]):
        r = servers.run(*command, "--config", str(path), env=env, timeout=20)
        assert r.returncode == 2, (command, r.returncode, r.stdout, r.stderr)
        message = r.stderr.strip()
        assert f"{path}:{line}: key '{key}': " in message, message
        assert words in message, message
        assert ANTHROPIC_KEY[:-4] not in r.stdout + r.stderr
        assert "listening" not in r.stdout


def test_simulate_needs_no_upstream_keys(servers, tmp_path):
    path = write_config(tmp_path, UPSTREAMS)
    r = servers.run("config", "--simulate", "--config", str(path), env=clean_env())
    assert r.returncode == 0, r.stderr
    cfg = tomllib.loads(r.stdout)
    assert [u["key_env"] for u in cfg["upstreams"]] == ["NEXUS_API_KEY", "ANTHROPIC_API_KEY"]
