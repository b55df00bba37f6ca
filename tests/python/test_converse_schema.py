"""Unit tests of converse_schema.py (no server needed)."""

import base64
import copy

import pytest

from converse_schema import OPERATIONS, input_shape_name, validate, validate_shape

PNG_1x1 = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")).decode()
PDF = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()

GOOD = {
    "messages": [
        {"role": "user", "content": [
            {"text": "Describe the image and the document."},
            {"image": {"format": "png", "source": {"bytes": PNG_1x1}}},
            {"document": {"format": "pdf", "name": "Report (v2)", "source": {"bytes": PDF}}},
            {"cachePoint": {"type": "default"}},
        ]},
        {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "Let me think.", "signature": "c2ln"}}},
            {"reasoningContent": {"redactedContent": base64.b64encode(b"opaque").decode()}},
            {"text": "I'll look it up."},
            {"toolUse": {"toolUseId": "toolu_01ABC", "name": "get_weather",
                         "input": {"city": "Paris", "days": [1, 2], "deep": {"x": None}}}},
        ]},
        {"role": "user", "content": [
            {"toolResult": {"toolUseId": "toolu_01ABC", "status": "error",
                            "content": [{"text": "boom"}, {"json": {"code": 42}}]}},
        ]},
    ],
    "system": [{"text": "You are terse."}, {"cachePoint": {"type": "default", "ttl": "1h"}}],
    "inferenceConfig": {"maxTokens": 1024, "temperature": 0.5, "topP": 1, "stopSequences": ["STOP"]},
    "toolConfig": {
        "tools": [
            {"toolSpec": {"name": "get_weather", "description": "Weather for a city",
                          "inputSchema": {"json": {"type": "object",
                                                   "properties": {"city": {"type": "string"}},
                                                   "required": ["city"]}}}},
            {"cachePoint": {"type": "default"}},
        ],
        "toolChoice": {"auto": {}},
    },
    "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024},
                                     "anthropic_beta": ["interleaved-thinking-2025-05-14"],
                                     "top_k": 5},
    "additionalModelResponseFieldPaths": ["/stop_sequence"],
}


def bad(mutate):
    body = copy.deepcopy(GOOD)
    mutate(body)
    return validate(body, "Converse")


def test_model_has_the_operations():
    for op in OPERATIONS:
        assert input_shape_name(op)


def test_good_body_is_valid_for_converse_and_stream():
    assert validate(GOOD, "Converse") == []
    assert validate(GOOD, "ConverseStream") == []


def test_minimal_body():
    assert validate({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}) == []


def test_empty_body_is_valid_shape_wise():
    # Converse has no required body member (modelId is in the URI).
    assert validate({}, "Converse") == []


def test_count_tokens():
    body = {"input": {"converse": {"messages": GOOD["messages"], "system": GOOD["system"],
                                   "toolConfig": GOOD["toolConfig"],
                                   "additionalModelRequestFields": {"thinking": {"type": "adaptive"}}}}}
    assert validate(body, "CountTokens") == []
    assert any("missing required member 'input'" in e for e in validate({}, "CountTokens"))
    errs = validate({"input": {}}, "CountTokens")
    assert any("exactly one member" in e for e in errs), errs
    errs = validate({"input": {"converse": {"messages": [], "inferenceConfig": {}}}}, "CountTokens")
    assert any("inferenceConfig" in e and "unknown member" in e for e in errs), errs


def test_uri_member_in_body_is_rejected():
    errs = bad(lambda b: b.update(modelId="claude-sonnet-4.6"))
    assert len(errs) == 1 and errs[0].startswith("$.modelId:") and "uri" in errs[0]


@pytest.mark.parametrize("mutate, where, what", [
    (lambda b: b.update(stream=True), "$.stream", "unknown member"),
    (lambda b: b["messages"][0].update(cache_control={"type": "ephemeral"}),
     "$.messages[0].cache_control", "unknown member"),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(defer_loading=True),
     "$.toolConfig.tools[0].toolSpec.defer_loading", "unknown member"),
    (lambda b: b["inferenceConfig"].update(top_k=5), "$.inferenceConfig.top_k", "unknown member"),
])
def test_unknown_members(mutate, where, what):
    errs = bad(mutate)
    assert any(e.startswith(where + ":") and what in e for e in errs), errs


@pytest.mark.parametrize("mutate, where, member", [
    (lambda b: b["messages"][0].pop("role"), "$.messages[0]", "role"),
    (lambda b: b["messages"][0].pop("content"), "$.messages[0]", "content"),
    (lambda b: b["toolConfig"].pop("tools"), "$.toolConfig", "tools"),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].pop("inputSchema"),
     "$.toolConfig.tools[0].toolSpec", "inputSchema"),
    (lambda b: b["messages"][1]["content"][3]["toolUse"].pop("input"),
     "$.messages[1].content[3].toolUse", "input"),
    (lambda b: b["messages"][2]["content"][0]["toolResult"].pop("toolUseId"),
     "$.messages[2].content[0].toolResult", "toolUseId"),
    (lambda b: b["messages"][0]["content"][2]["document"].pop("name"),
     "$.messages[0].content[2].document", "name"),
    (lambda b: b["system"][1]["cachePoint"].pop("type"), "$.system[1].cachePoint", "type"),
    (lambda b: b["messages"][1]["content"][0]["reasoningContent"]["reasoningText"].pop("text"),
     "$.messages[1].content[0].reasoningContent.reasoningText", "text"),
])
def test_missing_required(mutate, where, member):
    errs = bad(mutate)
    assert f"{where}: missing required member {member!r}" in " | ".join(errs), errs


@pytest.mark.parametrize("mutate, where, count", [
    (lambda b: b["messages"][0]["content"].append({}), "$.messages[0].content[4]", 0),
    (lambda b: b["messages"][0]["content"][0].update(image=b["messages"][0]["content"][1]["image"]),
     "$.messages[0].content[0]", 2),
    (lambda b: b["system"].append({"text": "a", "cachePoint": {"type": "default"}}), "$.system[2]", 2),
    (lambda b: b["toolConfig"].update(toolChoice={}), "$.toolConfig.toolChoice", 0),
    (lambda b: b["toolConfig"].update(toolChoice={"auto": {}, "any": {}}), "$.toolConfig.toolChoice", 2),
    (lambda b: b["messages"][1]["content"][0].update(reasoningContent={
        "reasoningText": {"text": "x"}, "redactedContent": "eA=="}),
     "$.messages[1].content[0].reasoningContent", 2),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(inputSchema={}),
     "$.toolConfig.tools[0].toolSpec.inputSchema", 0),
])
def test_unions_need_exactly_one_member(mutate, where, count):
    errs = bad(mutate)
    assert any(e.startswith(where + ":") and f"exactly one member set, got {count}" in e
               for e in errs), errs


@pytest.mark.parametrize("mutate, where", [
    (lambda b: b["messages"][0].update(role="tool"), "$.messages[0].role"),
    (lambda b: b["messages"][0]["content"][1]["image"].update(format="bmp"),
     "$.messages[0].content[1].image.format"),
    (lambda b: b["messages"][0]["content"][2]["document"].update(format="rtf"),
     "$.messages[0].content[2].document.format"),
    (lambda b: b["system"][1]["cachePoint"].update(type="ephemeral"), "$.system[1].cachePoint.type"),
    (lambda b: b["system"][1]["cachePoint"].update(ttl="2h"), "$.system[1].cachePoint.ttl"),
    (lambda b: b["messages"][2]["content"][0]["toolResult"].update(status="failed"),
     "$.messages[2].content[0].toolResult.status"),
])
def test_enums(mutate, where):
    errs = bad(mutate)
    assert any(e.startswith(where + ":") and "is not one of" in e for e in errs), errs


@pytest.mark.parametrize("mutate, where, what", [
    (lambda b: b["system"].insert(0, {"text": ""}), "$.system[0].text", "string length 0 is below the minimum 1"),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(name="x" * 65),
     "$.toolConfig.tools[0].toolSpec.name", "string length 65 is above the maximum 64"),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(name=""),
     "$.toolConfig.tools[0].toolSpec.name", "below the minimum 1"),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(description=""),
     "$.toolConfig.tools[0].toolSpec.description", "below the minimum 1"),
    (lambda b: b["messages"][0]["content"][2]["document"].update(name="n" * 201),
     "$.messages[0].content[2].document.name", "above the maximum 200"),
    (lambda b: b["inferenceConfig"].update(maxTokens=0), "$.inferenceConfig.maxTokens",
     "value 0 is below the minimum 1"),
    (lambda b: b["inferenceConfig"].update(temperature=1.5), "$.inferenceConfig.temperature",
     "above the maximum 1"),
    (lambda b: b["inferenceConfig"].update(topP=-0.1), "$.inferenceConfig.topP", "below the minimum 0"),
    (lambda b: b.update(additionalModelResponseFieldPaths=["/x"] * 11),
     "$.additionalModelResponseFieldPaths", "list length 11 is above the maximum 10"),
    (lambda b: b["toolConfig"].update(tools=[]), "$.toolConfig.tools", "list length 0 is below the minimum 1"),
    (lambda b: b["messages"][0]["content"][1]["image"]["source"].update(bytes=""),
     "$.messages[0].content[1].image.source.bytes", "blob size 0 is below the minimum 1"),
    (lambda b: b.update(requestMetadata={}), "$.requestMetadata", "map size 0 is below the minimum 1"),
])
def test_lengths_and_ranges(mutate, where, what):
    errs = bad(mutate)
    assert any(e.startswith(where + ":") and what in e for e in errs), errs


@pytest.mark.parametrize("mutate, where", [
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(name="get weather"),
     "$.toolConfig.tools[0].toolSpec.name"),
    (lambda b: b["messages"][1]["content"][3]["toolUse"].update(toolUseId="toolu 01"),
     "$.messages[1].content[3].toolUse.toolUseId"),
    (lambda b: b.update(requestMetadata={"user": "{\"json\": true}"}), "$.requestMetadata.user"),
])
def test_patterns(mutate, where):
    errs = bad(mutate)
    assert any(e.startswith(where + ":") and "does not match pattern" in e for e in errs), errs


@pytest.mark.parametrize("mutate, where, expected", [
    (lambda b: b["inferenceConfig"].update(maxTokens="1024"), "$.inferenceConfig.maxTokens", "expected integer"),
    (lambda b: b["inferenceConfig"].update(maxTokens=1024.0), "$.inferenceConfig.maxTokens", "expected integer"),
    (lambda b: b["inferenceConfig"].update(maxTokens=True), "$.inferenceConfig.maxTokens", "expected integer"),
    (lambda b: b["inferenceConfig"].update(temperature="0.5"), "$.inferenceConfig.temperature", "expected number"),
    (lambda b: b["inferenceConfig"].update(stopSequences="STOP"), "$.inferenceConfig.stopSequences", "expected array"),
    (lambda b: b.update(system="You are terse."), "$.system", "expected array"),
    (lambda b: b["messages"][0].update(content="hi"), "$.messages[0].content", "expected array"),
    (lambda b: b["messages"][0]["content"][0].update(text=["hi"]), "$.messages[0].content[0].text", "expected string"),
    (lambda b: b["messages"][0]["content"][1]["image"]["source"].update(bytes=[1, 2]),
     "$.messages[0].content[1].image.source.bytes", "expected base64 string"),
    (lambda b: b["messages"][0]["content"][1]["image"]["source"].update(bytes="not base64!"),
     "$.messages[0].content[1].image.source.bytes", "not valid base64"),
    (lambda b: b["toolConfig"]["tools"][0]["toolSpec"].update(strict="yes"),
     "$.toolConfig.tools[0].toolSpec.strict", "expected boolean"),
    (lambda b: b["messages"].__setitem__(0, "hello"), "$.messages[0]", "expected object"),
    (lambda b: b["toolConfig"]["toolChoice"].update(auto=None), "$.toolConfig.toolChoice.auto", "null is not allowed"),
])
def test_wrong_json_types(mutate, where, expected):
    errs = bad(mutate)
    assert any(e.startswith(where + ":") and expected in e for e in errs), errs


def test_documents_accept_any_json():
    for value in (None, 1, 1.5, "s", True, [], {}, [{"a": [None, {"b": 2}]}]):
        body = copy.deepcopy(GOOD)
        body["additionalModelRequestFields"] = {"anything": value}
        body["messages"][1]["content"][3]["toolUse"]["input"] = {"v": value}
        if value is not None:  # a member set to null counts as absent (and is reported)
            body["messages"][2]["content"][0]["toolResult"]["content"][1]["json"] = value
        assert validate(body) == [], value
    body = copy.deepcopy(GOOD)
    body["additionalModelRequestFields"] = "a string is JSON too"
    assert validate(body) == []


def test_null_member_is_reported():
    body = copy.deepcopy(GOOD)
    body["additionalModelRequestFields"] = None
    errs = validate(body)
    assert errs == ["$.additionalModelRequestFields: null is not allowed (expected any JSON)"]


def test_several_errors_are_all_reported():
    body = copy.deepcopy(GOOD)
    body["stream"] = True
    body["inferenceConfig"]["maxTokens"] = 0
    body["messages"][0]["role"] = "human"
    errs = validate(body)
    assert len(errs) == 3, errs


def test_validate_shape_directly():
    assert validate_shape({"role": "user", "content": [{"text": "x"}]}, "Message") == []
    assert validate_shape({"cachePoint": {"type": "default"}}, "ContentBlock") == []
    assert validate_shape({"text": "x", "cachePoint": {"type": "default"}}, "ContentBlock") != []


def test_unknown_operation():
    with pytest.raises(KeyError):
        validate({}, "Nope")
