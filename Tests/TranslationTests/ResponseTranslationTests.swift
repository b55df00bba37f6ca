import AnthropicAPI
import BedrockAPI
import NexusJSON
import Testing
import Translation

/// Converse responses → Anthropic messages (reference: "Response: Converse → Anthropic").
@Suite struct ResponseTranslationTests {
    func response(_ text: String) throws -> ConverseResponse { try ConverseResponse(json: try json(text)) }

    @Test func fullResponse() throws {
        let converse = try response(
            #"""
            {"output":{"message":{"role":"assistant","content":[
               {"reasoningContent":{"reasoningText":{"text":"Thinking...","signature":"sig=="}}},
               {"reasoningContent":{"redactedContent":"UmVkYWN0ZWQ="}},
               {"text":"Hello"},
               {"citationsContent":{"content":[{"text":"Paris "},{"text":"is the capital."}],"citations":[{"title":"doc","sourceContent":[{"text":"Paris"}]}]}},
               {"toolUse":{"toolUseId":"toolu_1","name":"get","input":{"a":1}}}]}},
             "stopReason":"tool_use",
             "usage":{"inputTokens":10,"outputTokens":20,"totalTokens":180,"cacheReadInputTokens":100,"cacheWriteInputTokens":50,
                      "cacheDetails":[{"ttl":"5m","inputTokens":30},{"ttl":"1h","inputTokens":20}]},
             "metrics":{"latencyMs":5},"p":"abcdefgh"}
            """#)
        let message = try ResponseTranslator.message(converse, id: "msg_1", model: "claude-sonnet-4-6")
        #expect(
            message.jsonValue.jsonString
                == #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":["#
                + #"{"type":"thinking","thinking":"Thinking...","signature":"sig=="},"#
                + #"{"type":"redacted_thinking","data":"UmVkYWN0ZWQ="},"#
                + #"{"type":"text","text":"Hello"},"#
                + #"{"type":"text","text":"Paris is the capital."},"#
                + #"{"type":"tool_use","id":"toolu_1","name":"get","input":{"a":1}}],"#
                + #""stop_reason":"tool_use","stop_sequence":null,"usage":"#
                + usageJSON(input: 10, output: 20, cacheWrite: 50, cacheRead: 100, write5m: 30, write1h: 20) + "}")
    }

    @Test(arguments: [
        ("end_turn", "end_turn"), ("tool_use", "tool_use"), ("max_tokens", "max_tokens"),
        ("stop_sequence", "stop_sequence"),
        ("model_context_window_exceeded", "model_context_window_exceeded"), ("guardrail_intervened", "refusal"),
        ("content_filtered", "refusal"), ("some_future_reason", "end_turn"),
    ])
    func stopReason(_ converse: String, _ anthropic: String) throws {
        #expect(try ResponseTranslator.stopReason(converse) == anthropic)
        let message = try ResponseTranslator.message(
            ConverseResponse(content: [.text("x")], stopReason: converse, usage: ConverseUsage()), id: "msg", model: "m"
        )
        #expect(message.stopReason == anthropic)
    }

    @Test(arguments: ["malformed_model_output", "malformed_tool_use"])
    func malformedOutputIsAnAPIError(_ reason: String) {
        do {
            _ = try ResponseTranslator.message(
                ConverseResponse(content: [.text("x")], stopReason: reason, usage: ConverseUsage()), id: "msg",
                model: "m")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .api)
            #expect(error.status == 500)
            #expect(error.message == "The model produced malformed output (\(reason)). Retry the request.")
        }
    }

    @Test(
        arguments: [
            ("stop_sequence", ####"{"stop_sequence":"###"}"####, "###"),
            ("stop_sequence", nil, nil),
            ("end_turn", ####"{"stop_sequence":"###"}"####, nil),
            ("stop_sequence", #"{"stop_sequence":null}"#, nil),
        ] as [(String, String?, String?)])
    func stopSequence(_ reason: String, _ fields: String?, _ expected: String?) throws {
        var body =
            #"{"output":{"message":{"role":"assistant","content":[{"text":"a"}]}},"stopReason":"\#(reason)","usage":{"inputTokens":1,"outputTokens":1}"#
        if let fields { body += #","additionalModelResponseFields":\#(fields)"# }
        let message = try ResponseTranslator.message(try response(body + "}"), id: "msg", model: "m")
        #expect(message.stopSequence == expected)
        #expect(message.jsonValue.json(at: "stop_sequence") == (expected.map { "\"\($0)\"" } ?? "null"))
    }

    @Test(arguments: [
        (#"{"inputTokens":10,"outputTokens":5}"#, usageJSON(input: 10, output: 5)),
        (
            #"{"inputTokens":10,"outputTokens":5,"cacheReadInputTokens":7}"#,
            usageJSON(input: 10, output: 5, cacheRead: 7)
        ),
        (
            #"{"inputTokens":10,"outputTokens":5,"cacheWriteInputTokens":40}"#,
            usageJSON(input: 10, output: 5, cacheWrite: 40)
        ),
        (
            #"{"inputTokens":1,"outputTokens":2,"cacheWriteInputTokens":40,"cacheDetails":[{"ttl":"1h","inputTokens":40}]}"#,
            usageJSON(input: 1, output: 2, cacheWrite: 40, write5m: 0, write1h: 40)
        ),
        (
            #"{"inputTokens":1,"outputTokens":2,"cacheWriteInputTokens":40,"cacheDetails":[{"ttl":"5m","inputTokens":15},{"ttl":"1h","inputTokens":25}]}"#,
            usageJSON(input: 1, output: 2, cacheWrite: 40, write5m: 15, write1h: 25)
        ),
        (
            #"{"inputTokens":1,"outputTokens":2,"cacheWriteInputTokens":40,"cacheDetails":[{"ttl":"5m","inputTokens":15}]}"#,
            usageJSON(input: 1, output: 2, cacheWrite: 40, write5m: 15, write1h: 0)
        ),
        (#"{}"#, usageJSON(input: 0, output: 0)),
    ])
    func usage(_ converse: String, _ expected: String) throws {
        #expect(ResponseTranslator.usage(ConverseUsage(json: try json(converse))).jsonValue.jsonString == expected)
    }

    @Test func reasoningWithoutSignature() throws {
        let message = try ResponseTranslator.message(
            try response(
                #"{"output":{"message":{"content":[{"reasoningContent":{"reasoningText":{"text":"t"}}}]}},"stopReason":"end_turn"}"#
            ),
            id: "msg", model: "m")
        #expect(message.content == [.thinking(thinking: "t", signature: "")])
    }

    @Test func unknownOutputBlocksAreSkipped() throws {
        let message = try ResponseTranslator.message(
            try response(
                #"{"output":{"message":{"content":[{"image":{"format":"png"}},{"text":"a"},{"cachePoint":{"type":"default"}}]}},"stopReason":"end_turn"}"#
            ),
            id: "msg", model: "m")
        #expect(message.content == [.text("a")])
    }

    @Test(arguments: [
        (#"{"stopReason":"end_turn"}"#, "response has no output.message.content"),
        (#"{"output":{"message":{"content":[]}}}"#, "response has no stopReason"),
        (
            #"{"output":{"message":{"content":[{"toolUse":{"name":"x"}}]}},"stopReason":"tool_use"}"#,
            "toolUse block without toolUseId or name"
        ),
        (
            #"{"output":{"message":{"content":[{"reasoningContent":{}}]}},"stopReason":"end_turn"}"#,
            "reasoningContent block without reasoningText or redactedContent"
        ),
    ])
    func notConverse(_ body: String, _ description: String) throws {
        let value = try json(body)
        #expect(throws: ConverseDecodingError(description)) { try ConverseResponse(json: value) }
    }

    @Test func modelNameIsTheClients() throws {
        let message = try ResponseTranslator.message(
            ConverseResponse(
                content: [], stopReason: "end_turn", usage: ConverseUsage(inputTokens: 3, outputTokens: 4)),
            id: "msg_abc", model: "claude-opus-5-5")
        #expect(
            message.jsonValue.jsonString
                == #"{"id":"msg_abc","type":"message","role":"assistant","model":"claude-opus-5-5","content":[],"stop_reason":"end_turn","stop_sequence":null,"usage":"#
                + usageJSON(input: 3, output: 4) + "}")
    }
}
