"""The gateway (`serve --simulate`) through the official `anthropic` Python SDK, non-streaming.

Scenarios are picked by `sim:` markers in the last user message (docs/simulator.md).
"""

from __future__ import annotations

import json

import anthropic
import httpx
import pytest

from gateway_testkit import BASH_TOOL, MINIMAL_PDF, PNG_1x1, WEATHER_TOOL, user


def check_message(msg, model):
    assert msg.type == "message"
    assert msg.role == "assistant"
    assert msg.id.startswith("msg_")
    assert msg.model == model
    assert msg.usage.input_tokens > 0
    assert msg.usage.output_tokens > 0


# -- plain answers ------------------------------------------------------------------------------

def test_plain_text(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=user("Hello there, gateway"))
    check_message(msg, model)
    assert [b.type for b in msg.content] == ["text"]
    assert msg.content[0].text.startswith("Hello from the AI Nexus simulator. You said: ")
    assert "Hello there, gateway" in msg.content[0].text
    assert msg.stop_reason == "end_turn"
    assert msg.stop_sequence is None


def test_system_prompt_string(client, model):
    msg = client.messages.create(model=model, max_tokens=256, system="You are terse.",
                                 messages=user("sim:echo repeat me"))
    check_message(msg, model)
    assert msg.content[0].text == "sim:echo repeat me"


def test_system_prompt_blocks_with_cache_control(client, model):
    msg = client.messages.create(
        model=model, max_tokens=256,
        system=[{"type": "text", "text": "You are terse."},
                {"type": "text", "text": "Answer in English.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "sim:echo cached", "cache_control": {"type": "ephemeral"}}]}])
    check_message(msg, model)
    assert msg.content[0].text == "sim:echo cached"


def test_multi_turn_conversation(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=[
        {"role": "user", "content": "First question"},
        {"role": "assistant", "content": "First answer"},
        {"role": "user", "content": "sim:echo second question"},
    ])
    assert msg.content[0].text == "sim:echo second question"


def test_temperature_top_k_are_accepted(client, model):
    # This SDK version no longer has the sampling parameters: send them as extra body fields.
    msg = client.messages.create(model=model, max_tokens=64, extra_body={"temperature": 0.2, "top_k": 5},
                                 messages=user("sim:echo sampling"))
    assert msg.content[0].text == "sim:echo sampling"


def test_metadata_user_id_is_accepted(client, model):
    # Claude Code sends a JSON string here; Converse's requestMetadata would refuse it.
    uid = json.dumps({"device_id": "0" * 64, "account_uuid": "", "session_id": "abc"})
    msg = client.messages.create(model=model, max_tokens=64, metadata={"user_id": uid},
                                 messages=user("sim:echo metadata"))
    assert msg.content[0].text == "sim:echo metadata"


# -- tools --------------------------------------------------------------------------------------

def test_tool_use(client, model):
    msg = client.messages.create(model=model, max_tokens=256, tools=[WEATHER_TOOL],
                                 messages=user("sim:tool What is the weather?"))
    check_message(msg, model)
    assert msg.stop_reason == "tool_use"
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert len(uses) == 1
    assert uses[0].name == "get_weather"
    assert uses[0].input == {"city": "x"}
    assert uses[0].id


def test_tool_round_trip_with_tool_result(client, model):
    first = client.messages.create(model=model, max_tokens=256, tools=[BASH_TOOL],
                                   messages=user("sim:bash:echo round-trip"))
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.name == "Bash"
    assert use.input["command"] == "echo round-trip"
    history = [
        {"role": "user", "content": "sim:bash:echo round-trip"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                      "content": "round-trip"}]},
    ]
    second = client.messages.create(model=model, max_tokens=256, tools=[BASH_TOOL],
                                    messages=history)
    check_message(second, model)
    assert second.stop_reason == "end_turn"
    assert second.content[-1].type == "text"
    assert second.content[-1].text == "Tool said: round-trip"


def test_tool_result_with_blocks_and_error_flag(client, model):
    first = client.messages.create(model=model, max_tokens=256, tools=[BASH_TOOL],
                                   messages=user("sim:bash:false"))
    use = next(b for b in first.content if b.type == "tool_use")
    second = client.messages.create(model=model, max_tokens=256, tools=[BASH_TOOL], messages=[
        {"role": "user", "content": "sim:bash:false"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": use.id, "is_error": True,
             "content": [{"type": "text", "text": "exit code 1"}]},
            {"type": "text", "text": "It failed, what now?"}]},
    ])
    assert second.stop_reason == "end_turn"
    assert "exit code 1" in second.content[-1].text


def test_tool_choice_forced(client, model):
    msg = client.messages.create(model=model, max_tokens=256, tools=[WEATHER_TOOL, BASH_TOOL],
                                 tool_choice={"type": "tool", "name": "get_weather"},
                                 messages=user("sim:tool weather please"))
    assert msg.stop_reason == "tool_use"


# -- thinking -----------------------------------------------------------------------------------

THINKING = {"type": "enabled", "budget_tokens": 1024}


def test_thinking_and_signature_round_trip(client, model):
    first = client.messages.create(model=model, max_tokens=2048, thinking=THINKING,
                                   messages=user("sim:thinking Why is the sky blue?"))
    check_message(first, model)
    assert [b.type for b in first.content] == ["thinking", "text"]
    thinking = first.content[0]
    assert thinking.thinking
    assert thinking.signature
    # The thinking block goes back unchanged, with its signature.
    second = client.messages.create(model=model, max_tokens=2048, thinking=THINKING, messages=[
        {"role": "user", "content": "sim:thinking Why is the sky blue?"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": "sim:echo thanks"},
    ])
    assert second.content[-1].text == "sim:echo thanks"


def test_altered_thinking_signature_is_refused(client, model):
    first = client.messages.create(model=model, max_tokens=2048, thinking=THINKING,
                                   messages=user("sim:thinking tamper"))
    blocks = [b.model_dump(exclude_none=True) for b in first.content]
    blocks[0]["signature"] = "forged" + blocks[0]["signature"]
    with pytest.raises(anthropic.BadRequestError) as e:
        client.messages.create(model=model, max_tokens=2048, thinking=THINKING, messages=[
            {"role": "user", "content": "sim:thinking tamper"},
            {"role": "assistant", "content": blocks},
            {"role": "user", "content": "sim:echo next"},
        ])
    assert e.value.body["error"]["type"] == "invalid_request_error"


def test_redacted_thinking_round_trip(client, model):
    first = client.messages.create(model=model, max_tokens=2048, thinking=THINKING,
                                   messages=user("sim:redacted hello"))
    check_message(first, model)
    assert [b.type for b in first.content] == ["redacted_thinking", "text"]
    assert first.content[0].data
    second = client.messages.create(model=model, max_tokens=2048, thinking=THINKING, messages=[
        {"role": "user", "content": "sim:redacted hello"},
        {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
        {"role": "user", "content": "sim:echo and now"},
    ])
    assert second.content[-1].text == "sim:echo and now"


# -- stop reasons -------------------------------------------------------------------------------

def test_stop_reason_max_tokens(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=user("sim:max_tokens go"))
    assert msg.stop_reason == "max_tokens"
    assert msg.content[0].type == "text" and msg.content[0].text


def test_max_tokens_cuts_a_long_answer(client, model):
    msg = client.messages.create(model=model, max_tokens=5, messages=user("sim:long:50"))
    assert msg.stop_reason == "max_tokens"


def test_stop_reason_stop_sequence(client, model):
    msg = client.messages.create(model=model, max_tokens=256, stop_sequences=["STOP"],
                                 messages=user("sim:stop_sequence count to ten"))
    assert msg.stop_reason == "stop_sequence"
    assert msg.stop_sequence == "STOP"


def test_stop_reason_end_turn_has_no_stop_sequence(client, model):
    msg = client.messages.create(model=model, max_tokens=256, stop_sequences=["STOP"],
                                 messages=user("plain"))
    assert msg.stop_reason == "end_turn"
    assert msg.stop_sequence is None


def test_refusal(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=user("sim:refusal"))
    assert msg.stop_reason == "refusal"


# -- errors from AI Nexus -----------------------------------------------------------------------

@pytest.mark.parametrize("name, exc, status, etype", [
    ("throttling", anthropic.RateLimitError, 429, "rate_limit_error"),
    ("model_not_ready", anthropic.RateLimitError, 429, "rate_limit_error"),
    ("validation", anthropic.BadRequestError, 400, "invalid_request_error"),
    ("too_long", anthropic.BadRequestError, 400, "invalid_request_error"),
    ("access_denied", anthropic.PermissionDeniedError, 403, "permission_error"),
    ("not_found", anthropic.NotFoundError, 404, "not_found_error"),
    ("model_timeout", anthropic.APIStatusError, 504, "timeout_error"),
    ("model_error", anthropic.InternalServerError, 500, "api_error"),
    ("internal", anthropic.InternalServerError, 500, "api_error"),
    ("unavailable", anthropic.APIStatusError, 529, "overloaded_error"),
])
def test_upstream_errors(client, model, name, exc, status, etype):
    with pytest.raises(exc) as e:
        client.messages.create(model=model, max_tokens=64, messages=user(f"sim:error:{name}"))
    err = e.value
    assert err.status_code == status
    assert isinstance(err.body, dict), err.body
    assert err.body.get("type") == "error"
    assert err.body["error"]["type"] == etype
    assert isinstance(err.body["error"]["message"], str) and err.body["error"]["message"]
    if name == "too_long":
        # Claude Code compacts when it sees this wording.
        assert err.body["error"]["message"].startswith("prompt is too long")


def test_throttle_then_success_with_sdk_retries(gateway, model):
    # The SDK retries 429s by itself; the gateway must keep answering the same text.
    retrying = anthropic.Anthropic(base_url=gateway.url, api_key="sk-test", max_retries=3)
    msg = retrying.messages.create(model=model, max_tokens=64,
                                   messages=user("sim:throttle:1 retry please"))
    assert msg.content[0].text.startswith("Hello from the AI Nexus simulator")


def test_error_response_headers(gateway, model):
    r = httpx.post(f"{gateway.url}/v1/messages", timeout=30,
                   headers={"x-api-key": "sk-test", "anthropic-version": "2023-06-01"},
                   json={"model": model, "max_tokens": 16,
                         "messages": user("sim:error:throttling")})
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["type"] == "error" and body["error"]["type"] == "rate_limit_error"


# -- bad input ----------------------------------------------------------------------------------

def raw_post(gateway, content, path="/v1/messages", content_type="application/json"):
    return httpx.post(f"{gateway.url}{path}", content=content, timeout=30,
                      headers={"x-api-key": "sk-test", "anthropic-version": "2023-06-01",
                               "content-type": content_type})


def assert_invalid_request(r, status=400, etype="invalid_request_error"):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == etype
    assert body["error"]["message"]


def test_missing_max_tokens(gateway, model):
    r = raw_post(gateway, json.dumps({"model": model, "messages": user("hi")}))
    assert_invalid_request(r)
    assert "max_tokens" in r.json()["error"]["message"]


def test_missing_messages(gateway, model):
    assert_invalid_request(raw_post(gateway, json.dumps({"model": model, "max_tokens": 10})))


def test_invalid_json(gateway):
    assert_invalid_request(raw_post(gateway, b'{"model": "claude-sonnet-4-6", "max_tokens": 1,'))


def test_body_not_an_object(gateway):
    assert_invalid_request(raw_post(gateway, b"[1, 2, 3]"))


def test_wrong_type(gateway, model):
    r = raw_post(gateway, json.dumps({"model": model, "max_tokens": "ten", "messages": user("hi")}))
    assert_invalid_request(r)


def test_unknown_model(client):
    with pytest.raises(anthropic.NotFoundError) as e:
        client.messages.create(model="no-such-model", max_tokens=10, messages=user("hi"))
    assert e.value.status_code == 404
    assert e.value.body["error"]["type"] == "not_found_error"


def test_unknown_route_is_404(gateway):
    r = httpx.get(f"{gateway.url}/v1/nothing-here", headers={"x-api-key": "sk-test"}, timeout=30)
    assert r.status_code == 404


# -- media --------------------------------------------------------------------------------------

def test_image_base64_png(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_1x1}},
        {"type": "text", "text": "sim:echo what is in the image?"}]}])
    check_message(msg, model)
    assert msg.content[0].text == "sim:echo what is in the image?"


def test_pdf_document(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": [
        {"type": "document", "title": "report_2024.pdf",
         "source": {"type": "base64", "media_type": "application/pdf", "data": MINIMAL_PDF}},
        {"type": "text", "text": "sim:echo summarise the document"}]}])
    check_message(msg, model)
    assert msg.content[0].text == "sim:echo summarise the document"


def test_plain_text_document(client, model):
    msg = client.messages.create(model=model, max_tokens=256, messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                        "data": "Some notes."}},
        {"type": "text", "text": "sim:echo read the notes"}]}])
    assert msg.content[0].text == "sim:echo read the notes"


# -- count_tokens and models --------------------------------------------------------------------

def test_count_tokens(client, model):
    small = client.messages.count_tokens(model=model, messages=user("hi"))
    assert isinstance(small.input_tokens, int) and small.input_tokens > 0
    big = client.messages.count_tokens(model=model, system="You are a helpful assistant. " * 20,
                                       tools=[WEATHER_TOOL, BASH_TOOL],
                                       messages=user("Tell me about the weather in Paris. " * 20))
    assert big.input_tokens > small.input_tokens


def test_count_tokens_with_empty_tools_and_thinking(client, model):
    # Claude Code's /context sends `tools: []`.
    r = client.messages.count_tokens(model=model, tools=[], messages=user("foo"),
                                     thinking={"type": "enabled", "budget_tokens": 1024})
    assert r.input_tokens > 0


def test_models_list(client):
    page = client.models.list()
    models = list(page.data)
    assert models, "no models listed"
    for m in models:
        assert m.type == "model"
        assert m.id
        assert m.display_name
