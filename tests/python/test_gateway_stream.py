"""Streaming (SSE) through the gateway (`serve --simulate`).

For each scenario the message accumulated by the SDK's `messages.stream(...)` helper must equal
the non-streaming answer to the same request (ids and random opaque data aside). Raw SSE checks
pin the wire format Claude Code relies on.
"""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

from gateway_testkit import BASH_TOOL, WEATHER_TOOL

THINKING = {"type": "enabled", "budget_tokens": 1024}

SCENARIOS = {
    "text": dict(max_tokens=256, messages=[{"role": "user", "content": "Hello, streaming world"}]),
    "echo_system": dict(max_tokens=256, system="Be brief.",
                        messages=[{"role": "user", "content": "sim:echo stream me"}]),
    "long": dict(max_tokens=512, messages=[{"role": "user", "content": "sim:long:40"}]),
    "tool": dict(max_tokens=256, tools=[WEATHER_TOOL],
                 messages=[{"role": "user", "content": "sim:tool weather?"}]),
    "bash": dict(max_tokens=256, tools=[BASH_TOOL],
                 messages=[{"role": "user", "content": "sim:bash:echo streamed"}]),
    "thinking": dict(max_tokens=2048, thinking=THINKING,
                     messages=[{"role": "user", "content": "sim:thinking ponder"}]),
    "redacted": dict(max_tokens=2048, thinking=THINKING,
                     messages=[{"role": "user", "content": "sim:redacted secret"}]),
    "max_tokens": dict(max_tokens=256, messages=[{"role": "user", "content": "sim:max_tokens"}]),
    "stop_sequence": dict(max_tokens=256, stop_sequences=["STOP"],
                          messages=[{"role": "user", "content": "sim:stop_sequence"}]),
    "refusal": dict(max_tokens=256, messages=[{"role": "user", "content": "sim:refusal"}]),
}


def normalised(content):
    """Content blocks as dicts, without what legitimately differs between two calls."""
    out = []
    for block in content:
        d = block.model_dump(exclude_none=True)
        if d["type"] == "tool_use":
            d["id"] = "<id>"
        if d["type"] == "redacted_thinking":
            d["data"] = "<opaque>" if d.get("data") else ""
        out.append(d)
    return out


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_stream_equals_non_stream(client, model, scenario):
    kwargs = dict(model=model, **SCENARIOS[scenario])
    plain = client.messages.create(**kwargs)
    with client.messages.stream(**kwargs) as stream:
        for _ in stream:
            pass
        streamed = stream.get_final_message()
    assert streamed.id.startswith("msg_")
    assert streamed.model == plain.model == model
    assert streamed.role == "assistant" and streamed.type == "message"
    assert normalised(streamed.content) == normalised(plain.content)
    assert streamed.stop_reason == plain.stop_reason
    assert streamed.stop_sequence == plain.stop_sequence
    assert streamed.usage.output_tokens > 0
    assert streamed.usage.input_tokens > 0


def test_stream_text_helper(client, model):
    with client.messages.stream(model=model, max_tokens=256,
                                messages=[{"role": "user", "content": "sim:long:12"}]) as stream:
        pieces = list(stream.text_stream)
    assert len(pieces) >= 2, "the text should arrive in several deltas"
    assert len("".join(pieces).split()) == 12


def test_stream_tool_input_json(client, model):
    with client.messages.stream(model=model, max_tokens=256, tools=[BASH_TOOL],
                                messages=[{"role": "user", "content": "sim:bash:ls -la /tmp"}]) as s:
        final = s.get_final_message()
    use = next(b for b in final.content if b.type == "tool_use")
    assert use.input == {"command": "ls -la /tmp", "description": "Run the command"}
    assert final.stop_reason == "tool_use"


def test_stream_upstream_error_before_first_byte(client, model):
    with pytest.raises(anthropic.RateLimitError):
        with client.messages.stream(model=model, max_tokens=64,
                                    messages=[{"role": "user", "content": "sim:error:throttling"}]) as s:
            s.get_final_message()


# -- the raw wire format ------------------------------------------------------------------------

def sse_events(gateway, body, headers=None):
    """POST a streaming request; return (response, [(event, data-dict), ...])."""
    hdrs = {"x-api-key": "sk-test", "anthropic-version": "2023-06-01",
            "content-type": "application/json", **(headers or {})}
    events = []
    with httpx.stream("POST", f"{gateway.url}/v1/messages", json={**body, "stream": True},
                      headers=hdrs, timeout=60) as r:
        if r.status_code != 200:
            r.read()
            return r, events
        event, data = None, []
        for line in r.iter_lines():
            if line.startswith("event:"):
                event = line[len("event:"):].strip()
            elif line.startswith("data:"):
                data.append(line[len("data:"):].strip())
            elif line == "":
                if event or data:
                    events.append((event, json.loads("\n".join(data)) if data else None))
                event, data = None, []
        if event or data:
            events.append((event, json.loads("\n".join(data)) if data else None))
    return r, events


def test_sse_wire_format(gateway, model):
    r, events = sse_events(gateway, {"model": model, "max_tokens": 2048, "thinking": THINKING,
                                     "tools": [BASH_TOOL],
                                     "messages": [{"role": "user", "content": "sim:thinking"}]})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    names = [e for e, _ in events]
    assert names[0] == "message_start"
    assert names[-2:] == ["message_delta", "message_stop"]
    for name, data in events:
        assert data is not None and data["type"] == name, (name, data)
    start = events[0][1]["message"]
    assert start["role"] == "assistant" and start["content"] == [] and start["stop_reason"] is None
    assert start["id"].startswith("msg_") and start["model"] == model
    for field in ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                  "cache_read_input_tokens"):
        assert isinstance(start["usage"].get(field), int), field
    # Blocks: 0-based, contiguous, each opened, delta'd and closed in order, never interleaved.
    open_index, seen = None, []
    for name, data in events:
        if name == "content_block_start":
            assert open_index is None, "a block started before the previous one stopped"
            open_index = data["index"]
            assert open_index == len(seen)
            seen.append(data["content_block"]["type"])
        elif name == "content_block_delta":
            assert data["index"] == open_index
        elif name == "content_block_stop":
            assert data["index"] == open_index
            open_index = None
    assert open_index is None
    assert seen == ["thinking", "text"]
    starts = [d for e, d in events if e == "content_block_start"]
    assert starts[0]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    deltas = [d["delta"]["type"] for e, d in events if e == "content_block_delta" and d["index"] == 0]
    assert "thinking_delta" in deltas and "signature_delta" in deltas
    delta = events[-2][1]
    assert delta["delta"]["stop_reason"] == "end_turn"
    assert "stop_sequence" in delta["delta"]
    assert delta["usage"]["output_tokens"] > 0


def test_sse_tool_use_block(gateway, model):
    r, events = sse_events(gateway, {"model": model, "max_tokens": 256, "tools": [BASH_TOOL],
                                     "messages": [{"role": "user", "content": "sim:bash:pwd"}]})
    assert r.status_code == 200
    starts = [d for e, d in events if e == "content_block_start"]
    tool = [s for s in starts if s["content_block"]["type"] == "tool_use"]
    assert len(tool) == 1
    assert tool[0]["content_block"]["name"] == "Bash"
    assert tool[0]["content_block"]["input"] == {}
    partial = "".join(d["delta"]["partial_json"] for e, d in events
                      if e == "content_block_delta" and d["index"] == tool[0]["index"])
    assert json.loads(partial) == {"command": "pwd", "description": "Run the command"}
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"


@pytest.mark.parametrize("marker", ["sim:stream_exception:throttling", "sim:stream_cut"])
def test_sse_mid_stream_failure_ends_with_error_event(gateway, model, marker):
    r, events = sse_events(gateway, {"model": model, "max_tokens": 256,
                                     "messages": [{"role": "user", "content": marker}]})
    assert r.status_code == 200
    names = [e for e, _ in events]
    assert names[0] == "message_start"
    assert names[-1] == "error", names
    err = events[-1][1]
    assert err["type"] == "error" and err["error"]["type"] and err["error"]["message"]
    assert "message_stop" not in names


def test_sdk_raises_on_mid_stream_error(client, model):
    with pytest.raises(anthropic.APIStatusError) as e:
        with client.messages.stream(model=model, max_tokens=256, messages=[
                {"role": "user", "content": "sim:stream_exception:throttling"}]) as s:
            s.get_final_message()
    body = e.value.body
    assert isinstance(body, dict) and body["type"] == "error"
