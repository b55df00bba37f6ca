import NexusJSON
import NexusSimulator
import Testing

@Suite("Scenarios on /converse")
struct ScenarioTests {
    @Test func greetingQuotesThePrompt() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("What is the capital of France?"))
            #expect(response.status == 200)
            #expect(response.text == "Hello from the AI Nexus simulator. You said: What is the capital of France?")
            #expect(response.stopReason == "end_turn")
            #expect(response.json?["output"]?["message"]?["role"]?.stringValue == "assistant")
            let usage = response.json?["usage"]
            #expect(usage?["outputTokens"]?.intValue == 14)
            #expect((usage?["inputTokens"]?.intValue ?? 0) >= 1)
            #expect(
                usage?["totalTokens"]?.intValue
                    == (usage?["inputTokens"]?.intValue ?? 0) + (usage?["outputTokens"]?.intValue ?? 0))
            #expect(response.json?["metrics"]?["latencyMs"]?.intValue != nil)
            #expect(response.headers[.contentType] == "application/json")
        }
    }

    @Test func greetingCutsLongPrompts() async throws {
        try await Sim.with { client throws in
            let prompt = (1...30).map { "w\($0)" }.joined(separator: " ")
            let response = try await Sim.post(client, body: Sim.ask(prompt))
            #expect(response.text.hasSuffix("w12 …"))
        }
    }

    @Test func echo() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:echo  keep   these spaces"))
            #expect(response.text == "sim:echo  keep   these spaces")
            #expect(response.stopReason == "end_turn")
        }
    }

    @Test func longAnswer() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:long:25"))
            #expect(response.text.split(separator: " ").count == 25)
            #expect(response.json?["usage"]?["outputTokens"]?.intValue == 25)
        }
    }

    @Test func longAnswerStopsAtMaxTokens() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask("sim:long:50", extra: [("inferenceConfig", ["maxTokens": 10])])
            let response = try await Sim.post(client, body: body)
            #expect(response.text.split(separator: " ").count == 10)
            #expect(response.stopReason == "max_tokens")
        }
    }

    @Test func toolFillsRequiredProperties() async throws {
        try await Sim.with { client throws in
            let schema: JSONValue = [
                "type": "object",
                "properties": [
                    "path": ["type": "string"], "count": ["type": "integer"], "ratio": ["type": "number"],
                    "force": ["type": "boolean"], "tags": ["type": "array", "items": ["type": "string"]],
                    "mode": ["type": "string", "enum": ["fast", "slow"]],
                    "options": ["type": "object", "properties": ["depth": ["type": "integer"]], "required": ["depth"]],
                    "optional": ["type": "string"],
                ],
                "required": ["path", "count", "ratio", "force", "tags", "mode", "options"],
            ]
            let toolConfig: JSONValue = [
                "tools": [["toolSpec": ["name": "read_file", "inputSchema": ["json": schema]]]]
            ]
            let response = try await Sim.post(client, body: Sim.ask("sim:tool", extra: [("toolConfig", toolConfig)]))
            #expect(response.stopReason == "tool_use")
            let toolUse = response.json?["output"]?["message"]?["content"]?.arrayValue?.first?["toolUse"]
            #expect(toolUse?["name"]?.stringValue == "read_file")
            #expect(toolUse?["toolUseId"]?.stringValue?.hasPrefix("tooluse_") == true)
            let expected: JSONValue = [
                "path": "x", "count": 1, "ratio": 1, "force": true, "tags": [], "mode": "fast", "options": ["depth": 1],
            ]
            #expect(toolUse?["input"] == expected)
        }
    }

    @Test func bashThenToolResult() async throws {
        try await Sim.with { client throws in
            let first = try await Sim.post(
                client, body: Sim.ask("Please run sim:bash:ls -la /tmp", extra: [("toolConfig", Sim.bashTool)]))
            #expect(first.stopReason == "tool_use")
            let block = first.json?["output"]?["message"]?["content"]?.arrayValue?.first
            let toolUse = try #require(block?["toolUse"])
            #expect(toolUse["name"]?.stringValue == "Bash")
            #expect(toolUse["input"] == ["command": "ls -la /tmp", "description": "Run the command"])
            let id = try #require(toolUse["toolUseId"]?.stringValue)

            let followUp = Sim.body(
                messages: [
                    Sim.user("Please run sim:bash:ls -la /tmp"),
                    ["role": "assistant", "content": [["toolUse": toolUse]]],
                    [
                        "role": "user",
                        "content": [
                            ["toolResult": ["toolUseId": .string(id), "content": [["text": "file1\nfile2\n"]]]]
                        ],
                    ],
                ], extra: [("toolConfig", Sim.bashTool)])
            let second = try await Sim.post(client, body: followUp)
            #expect(second.status == 200)
            #expect(second.text == "Tool said: file1\nfile2")
            #expect(second.stopReason == "end_turn")
        }
    }

    @Test func thinkingAnswersReasoningThenText() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:thinking about it"))
            let content = response.json?["output"]?["message"]?["content"]?.arrayValue ?? []
            #expect(content.count == 2)
            let reasoning = content.first?["reasoningContent"]?["reasoningText"]
            #expect(reasoning?["text"]?.stringValue?.isEmpty == false)
            #expect(reasoning?["signature"]?.stringValue?.isEmpty == false)
            #expect(content.last?["text"]?.stringValue?.hasPrefix("Hello from the AI Nexus simulator.") == true)
        }
    }

    @Test func redactedThinking() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:redacted"))
            let content = response.json?["output"]?["message"]?["content"]?.arrayValue ?? []
            #expect(content.first?["reasoningContent"]?["redactedContent"]?.stringValue?.isEmpty == false)
            #expect(content.last?["text"] != nil)
        }
    }

    @Test func maxTokens() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:max_tokens"))
            #expect(response.stopReason == "max_tokens")
            #expect(response.text.split(separator: " ").count <= 8)
        }
    }

    @Test func stopSequenceReportedWhenAskedFor() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask(
                "sim:stop_sequence",
                extra: [
                    ("inferenceConfig", ["stopSequences": ["END", "STOP"]]),
                    ("additionalModelResponseFieldPaths", ["/stop_sequence"]),
                ])
            let response = try await Sim.post(client, body: body)
            #expect(response.stopReason == "stop_sequence")
            #expect(response.json?["additionalModelResponseFields"] == ["stop_sequence": "END"])

            let unasked = try await Sim.post(
                client, body: Sim.ask("sim:stop_sequence", extra: [("inferenceConfig", ["stopSequences": ["END"]])]))
            #expect(unasked.stopReason == "stop_sequence")
            #expect(unasked.json?["additionalModelResponseFields"] == nil)
        }
    }

    @Test func refusal() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:refusal"))
            #expect(response.stopReason == "content_filtered")
        }
    }

    @Test(arguments: [
        ("throttling", 429, "ThrottlingException"), ("validation", 400, "ValidationException"),
        ("access_denied", 403, "AccessDeniedException"), ("not_found", 404, "ResourceNotFoundException"),
        ("model_timeout", 408, "ModelTimeoutException"), ("model_error", 424, "ModelErrorException"),
        ("internal", 500, "InternalServerException"), ("unavailable", 503, "ServiceUnavailableException"),
        ("model_not_ready", 429, "ModelNotReadyException"), ("too_long", 400, "ValidationException"),
    ])
    func errors(name: String, status: Int, exception: String) async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("sim:error:\(name)"))
            #expect(response.status == status)
            #expect(response.errorType == "\(exception):http://internal.amazon.com/coral/com.amazon.bedrock/")
            #expect(response.message?.isEmpty == false)
            if name == "too_long" { #expect(response.message == "Input is too long for requested model.") }
        }
    }

    @Test func throttleThenAnswer() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask("sim:throttle:2 hello")
            #expect(try await Sim.post(client, body: body).status == 429)
            #expect(try await Sim.post(client, body: body).status == 429)
            #expect(try await Sim.post(client, body: body).status == 200)
            // Another text has its own counter.
            #expect(try await Sim.post(client, body: Sim.ask("sim:throttle:2 other")).status == 429)
        }
    }

    @Test func slowFirstByte() async throws {
        try await Sim.with { client throws in
            let start = ContinuousClock.now
            let response = try await Sim.post(client, body: Sim.ask("sim:slow_first_byte:0.3"))
            #expect(response.status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            #expect((response.json?["metrics"]?["latencyMs"]?.intValue ?? 0) >= 300)
        }
    }

    @Test func markersComeFromTheEarliestUserMessageAfterAToolResult() async throws {
        try await Sim.with { client throws in
            let toolUse: JSONValue = ["toolUseId": "tooluse_1", "name": "Bash", "input": ["command": "ls"]]
            let body = Sim.body(
                messages: [
                    Sim.user("sim:long:7"),
                    ["role": "assistant", "content": [["toolUse": toolUse]]],
                    [
                        "role": "user",
                        "content": [["toolResult": ["toolUseId": "tooluse_1", "content": [["text": "ok"]]]]],
                    ],
                ], extra: [("toolConfig", Sim.bashTool)])
            let response = try await Sim.post(client, body: body)
            #expect(response.text.split(separator: " ").count == 7)
        }
    }

    @Test func promptCacheWritesThenReads() async throws {
        try await Sim.with { client throws in
            let system: JSONValue = [
                ["text": .string(String(repeating: "You are helpful. ", count: 100))],
                ["cachePoint": ["type": "default"]],
            ]
            let body = Sim.ask("hello", extra: [("system", system)])
            let first = try await Sim.post(client, body: body).json?["usage"]
            let written = first?["cacheWriteInputTokens"]?.intValue ?? 0
            #expect(written > 300)
            #expect(first?["cacheReadInputTokens"]?.intValue == 0)
            #expect(first?["cacheDetails"] == [["ttl": "5m", "inputTokens": .int(written)]])
            let second = try await Sim.post(client, body: body).json?["usage"]
            #expect(second?["cacheReadInputTokens"]?.intValue == written)
            #expect(second?["cacheWriteInputTokens"]?.intValue == 0)
            #expect(second?["inputTokens"] == first?["inputTokens"])
        }
    }

    @Test func countTokensMatchesConverseInput() async throws {
        try await Sim.with { client throws in
            let converse = Sim.ask("count these tokens please, all of them")
            let counted = try await Sim.post(client, "count-tokens", body: ["input": ["converse": converse]])
            #expect(counted.status == 200)
            let answered = try await Sim.post(client, body: converse)
            #expect(counted.json?["inputTokens"] == answered.json?["usage"]?["inputTokens"])
        }
    }
}
