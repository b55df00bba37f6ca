"""Every recorded Claude Code request, translated by the gateway, must be a valid Converse request.

For each fixture in Tests/TranslationTests/Fixtures/claude-code/ the body is written to a temp
file and translated with

    $NEXUS_BIN translate --beta "<anthropic-beta header>" FILE

which prints `{"path": "/model/<id>/converse[-stream]", "body": {...}}`. The body is validated
with converse_schema.py against botocore's Converse / ConverseStream input shape, plus a few
rules Bedrock enforces beyond the schema (docs: shared/reference/anthropic-to-converse.md).

count_tokens fixtures carry no `max_tokens` (the Messages body requires it): they are translated
with `max_tokens: 1` added, and the messages / system / toolConfig / additionalModelRequestFields
of the result, wrapped as CountTokens' `{"input": {"converse": {...}}}`, are validated against
CountTokens.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from gateway_testkit import FIXTURES
from converse_schema import validate

FIXTURE_FILES = sorted(FIXTURES.glob("*.json"))


def fixture_id(path: Path) -> str:
    return path.stem


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def is_count_tokens(fx: dict) -> bool:
    return fx["path"].split("?")[0].rstrip("/") == "/v1/messages/count_tokens"


_cache: dict[Path, dict] = {}


def translate(nexus_bin: str, path: Path, tmp_dir: Path) -> dict:
    """Run `translate` once per fixture (cached for the other checks)."""
    if path in _cache:
        return _cache[path]
    fx = load(path)
    body = dict(fx["body"])
    if is_count_tokens(fx):
        body.setdefault("max_tokens", 1)
    body_file = tmp_dir / f"{path.stem}.body.json"
    body_file.write_text(json.dumps(body, ensure_ascii=False))
    args = [nexus_bin, "translate"]
    beta = fx["headers"].get("anthropic-beta")
    if beta:
        args += ["--beta", beta]
    args.append(str(body_file))
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (f"translate failed for {path.name} (exit {p.returncode}):\n"
                               f"{p.stderr[-3000:]}\n{p.stdout[-1000:]}")
    try:
        out = json.loads(p.stdout)
    except ValueError:
        pytest.fail(f"translate printed no JSON for {path.name}:\n{p.stdout[:2000]}")
    assert set(out) >= {"path", "body"}, f"translate output keys: {sorted(out)}"
    _cache[path] = {"fixture": fx, "out": out}
    return _cache[path]


@pytest.fixture(scope="module")
def tmp_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("translate")


def test_corpus_is_present():
    names = {p.stem for p in FIXTURE_FILES}
    for expected in ("first-turn", "tool-result-turn", "compact", "count-tokens-tools",
                     "first-turn-nobetas"):
        assert expected in names, f"fixture {expected}.json missing from {FIXTURES}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_translation_is_valid_converse(nexus_bin, tmp_dir, path):
    t = translate(nexus_bin, path, tmp_dir)
    fx, out = t["fixture"], t["out"]
    body = out["body"]
    if is_count_tokens(fx):
        assert re.fullmatch(r"/model/[^/]+/converse", out["path"]), out["path"]
        converse = {k: body[k] for k in ("messages", "system", "toolConfig",
                                         "additionalModelRequestFields") if k in body}
        errors = validate({"input": {"converse": converse}}, "CountTokens")
        op = "CountTokens"
    else:
        stream = bool(fx["body"].get("stream"))
        suffix = "converse-stream" if stream else "converse"
        assert re.fullmatch(rf"/model/[^/]+/{suffix}", out["path"]), out["path"]
        op = "ConverseStream" if stream else "Converse"
        errors = validate(body, op)
    assert not errors, f"{path.name} → {op} is invalid:\n  " + "\n  ".join(errors[:50])


# -- rules Bedrock enforces beyond the schema ---------------------------------------------------

def blocks_of(body):
    for i, m in enumerate(body.get("messages") or []):
        for j, b in enumerate(m.get("content") or []):
            yield i, j, m.get("role"), b


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_roles_alternate_starting_with_user(nexus_bin, tmp_dir, path):
    body = translate(nexus_bin, path, tmp_dir)["out"]["body"]
    roles = [m.get("role") for m in body.get("messages") or []]
    assert roles, "no messages"
    assert roles[0] == "user", f"conversation must start with a user message: {roles}"
    assert set(roles) <= {"user", "assistant"}, f"roles Converse has no equivalent for: {roles}"
    for a, b in zip(roles, roles[1:]):
        assert a != b, f"roles must alternate: {roles}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_no_blank_text_and_no_empty_message(nexus_bin, tmp_dir, path):
    body = translate(nexus_bin, path, tmp_dir)["out"]["body"]
    for i, m in enumerate(body.get("messages") or []):
        assert m.get("content"), f"messages.{i} has no content"
    for i, j, _, b in blocks_of(body):
        if "text" in b:
            assert b["text"].strip(), f"messages.{i}.content.{j}.text is blank"
    for k, s in enumerate(body.get("system") or []):
        if "text" in s:
            assert s["text"].strip(), f"system.{k}.text is blank"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_at_most_four_cache_points(nexus_bin, tmp_dir, path):
    body = translate(nexus_bin, path, tmp_dir)["out"]["body"]
    n = sum(1 for s in body.get("system") or [] if "cachePoint" in s)
    n += sum(1 for t in (body.get("toolConfig") or {}).get("tools", []) if "cachePoint" in t)
    n += sum(1 for *_, b in blocks_of(body) if "cachePoint" in b)
    assert n <= 4, f"{n} cache points (Bedrock allows 4)"
    src = json.dumps(load(path)["body"]).count('"cache_control"')
    if src:
        assert n >= 1, "the request had cache_control but the translation has no cachePoint"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_tool_results_answer_the_previous_tool_uses(nexus_bin, tmp_dir, path):
    body = translate(nexus_bin, path, tmp_dir)["out"]["body"]
    messages = body.get("messages") or []
    has_tool_blocks = False
    for i, m in enumerate(messages):
        results = [b["toolResult"]["toolUseId"] for b in m.get("content") or [] if "toolResult" in b]
        uses = [b["toolUse"]["toolUseId"] for b in m.get("content") or [] if "toolUse" in b]
        has_tool_blocks |= bool(results or uses)
        if results:
            prev = messages[i - 1] if i > 0 else {}
            prev_uses = [b["toolUse"]["toolUseId"] for b in prev.get("content") or [] if "toolUse" in b]
            assert sorted(results) == sorted(prev_uses), (i, results, prev_uses)
    if has_tool_blocks:
        assert body.get("toolConfig"), "toolConfig is required when the history has tool blocks"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_thinking_blocks_keep_their_signatures(nexus_bin, tmp_dir, path):
    fx = load(path)
    sent = [b for m in fx["body"].get("messages") or [] if m.get("role") == "assistant"
            and isinstance(m.get("content"), list) for b in m["content"] if b.get("type") == "thinking"]
    if not sent:
        return
    body = translate(nexus_bin, path, tmp_dir)["out"]["body"]
    got = [b["reasoningContent"]["reasoningText"] for *_, role, b in blocks_of(body)
           if role == "assistant" and "reasoningText" in (b.get("reasoningContent") or {})]
    assert [g.get("signature") for g in got] == [s["signature"] for s in sent]


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=fixture_id)
def test_betas_travel_in_the_body(nexus_bin, tmp_dir, path):
    fx = load(path)
    body = translate(nexus_bin, path, tmp_dir)["out"]["body"]
    betas = (body.get("additionalModelRequestFields") or {}).get("anthropic_beta")
    if betas is None:
        return
    assert isinstance(betas, list) and all(isinstance(b, str) and b for b in betas), betas
    assert len(set(betas)) == len(betas), f"duplicate betas: {betas}"
    assert fx["headers"].get("anthropic-beta"), "betas in the body but none in the request"
