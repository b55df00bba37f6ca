import NexusJSON
import NexusSimulator
import Testing

@Suite("Bedrock validation")
struct ValidationTests {
    /// Posts `body` and expects a 400 ValidationException whose message is `message`.
    static func expectRejected(
        _ body: JSONValue, _ message: String, operation: String = "converse",
        options: SimulatorOptions = SimulatorOptions(), model: String = Sim.model,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await Sim.with(options) { client throws in
            let response = try await Sim.post(client, operation, model: model, body: body)
            #expect(response.status == 400, sourceLocation: sourceLocation)
            #expect(
                response.errorType == "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/",
                sourceLocation: sourceLocation)
            #expect(response.message == message, sourceLocation: sourceLocation)
        }
    }

    static func expectAccepted(
        _ body: JSONValue, options: SimulatorOptions = SimulatorOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await Sim.with(options) { client throws in
            let response = try await Sim.post(client, body: body)
            #expect(response.status == 200, "\(response.message ?? "")", sourceLocation: sourceLocation)
        }
    }

    static let toolUse: JSONValue = ["toolUseId": "tooluse_a", "name": "Bash", "input": ["command": "ls"]]

    static func toolTurn(_ results: [JSONValue], uses: [JSONValue] = [toolUse]) -> JSONValue {
        Sim.body(
            messages: [
                Sim.user("run it"),
                ["role": "assistant", "content": .array(uses.map { ["toolUse": $0] })],
                ["role": "user", "content": .array(results.map { ["toolResult": $0] })],
            ], extra: [("toolConfig", Sim.bashTool)])
    }

    // MARK: Shapes

    @Test func extraneousTopLevelKey() async throws {
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("foo", 1)]),
            "Malformed input request: extraneous key [foo] is not permitted, please reformat your input and try again.")
    }

    @Test func extraneousNestedKey() async throws {
        let body = Sim.body(messages: [
            ["role": "user", "content": [["text": "hi", "cache_control": ["type": "ephemeral"]]]]
        ])
        try await Self.expectRejected(
            body,
            "Malformed input request: extraneous key [cache_control] is not permitted, please reformat your input and try again."
        )
    }

    @Test func modelIdIsNotABodyMember() async throws {
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("modelId", "claude-sonnet-4.6")]),
            "Malformed input request: extraneous key [modelId] is not permitted, please reformat your input and try again."
        )
    }

    @Test func missingRequiredMembers() async throws {
        try await Self.expectRejected(
            Sim.body(messages: [["content": [["text": "hi"]]]]),
            "1 validation error detected: Value null at 'messages.1.member.role' failed to satisfy constraint: Member must not be null"
        )
        try await Self.expectRejected(
            Sim.body(messages: [["role": "user", "content": [["toolUse": ["toolUseId": "a", "name": "b"]]]]]),
            "1 validation error detected: Value null at 'messages.1.member.content.1.member.toolUse.input' failed to satisfy constraint: Member must not be null"
        )
    }

    @Test func unionsNeedExactlyOneMember() async throws {
        let two = Sim.body(messages: [
            ["role": "user", "content": [["text": "hi", "cachePoint": ["type": "default"]]]]
        ])
        try await Self.expectRejected(
            two,
            "Malformed input request: #/messages/0/content/0: exactly one member of ContentBlock must be set, found 2 (text, cachePoint), please reformat your input and try again."
        )
        let none = Sim.body(messages: [["role": "user", "content": [[:]]]])
        try await Self.expectRejected(
            none,
            "Malformed input request: #/messages/0/content/0: exactly one member of ContentBlock must be set, found 0 (none), please reformat your input and try again."
        )
    }

    @Test func wrongJSONType() async throws {
        try await Self.expectRejected(
            ["messages": "hello"],
            "Malformed input request: #/messages: expected type: JSONArray, found: String, please reformat your input and try again."
        )
    }

    @Test func enums() async throws {
        let image = Sim.body(messages: [
            [
                "role": "user",
                "content": [["image": ["format": "bmp", "source": ["bytes": "AAAA"]]], ["text": "what is this?"]],
            ]
        ])
        try await Self.expectRejected(
            image,
            "1 validation error detected: Value 'bmp' at 'messages.1.member.content.1.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [png, jpeg, gif, webp]"
        )
        let cache = Sim.body(messages: [
            ["role": "user", "content": [["text": "hi"], ["cachePoint": ["type": "ephemeral", "ttl": "2h"]]]]
        ])
        try await Self.expectRejected(
            cache,
            "2 validation errors detected: Value 'ephemeral' at 'messages.1.member.content.2.member.cachePoint.type' failed to satisfy constraint: Member must satisfy enum value set: [default]; Value '2h' at 'messages.1.member.content.2.member.cachePoint.ttl' failed to satisfy constraint: Member must satisfy enum value set: [5m, 1h]"
        )
        let document = Sim.body(messages: [
            [
                "role": "user",
                "content": [
                    ["document": ["format": "rtf", "name": "doc", "source": ["text": "x"]]], ["text": "read"],
                ],
            ]
        ])
        try await Self.expectRejected(
            document,
            "1 validation error detected: Value 'rtf' at 'messages.1.member.content.1.member.document.format' failed to satisfy constraint: Member must satisfy enum value set: [pdf, csv, doc, docx, xls, xlsx, html, txt, md]"
        )
    }

    @Test func toolChoiceUnion() async throws {
        var config = Sim.bashTool.objectValue ?? [:]
        config["toolChoice"] = ["none": [:]]
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("toolConfig", .object(config))]),
            "Malformed input request: extraneous key [none] is not permitted, please reformat your input and try again."
        )
    }

    @Test func toolNamesAndIDs() async throws {
        let badName: JSONValue = [
            "tools": [["toolSpec": ["name": "read file", "inputSchema": ["json": ["type": "object"]]]]]
        ]
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("toolConfig", badName)]),
            "1 validation error detected: Value 'read file' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
        )
        let long = String(repeating: "a", count: 65)
        let longName: JSONValue = [
            "tools": [["toolSpec": ["name": .string(long), "inputSchema": ["json": ["type": "object"]]]]]
        ]
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("toolConfig", longName)]),
            "1 validation error detected: Value '\(long)' at 'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: Member must have length less than or equal to 64"
        )
        let badID: JSONValue = ["toolUseId": "toolu/01", "name": "Bash", "input": [:]]
        try await Self.expectRejected(
            Self.toolTurn([["toolUseId": "toolu/01", "content": [["text": "ok"]]]], uses: [badID]),
            "2 validation errors detected: Value 'toolu/01' at 'messages.2.member.content.1.member.toolUse.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+; Value 'toolu/01' at 'messages.3.member.content.1.member.toolResult.toolUseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+"
        )
    }

    @Test func inferenceConfigRanges() async throws {
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("inferenceConfig", ["maxTokens": 0, "temperature": .number("1.5")])]),
            "2 validation errors detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"
        )
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("inferenceConfig", ["maxTokens": 64001])]),
            "The maximum tokens you requested exceeds the model limit of 64000. Try again with a maximum tokens value that is lower than 64000."
        )
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("inferenceConfig", ["stopSequences": [""]])]),
            "1 validation error detected: Value '' at 'inferenceConfig.stopSequences.1.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
        )
    }

    @Test func invalidBase64() async throws {
        let body = Sim.body(messages: [
            [
                "role": "user",
                "content": [["image": ["format": "png", "source": ["bytes": "not base64!"]]], ["text": "?"]],
            ]
        ])
        try await Self.expectRejected(
            body,
            "Malformed input request: #/messages/0/content/0/image/source/bytes: invalid base64 value, please reformat your input and try again."
        )
    }

    // MARK: Conversation rules

    @Test func mustStartWithUser() async throws {
        try await Self.expectRejected(
            Sim.body(messages: [Sim.assistant("hi"), Sim.user("hello")]),
            "A conversation must start with a user message. Try again with a conversation that starts with a user message."
        )
        try await Self.expectRejected(
            Sim.body(messages: []),
            "A conversation must start with a user message. Try again with a conversation that starts with a user message."
        )
    }

    @Test func mustAlternate() async throws {
        try await Self.expectRejected(
            Sim.body(messages: [Sim.user("a"), Sim.user("b")]),
            "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
        )
    }

    @Test func blankText() async throws {
        try await Self.expectRejected(
            Sim.body(messages: [
                Sim.user("hi"), Sim.assistant("ok"), ["role": "user", "content": [["text": "x"], ["text": " \n "]]],
            ]),
            "The text field in the ContentBlock object at messages.2.content.1 is blank. Add text to the text field, and try again."
        )
        try await Self.expectRejected(
            Sim.body(messages: [Sim.user("")]),
            "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again."
        )
    }

    @Test func emptyContent() async throws {
        try await Self.expectRejected(
            Sim.body(messages: [["role": "user", "content": []]]),
            "The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field and try again."
        )
    }

    @Test func finalAssistantTrailingWhitespace() async throws {
        try await Self.expectRejected(
            Sim.body(messages: [Sim.user("hi"), Sim.assistant("Sure, ")]),
            "The model returned the following errors: messages: final assistant content cannot end with trailing whitespace"
        )
        try await Self.expectAccepted(Sim.body(messages: [Sim.user("hi"), Sim.assistant("Sure,")]))
    }

    @Test func toolConfigRequiredWithToolBlocks() async throws {
        let body = Sim.body(messages: [
            Sim.user("run"), ["role": "assistant", "content": [["toolUse": Self.toolUse]]],
            ["role": "user", "content": [["toolResult": ["toolUseId": "tooluse_a", "content": [["text": "ok"]]]]]],
        ])
        try await Self.expectRejected(
            body, "The toolConfig field must be defined when using toolUse and toolResult content blocks.")
    }

    @Test func toolResultsMustAnswerThePreviousTurn() async throws {
        try await Self.expectAccepted(Self.toolTurn([["toolUseId": "tooluse_a", "content": [["text": "ok"]]]]))
        try await Self.expectRejected(
            Self.toolTurn([["toolUseId": "tooluse_b", "content": [["text": "ok"]]]]),
            "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_a")
        let second: JSONValue = ["toolUseId": "tooluse_c", "name": "Bash", "input": [:]]
        try await Self.expectRejected(
            Self.toolTurn([["toolUseId": "tooluse_a", "content": [["text": "ok"]]]], uses: [Self.toolUse, second]),
            "Expected toolResult blocks at messages.2.content for the following Ids: tooluse_c")
        try await Self.expectRejected(
            Self.toolTurn([
                ["toolUseId": "tooluse_a", "content": [["text": "ok"]]],
                ["toolUseId": "tooluse_z", "content": [["text": "?"]]],
            ]),
            "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn."
        )
    }

    @Test func emptyErrorToolResult() async throws {
        try await Self.expectRejected(
            Self.toolTurn([["toolUseId": "tooluse_a", "content": [], "status": "error"]]),
            "The toolResult block at messages.2.content.0 is empty: a toolResult cannot be empty when status value is error."
        )
        try await Self.expectAccepted(Self.toolTurn([["toolUseId": "tooluse_a", "content": []]]))
    }

    @Test func atMostFourCachePoints() async throws {
        let point: JSONValue = ["cachePoint": ["type": "default"]]
        let system: JSONValue = [["text": "a"], point, ["text": "b"], point, ["text": "c"], point]
        let body = Sim.body(
            messages: [["role": "user", "content": [["text": "x"], point, ["text": "y"], point]]],
            extra: [("system", system)])
        try await Self.expectRejected(body, "A maximum of 4 blocks with cache_control may be provided. Found 5.")
    }

    @Test func cacheTTLsMustNotIncrease() async throws {
        let system: JSONValue = [["text": "a"], ["cachePoint": ["type": "default"]]]
        let body = Sim.body(
            messages: [
                ["role": "user", "content": [["text": "x"], ["cachePoint": ["type": "default", "ttl": "1h"]]]]
            ],
            extra: [("system", system)])
        try await Self.expectRejected(
            body,
            "The model returned the following errors: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`."
        )
    }

    @Test func documents() async throws {
        func ask(_ blocks: [JSONValue]) -> JSONValue {
            Sim.body(messages: [["role": "user", "content": .array(blocks)]])
        }
        func doc(_ name: String) -> JSONValue {
            ["document": ["format": "txt", "name": .string(name), "source": ["text": "body"]]]
        }
        try await Self.expectAccepted(ask([doc("Report (v2) [final]"), doc("notes_1"), ["text": "summarize"]]))
        try await Self.expectRejected(
            ask([doc("report.txt"), ["text": "summarize"]]),
            "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."
        )
        try await Self.expectRejected(
            ask([doc("two  spaces"), ["text": "summarize"]]),
            "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."
        )
        try await Self.expectRejected(
            ask([doc("same"), doc("same"), ["text": "summarize"]]),
            "Duplicate document name \"same\": document names must be unique within a request.")
        try await Self.expectRejected(
            ask([doc("alone")]),
            "A text block must be included when using documents. Add a text block to messages.0.content and try again.")
    }

    @Test func imagesOnlyFromUsers() async throws {
        let body = Sim.body(messages: [
            Sim.user("draw"),
            ["role": "assistant", "content": [["image": ["format": "png", "source": ["bytes": "iVBORw0KGgo="]]]]],
        ])
        try await Self.expectRejected(
            body,
            "The image block at messages.1.content.0 is not allowed: images and documents can only be included in user messages."
        )
    }

    @Test func thinkingSignaturesMustComeBackUnchanged() async throws {
        try await Sim.with { client throws in
            let first = try await Sim.post(client, body: Sim.ask("sim:thinking"))
            let content = try #require(first.json?["output"]?["message"]?["content"])
            let good = Sim.body(messages: [
                Sim.user("sim:thinking"), ["role": "assistant", "content": content], Sim.user("more"),
            ])
            #expect(try await Sim.post(client, body: good).status == 200)

            var blocks = content.arrayValue ?? []
            blocks[0] = [
                "reasoningContent": [
                    "reasoningText": [
                        "text": "edited",
                        "signature": blocks[0]["reasoningContent"]?["reasoningText"]?["signature"] ?? "",
                    ]
                ]
            ]
            let tampered = Sim.body(messages: [
                Sim.user("sim:thinking"), ["role": "assistant", "content": .array(blocks)], Sim.user("more"),
            ])
            let response = try await Sim.post(client, body: tampered)
            #expect(response.status == 400)
            #expect(
                response.message
                    == "The model returned the following errors: messages.1.content.0: Invalid `signature` in `thinking` block"
            )
        }
    }

    // MARK: Model fields

    @Test func unknownModelField() async throws {
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("additionalModelRequestFields", ["foo": 1])]),
            "Malformed input request: #: extraneous key [foo] is not permitted, please reformat your input and try again."
        )
    }

    @Test func thinkingBudgetBelowMaxTokens() async throws {
        let body = Sim.ask(
            "hi",
            extra: [
                ("inferenceConfig", ["maxTokens": 2000]),
                ("additionalModelRequestFields", ["thinking": ["type": "enabled", "budget_tokens": 4000]]),
            ])
        try await Self.expectRejected(
            body,
            "The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
        )
        let fine = Sim.ask(
            "hi",
            extra: [
                ("inferenceConfig", ["maxTokens": 8000]),
                ("additionalModelRequestFields", ["thinking": ["type": "enabled", "budget_tokens": 4000]]),
            ])
        try await Self.expectAccepted(fine)
    }

    @Test func thinkingWithForcedToolUse() async throws {
        var config = Sim.bashTool.objectValue ?? [:]
        config["toolChoice"] = ["any": [:]]
        let body = Sim.ask(
            "hi",
            extra: [
                ("toolConfig", .object(config)),
                ("additionalModelRequestFields", ["thinking": ["type": "adaptive"]]),
            ])
        try await Self.expectRejected(
            body,
            "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.")
    }

    @Test func adaptiveOnlyModels() async throws {
        let body = Sim.ask(
            "hi",
            extra: [
                ("inferenceConfig", ["maxTokens": 8000]),
                ("additionalModelRequestFields", ["thinking": ["type": "enabled", "budget_tokens": 2000]]),
            ])
        let options = SimulatorOptions(adaptiveOnlyModels: ["claude-opus-4.6"])
        try await Self.expectRejected(
            body,
            "thinking.type.enabled is not supported for this model. Use thinking.type.adaptive and output_config.effort to control thinking behavior.",
            options: options, model: "claude-opus-4.6")
        try await Self.expectAccepted(body, options: options)
        let adaptive = Sim.ask(
            "hi",
            extra: [
                (
                    "additionalModelRequestFields",
                    ["thinking": ["type": "adaptive"], "output_config": ["effort": "high"]]
                )
            ])
        try await Sim.with(options) { client throws in
            let response = try await Sim.post(client, model: "claude-opus-4.6", body: adaptive)
            #expect(response.status == 200)
        }
    }

    @Test func perModelThinkingAndFields() async throws {
        let haiku = "claude-haiku-4.5"
        let adaptive = Sim.ask("hi", extra: [("additionalModelRequestFields", ["thinking": ["type": "adaptive"]])])
        try await Self.expectRejected(
            adaptive,
            "Malformed input request: #/thinking/type: adaptive is not a valid enum value, please reformat your input and try again.",
            model: haiku)
        let effort = Sim.ask("hi", extra: [("additionalModelRequestFields", ["output_config": ["effort": "low"]])])
        try await Self.expectRejected(
            effort,
            "Malformed input request: #: extraneous key [output_config] is not permitted, please reformat your input and try again.",
            model: haiku)
        try await Self.expectAccepted(effort)
        let display = Sim.ask(
            "hi",
            extra: [("additionalModelRequestFields", ["thinking": ["type": "adaptive", "display": "summarized"]])])
        try await Self.expectRejected(
            display,
            "Malformed input request: #/thinking: extraneous key [display] is not permitted, please reformat your input and try again."
        )
        try await Self.expectAccepted(display, options: SimulatorOptions(thinkingDisplayModels: [Sim.model]))
    }

    @Test func betas() async throws {
        let known = Sim.ask(
            "hi", extra: [("additionalModelRequestFields", ["anthropic_beta": ["interleaved-thinking-2025-05-14"]])])
        try await Self.expectAccepted(known)
        try await Self.expectRejected(
            Sim.ask("hi", extra: [("additionalModelRequestFields", ["anthropic_beta": ["claude-code-20250219"]])]),
            "invalid beta flag")
        let options = SimulatorOptions(rejectedBetas: [Sim.model: ["interleaved-thinking-2025-05-14"]])
        try await Self.expectRejected(known, "invalid beta flag", options: options)
        let allowlisted = SimulatorOptions(acceptedBetas: [Sim.model: ["claude-code-20250219"]])
        try await Self.expectAccepted(
            Sim.ask("hi", extra: [("additionalModelRequestFields", ["anthropic_beta": ["claude-code-20250219"]])]),
            options: allowlisted)
        try await Self.expectRejected(known, "invalid beta flag", options: allowlisted)
    }

    @Test func contextManagementNeedsItsBeta() async throws {
        let without = Sim.ask("hi", extra: [("additionalModelRequestFields", ["context_management": ["edits": []]])])
        try await Self.expectRejected(
            without, "The model returned the following errors: context_management: Extra inputs are not permitted")
        let with = Sim.ask(
            "hi",
            extra: [
                (
                    "additionalModelRequestFields",
                    ["context_management": ["edits": []], "anthropic_beta": ["context-management-2025-06-27"]]
                )
            ])
        try await Self.expectAccepted(with)
    }

    // MARK: CountTokens and switches

    @Test func countTokensValidates() async throws {
        try await Self.expectRejected(
            ["input": ["converse": Sim.body(messages: [Sim.user("a"), Sim.user("b")])]],
            "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
            operation: "count-tokens")
        try await Self.expectRejected(
            ["input": ["converse": Sim.ask("hi", extra: [("inferenceConfig", ["maxTokens": 10])])]],
            "Malformed input request: extraneous key [inferenceConfig] is not permitted, please reformat your input and try again.",
            operation: "count-tokens")
        try await Self.expectRejected(
            ["input": ["converse": Sim.ask("hi")], "extra": true],
            "Malformed input request: extraneous key [extra] is not permitted, please reformat your input and try again.",
            operation: "count-tokens")
    }

    @Test func validationCanBeTurnedOff() async throws {
        let body = Sim.body(messages: [Sim.assistant("hi "), Sim.assistant("")], extra: [("foo", 1)])
        try await Self.expectAccepted(body, options: SimulatorOptions(validate: false))
    }
}
