import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NexusJSON
import NexusSimulator
import Testing

/// The Anthropic Messages API face: auth, headers, validation, answers, SSE, signatures, count_tokens.
@Suite("Anthropic face")
struct AnthropicFaceTests {
    // MARK: Auth and headers

    @Test func authentication() async throws {
        try await Sim.with { client throws in
            let missing = try await Anth.post(client, key: nil, body: Anth.ask("hi"))
            #expect(missing.status == 401)
            #expect(missing.anthropicError.type == "authentication_error")
            #expect(missing.anthropicError.message == "x-api-key header is required")
            #expect(missing.json?["type"]?.stringValue == "error")
            #expect(missing.json?["request_id"]?.stringValue?.hasPrefix("req_") == true)
            #expect(missing.headers[HTTPField.Name("request-id")!]?.hasPrefix("req_") == true)
            for key in ["", "bad-key"] {
                let refused = try await Anth.post(client, key: key, body: Anth.ask("hi"))
                #expect(refused.status == 401)
                #expect(refused.anthropicError.message == "invalid x-api-key")
            }
            #expect(try await Anth.post(client, key: "bad", bearer: true, body: Anth.ask("hi")).status == 401)
            #expect(try await Anth.post(client, bearer: true, body: Anth.ask("hi")).status == 200)
            #expect(try await Anth.post(client, body: Anth.ask("hi")).status == 200)
        }
    }

    @Test func versionAndBetaHeaders() async throws {
        try await Sim.with { client throws in
            let noVersion = try await Anth.post(client, version: nil, body: Anth.ask("hi"))
            #expect(noVersion.status == 400)
            #expect(noVersion.anthropicError.type == "invalid_request_error")
            #expect(noVersion.anthropicError.message == "anthropic-version: header is required")
            let claudeCode =
                "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14"
            #expect(try await Anth.post(client, beta: claudeCode, body: Anth.ask("hi")).status == 200)
            let unknown = try await Anth.post(
                client, beta: "context-1m-2025-08-07, made-up-2020-01-01", body: Anth.ask("hi"))
            #expect(unknown.status == 400)
            #expect(
                unknown.anthropicError.message?.hasPrefix(
                    "Unexpected value(s) `made-up-2020-01-01` for the `anthropic-beta` header.") == true)
            let beta = try await Anth.post(client, "/v1/messages?beta=true", body: Anth.ask("hi"))
            #expect(beta.status == 200)
        }
    }

    @Test func models() async throws {
        try await Sim.with { client throws in
            for model in ["claude-sonnet-4.6", "claude-nonexistent-1"] {
                let response = try await Anth.post(client, body: Anth.body([Anth.user("hi")], model: model))
                #expect(response.status == 404)
                #expect(response.anthropicError.type == "not_found_error")
                #expect(response.anthropicError.message == "model: \(model)")
            }
            for model in ["claude-opus-4-6", "claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"] {
                let response = try await Anth.post(client, body: Anth.body([Anth.user("hi")], model: model))
                #expect(response.status == 200)
                #expect(response.json?["model"]?.stringValue == model)
            }
            var headers = HTTPFields()
            headers[HTTPField.Name("x-api-key")!] = "k"
            headers[HTTPField.Name("anthropic-version")!] = "2023-06-01"
            let list = try await client.execute(uri: "/v1/models", method: .get, headers: headers)
            #expect(list.status == .ok)
            let ids = (try JSONValue.parse(list.body))["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains("claude-sonnet-4-6") && ids.contains("claude-opus-4-5-20251101"))
            #expect(!ids.contains("claude-sonnet-4.6"))
            let one = try await client.execute(uri: "/v1/models/claude-opus-4-6", method: .get, headers: headers)
            #expect((try JSONValue.parse(one.body))["display_name"]?.stringValue == "Claude Opus 4.6")
            let none = try await client.execute(uri: "/v1/models/claude-opus-4.6", method: .get, headers: headers)
            #expect(none.status == .notFound)
        }
    }

    // MARK: Validation

    static let invalidBodies: [(JSONValue, String)] = [
        (["max_tokens": 10, "messages": [Anth.user("x")]], "model: Field required"),
        (["model": .string(Anth.model), "messages": [Anth.user("x")]], "max_tokens: Field required"),
        (["model": .string(Anth.model), "max_tokens": 10], "messages: Field required"),
        (Anth.ask("x", extra: [("foo", 1)]), "foo: Extra inputs are not permitted"),
        (Anth.body([Anth.user("x")], maxTokens: 0), "max_tokens: Input should be greater than or equal to 1"),
        (
            Anth.body([Anth.user("x")], maxTokens: 64_001),
            "max_tokens: 64001 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-6"
        ),
        (Anth.body([]), "messages: at least one message is required"),
        (Anth.body([["role": "system", "content": "x"]]), "messages.0.role: Input should be 'user' or 'assistant'"),
        (Anth.ask("x", extra: [("temperature", .double(1.5))]), "temperature: Input should be less than or equal to 1"),
        (Anth.ask("x", extra: [("stream", "yes")]), "stream: Input should be a valid boolean"),
        (
            Anth.ask("x", extra: [("temperature", .double(0.5)), ("top_p", .double(0.9))]),
            "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
        ),
        (
            Anth.body([Anth.user([["type": "txt", "text": "x"]])]),
            "messages.0.content.0: Input tag 'txt' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', 'code_execution_tool_result', 'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'mcp_tool_use', 'mcp_tool_result', 'container_upload'"
        ),
        (
            Anth.body([Anth.user([["type": "text", "text": "x", "colour": "red"]])]),
            "messages.0.content.0.text.colour: Extra inputs are not permitted"
        ),
        (
            Anth.body([Anth.user([])]),
            "messages.0: all messages must have non-empty content except for the optional final assistant message"
        ),
        (Anth.body([Anth.user([["type": "text", "text": ""]])]), "messages: text content blocks must be non-empty"),
        (
            Anth.ask("x", extra: [("thinking", ["type": "enabled", "budget_tokens": 512])]),
            "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
        ),
        (
            Anth.ask("x", extra: [("thinking", ["type": "enabled", "budget_tokens": 2048])]),
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
        ),
        (
            Anth.body([Anth.user("x"), Anth.assistant([["type": "text", "text": "ok "]])]),
            "messages: final assistant content cannot end with trailing whitespace"
        ),
        (
            Anth.body(
                [
                    Anth.user("x"),
                    Anth.assistant([["type": "tool_use", "id": "toolu_1", "name": "Bash", "input": ["command": "ls"]]]),
                    Anth.user("no result"),
                ], extra: [("tools", Anth.bashTool)]),
            "messages.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
        ),
        (
            Anth.body([Anth.user([["type": "tool_result", "tool_use_id": "toolu_9", "content": "out"]])]),
            "messages.0.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_9. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        ),
        (
            Anth.body([
                Anth.user(
                    (0..<5).map { i in
                        ["type": "text", "text": .string("part \(i)"), "cache_control": ["type": "ephemeral"]]
                    })
            ]),
            "A maximum of 4 blocks with cache_control may be provided. Found 5."
        ),
        (
            Anth.body(
                [Anth.user("x")], extra: [("tools", [["name": "bad name!", "input_schema": ["type": "object"]]])]),
            "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"
        ),
    ]

    @Test(arguments: 0..<invalidBodies.count)
    func rejectsInvalidBodies(index: Int) async throws {
        let (body, message) = Self.invalidBodies[index]
        try await Sim.with { client throws in
            let response = try await Anth.post(client, body: body)
            #expect(response.status == 400)
            #expect(response.anthropicError.type == "invalid_request_error")
            #expect(response.anthropicError.message == message)
        }
    }

    @Test func acceptsWhatTheAPIAccepts() async throws {
        try await Sim.with { client throws in
            // Consecutive user messages, an assistant first message, a prefill, system blocks, metadata.
            let body = Anth.body(
                [
                    ["role": "assistant", "content": "Earlier answer"], Anth.user("one"), Anth.user("two sim:echo"),
                    ["role": "assistant", "content": "Sure"],
                ],
                extra: [
                    ("system", [["type": "text", "text": "Be brief.", "cache_control": ["type": "ephemeral"]]]),
                    ("metadata", ["user_id": "u1"]), ("temperature", .double(0.5)), ("stop_sequences", ["STOP"]),
                ])
            let response = try await Anth.post(client, body: body)
            #expect(response.status == 200)
            #expect(response.json?["type"]?.stringValue == "message")
        }
    }

    @Test func bodyTooLargeAndMalformed() async throws {
        try await Sim.with(SimulatorOptions(maxRequestBytes: 1024)) { client throws in
            let big = try await Anth.post(client, body: Anth.ask(String(repeating: "x", count: 4096)))
            #expect(big.status == 413)
            #expect(big.anthropicError.type == "request_too_large")
            let bad = try await Anth.post(client, raw: ByteBuffer(string: "{nope"))
            #expect(bad.status == 400)
            #expect(bad.anthropicError.type == "invalid_request_error")
            #expect(bad.anthropicError.message?.hasPrefix("The request body is not valid JSON: ") == true)
        }
    }

    // MARK: Answers

    @Test func textAnswer() async throws {
        try await Sim.with { client throws in
            let response = try await Anth.post(client, body: Anth.ask("hello there"))
            #expect(response.status == 200)
            #expect(response.headers[.contentType] == "application/json")
            let json = try #require(response.json)
            #expect(json["id"]?.stringValue?.hasPrefix("msg_") == true)
            #expect(json["type"]?.stringValue == "message")
            #expect(json["role"]?.stringValue == "assistant")
            #expect(json["model"]?.stringValue == Anth.model)
            #expect(json["stop_reason"]?.stringValue == "end_turn")
            #expect(json["stop_sequence"]?.isNull == true)
            #expect(response.anthropicText == "Hello from the AI Nexus simulator. You said: hello there")
            let usage = try #require(json["usage"])
            #expect((usage["input_tokens"]?.intValue ?? 0) > 0)
            #expect((usage["output_tokens"]?.intValue ?? 0) > 0)
            #expect(usage["cache_creation_input_tokens"]?.intValue == 0)
            #expect(usage["cache_read_input_tokens"]?.intValue == 0)
        }
    }

    @Test func stopReasons() async throws {
        try await Sim.with { client throws in
            let refusal = try await Anth.post(client, body: Anth.ask("sim:refusal"))
            #expect(refusal.json?["stop_reason"]?.stringValue == "refusal")
            let stop = try await Anth.post(
                client, body: Anth.ask("sim:stop_sequence", extra: [("stop_sequences", ["END"])]))
            #expect(stop.json?["stop_reason"]?.stringValue == "stop_sequence")
            #expect(stop.json?["stop_sequence"]?.stringValue == "END")
            let cut = try await Anth.post(client, body: Anth.body([Anth.user("sim:long:50")], maxTokens: 5))
            #expect(cut.json?["stop_reason"]?.stringValue == "max_tokens")
        }
    }

    @Test func toolUseAndResult() async throws {
        try await Sim.with { client throws in
            let first = try await Anth.post(client, body: Anth.ask("sim:tool", extra: [("tools", Anth.bashTool)]))
            #expect(first.json?["stop_reason"]?.stringValue == "tool_use")
            let block = try #require(first.json?["content"]?.arrayValue?.first)
            #expect(block["type"]?.stringValue == "tool_use")
            #expect(block["name"]?.stringValue == "Bash")
            #expect(block["id"]?.stringValue?.hasPrefix("toolu_") == true)
            #expect(block["input"]?["command"]?.stringValue == "x")
            let id = block["id"] ?? ""
            let second = try await Anth.post(
                client,
                body: Anth.body(
                    [
                        Anth.user("sim:tool"), Anth.assistant([block]),
                        Anth.user([["type": "tool_result", "tool_use_id": id, "content": "file.txt"]]),
                    ], extra: [("tools", Anth.bashTool)]))
            #expect(second.status == 200)
            #expect(second.anthropicText == "Tool said: file.txt")
        }
    }

    @Test func errorsAndThrottle() async throws {
        try await Sim.with { client throws in
            let cases: [(String, Int, String)] = [
                ("sim:error:overloaded", 529, "overloaded_error"), ("sim:error:internal", 500, "api_error"),
                ("sim:error:throttling", 429, "rate_limit_error"), ("sim:error:permission", 403, "permission_error"),
                ("sim:error:not_found", 404, "not_found_error"), ("sim:error:too_large", 413, "request_too_large"),
                ("sim:error:invalid_request", 400, "invalid_request_error"),
                ("sim:error:ThrottlingException", 429, "rate_limit_error"),
                ("sim:error:overloaded_error", 529, "overloaded_error"),
            ]
            for (text, status, type) in cases {
                let response = try await Anth.post(client, body: Anth.ask(text))
                #expect(response.status == status, "\(text)")
                #expect(response.anthropicError.type == type, "\(text)")
            }
            let throttled = try await Anth.post(client, body: Anth.ask("sim:throttle:1 again"))
            #expect(throttled.status == 429)
            #expect(throttled.headers[HTTPField.Name("retry-after")!] != nil)
            #expect(try await Anth.post(client, body: Anth.ask("sim:throttle:1 again")).status == 200)
        }
    }

    // MARK: Thinking signatures

    @Test func thinkingSignatures() async throws {
        try await Sim.with { client throws in
            let first = try await Anth.post(client, body: Anth.ask("sim:thinking"))
            let content = try #require(first.json?["content"]?.arrayValue)
            #expect(content.first?["type"]?.stringValue == "thinking")
            let thought = content.first?["thinking"]?.stringValue ?? ""
            let signature = content.first?["signature"]?.stringValue ?? ""
            #expect(!signature.isEmpty)

            func followUp(_ thinking: JSONValue) -> JSONValue {
                Anth.body([
                    Anth.user("sim:thinking"), Anth.assistant([thinking, ["type": "text", "text": "Hello"]]),
                    Anth.user("and now?"),
                ])
            }
            let own = try await Anth.post(client, body: followUp(content[0]))
            #expect(own.status == 200)
            let altered = try await Anth.post(
                client,
                body: followUp([
                    "type": "thinking", "thinking": .string(thought + "!"), "signature": .string(signature),
                ]))
            #expect(altered.status == 400)
            #expect(altered.anthropicError.message == "messages.1.content.0: Invalid `signature` in `thinking` block")

            // A block the Converse face signed is refused here, and this face's block is refused there.
            let converse = try await Sim.post(client, body: Sim.ask("sim:thinking"))
            let reasoning = try #require(
                converse.json?["output"]?["message"]?["content"]?.arrayValue?.first?["reasoningContent"]?[
                    "reasoningText"])
            let foreign = try await Anth.post(
                client,
                body: followUp([
                    "type": "thinking", "thinking": reasoning["text"] ?? "", "signature": reasoning["signature"] ?? "",
                ]))
            #expect(foreign.status == 400)
            let back = Sim.body(messages: [
                Sim.user("sim:thinking"),
                [
                    "role": "assistant",
                    "content": [
                        [
                            "reasoningContent": [
                                "reasoningText": ["text": .string(thought), "signature": .string(signature)]
                            ]
                        ],
                        ["text": "Hello"],
                    ],
                ],
                Sim.user("and now?"),
            ])
            let converseRefuses = try await Sim.post(client, body: back)
            #expect(converseRefuses.status == 400)
            #expect(converseRefuses.message?.hasSuffix("Invalid `signature` in `thinking` block") == true)
        }
    }

    @Test func bashSequenceWithThinking() async throws {
        try await Sim.with { client throws in
            let thinking: JSONValue = ["type": "adaptive"]
            var messages: [JSONValue] = [Anth.user("sim:bash_seq:echo one;;echo two")]
            for step in 0..<2 {
                let response = try await Anth.post(
                    client, body: Anth.body(messages, extra: [("tools", Anth.bashTool), ("thinking", thinking)]))
                #expect(response.status == 200)
                let content = try #require(response.json?["content"]?.arrayValue)
                #expect(content.map { $0["type"]?.stringValue ?? "" } == ["thinking", "tool_use"])
                messages.append(Anth.assistant(content))
                let id = content[1]["id"] ?? ""
                messages.append(
                    Anth.user([["type": "tool_result", "tool_use_id": id, "content": .string("out\(step)")]]))
            }
            let last = try await Anth.post(
                client, body: Anth.body(messages, extra: [("tools", Anth.bashTool), ("thinking", thinking)]))
            #expect(last.anthropicText == "Tool said: out0 | out1 (signed thinking blocks in the history: 2)")
        }
    }

    // MARK: Streaming

    @Test func streamEvents() async throws {
        try await Sim.with { client throws in
            let response = try await Anth.post(
                client, body: Anth.ask("sim:thinking", extra: [("stream", true)]))
            #expect(response.status == 200)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let events = Anth.events(response)
            let names = events.map(\.0)
            #expect(names.first == "message_start")
            #expect(names[1] == "content_block_start" && names[2] == "ping")
            #expect(names.suffix(2) == ["message_delta", "message_stop"])
            #expect(events[0].1["message"]?["usage"]?["input_tokens"]?.intValue ?? 0 > 0)
            let deltas = events.filter { $0.0 == "content_block_delta" }.compactMap {
                $0.1["delta"]?["type"]?.stringValue
            }
            #expect(Set(deltas) == ["thinking_delta", "signature_delta", "text_delta"])
            let text = events.compactMap { $0.1["delta"]?["text"]?.stringValue }.joined()
            #expect(text.hasPrefix("Hello from the AI Nexus simulator."))
            let delta = try #require(events.first { $0.0 == "message_delta" }?.1)
            #expect(delta["delta"]?["stop_reason"]?.stringValue == "end_turn")
            #expect(delta["usage"]?["output_tokens"]?.intValue ?? 0 > 0)
            for (name, data) in events { #expect(data["type"]?.stringValue == name) }
        }
    }

    @Test func streamToolInput() async throws {
        try await Sim.with { client throws in
            let response = try await Anth.post(
                client, body: Anth.ask("sim:bash:ls -la", extra: [("stream", true), ("tools", Anth.bashTool)]))
            let events = Anth.events(response)
            let start = try #require(events.first { $0.0 == "content_block_start" }?.1["content_block"])
            #expect(start["type"]?.stringValue == "tool_use")
            let json = events.compactMap { $0.1["delta"]?["partial_json"]?.stringValue }.joined()
            #expect(try JSONValue.parse(ByteBuffer(string: json))["command"]?.stringValue == "ls -la")
            #expect(events.first { $0.0 == "message_delta" }?.1["delta"]?["stop_reason"]?.stringValue == "tool_use")
        }
    }

    @Test func streamException() async throws {
        try await Sim.with { client throws in
            let response = try await Anth.post(
                client, body: Anth.ask("sim:stream_exception sim:long:20", extra: [("stream", true)]))
            let events = Anth.events(response)
            #expect(events.last?.0 == "error")
            #expect(events.last?.1["error"]?["type"]?.stringValue == "overloaded_error")
            #expect(!events.contains { $0.0 == "message_stop" })
        }
    }

    // MARK: count_tokens and caching

    @Test func countTokensMatchesMessages() async throws {
        try await Sim.with { client throws in
            let messages: [JSONValue] = [Anth.user("count these words please")]
            let count = try await Anth.post(
                client, "/v1/messages/count_tokens",
                body: ["model": .string(Anth.model), "messages": .array(messages), "tools": Anth.bashTool])
            #expect(count.status == 200)
            let tokens = try #require(count.json?["input_tokens"]?.intValue)
            let answer = try await Anth.post(client, body: Anth.body(messages, extra: [("tools", Anth.bashTool)]))
            #expect(answer.json?["usage"]?["input_tokens"]?.intValue == tokens)
            let withMax = try await Anth.post(
                client, "/v1/messages/count_tokens",
                body: ["model": .string(Anth.model), "messages": .array(messages), "max_tokens": 10])
            #expect(withMax.status == 400)
            #expect(withMax.anthropicError.message == "max_tokens: Extra inputs are not permitted")
        }
    }

    @Test func promptCaching() async throws {
        try await Sim.with { client throws in
            let system: JSONValue = [
                [
                    "type": "text", "text": .string(String(repeating: "cached system prompt ", count: 100)),
                    "cache_control": ["type": "ephemeral"],
                ]
            ]
            let first = try await Anth.post(client, body: Anth.ask("one", extra: [("system", system)]))
            let written = first.json?["usage"]?["cache_creation_input_tokens"]?.intValue ?? 0
            #expect(written > 0)
            #expect(first.json?["usage"]?["cache_read_input_tokens"]?.intValue == 0)
            let second = try await Anth.post(client, body: Anth.ask("two", extra: [("system", system)]))
            #expect(second.json?["usage"]?["cache_read_input_tokens"]?.intValue == written)
            #expect(second.json?["usage"]?["cache_creation_input_tokens"]?.intValue == 0)
        }
    }
}
