import NexusJSON
import Testing

@testable import NexusSimulator

/// `sim:bash_seq:CMD1;;CMD2`: a tool loop of several Bash calls with signed reasoning, as the
/// Claude Code end-to-end tests drive it (tests/python/test_claude_code_sessions.py).
@Suite("sim:bash_seq")
struct BashSequenceTests {
    static let adaptive: (String, JSONValue) = ("additionalModelRequestFields", ["thinking": ["type": "adaptive"]])

    static func content(_ response: SimResponse) -> [JSONValue] {
        response.json?["output"]?["message"]?["content"]?.arrayValue ?? []
    }

    static func toolResult(for content: [JSONValue], text: String) throws -> JSONValue {
        let id = try #require(content.last?["toolUse"]?["toolUseId"])
        return ["role": "user", "content": [["toolResult": ["toolUseId": id, "content": [["text": .string(text)]]]]]]
    }

    @Test func markerTakesTheRestOfTheText() {
        #expect(
            Marker.scan("run sim:bash_seq:ls -la;; echo \"a b\" ;;") == [
                Marker(name: "bash_seq", argument: "ls -la;; echo \"a b\" ;;")
            ])
        #expect(
            Scenario.parse(["sim:bash_seq:ls -la;; echo \"a b\" ;;"])?.answer
                == .bashSequence(commands: ["ls -la", "echo \"a b\""]))
        #expect(Scenario.parse(["sim:bash_seq:"])?.answer == .bashSequence(commands: []))
    }

    @Test func twoStepsWithThinkingThenBothOutputs() async throws {
        try await Sim.with { client throws in
            let prompt = Sim.user("Please sim:bash_seq:echo one;;echo two")
            let extra = [("toolConfig", Sim.bashTool), Self.adaptive]

            let first = try await Sim.post(client, body: Sim.body(messages: [prompt], extra: extra))
            #expect(first.stopReason == "tool_use")
            let turn1 = Self.content(first)
            #expect(turn1.count == 2)
            let reasoning1 = turn1.first?["reasoningContent"]?["reasoningText"]
            #expect(reasoning1?["text"]?.stringValue == "Step 1 of 2: I will run `echo one` with the Bash tool.")
            #expect(reasoning1?["signature"]?.stringValue?.isEmpty == false)
            #expect(turn1.last?["toolUse"]?["input"] == ["command": "echo one", "description": "Run step 1"])

            // Claude Code appends a system reminder to Bash results; the final text leaves it out.
            var messages = [
                prompt, ["role": "assistant", "content": .array(turn1)],
                try Self.toolResult(for: turn1, text: "one\n\n<system-reminder>\nnoise\n</system-reminder>"),
            ]
            let second = try await Sim.post(client, body: Sim.body(messages: messages, extra: extra))
            #expect(second.status == 200)
            let turn2 = Self.content(second)
            #expect(
                turn2.first?["reasoningContent"]?["reasoningText"]?["text"]?.stringValue?.hasPrefix("Step 2 of 2")
                    == true)
            #expect(turn2.last?["toolUse"]?["input"]?["command"] == "echo two")

            messages += [
                ["role": "assistant", "content": .array(turn2)], try Self.toolResult(for: turn2, text: "two"),
            ]
            let third = try await Sim.post(client, body: Sim.body(messages: messages, extra: extra))
            #expect(third.stopReason == "end_turn")
            #expect(third.text == "Tool said: one | two (signed thinking blocks in the history: 2)")

            // A reasoning block of the latest assistant turn sent back altered is refused.
            var altered = turn2
            altered[0] = [
                "reasoningContent": [
                    "reasoningText": [
                        "text": "Step 2 of 2: something else",
                        "signature": turn2[0]["reasoningContent"]?["reasoningText"]?["signature"] ?? "",
                    ]
                ]
            ]
            messages[3] = ["role": "assistant", "content": .array(altered)]
            let refused = try await Sim.post(client, body: Sim.body(messages: messages, extra: extra))
            #expect(refused.status == 400)
        }
    }

    @Test func noReasoningWithoutThinking() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask("sim:bash_seq:echo one;;echo two", extra: [("toolConfig", Sim.bashTool)])
            let response = try await Sim.post(client, body: body)
            let content = Self.content(response)
            #expect(content.count == 1)
            #expect(content.first?["toolUse"]?["name"] == "Bash")
        }
    }

    @Test func streamsSignedReasoningThenToolUse() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask("sim:bash_seq:echo one", extra: [("toolConfig", Sim.bashTool), Self.adaptive])
            let frames = try await Sim.post(client, "converse-stream", body: body).frames()
            let payloads = frames.compactMap(\.json)
            #expect(payloads.contains { $0["delta"]?["reasoningContent"]?["signature"] != nil })
            #expect(payloads.contains { $0["start"]?["toolUse"]?["name"] == "Bash" })
            #expect(payloads.contains { $0["stopReason"] == "tool_use" })
        }
    }

    /// A later prompt in the same conversation (`claude --continue`) starts its own sequence: the
    /// tool loop follows the latest prompt with markers, and old signed reasoning still counts.
    @Test func laterPromptStartsANewSequence() async throws {
        try await Sim.with { client throws in
            let extra = [("toolConfig", Sim.bashTool), Self.adaptive]
            let prompt1 = Sim.user("sim:bash_seq:echo one")
            let turn1 = Self.content(try await Sim.post(client, body: Sim.body(messages: [prompt1], extra: extra)))
            var messages = [
                prompt1, ["role": "assistant", "content": .array(turn1)], try Self.toolResult(for: turn1, text: "one"),
                Sim.assistant("Tool said: one"), Sim.user("sim:bash_seq:echo three;;echo four"),
            ]
            let step1 = Self.content(try await Sim.post(client, body: Sim.body(messages: messages, extra: extra)))
            #expect(step1.last?["toolUse"]?["input"]?["command"] == "echo three")
            messages += [
                ["role": "assistant", "content": .array(step1)], try Self.toolResult(for: step1, text: "three"),
            ]
            let step2 = Self.content(try await Sim.post(client, body: Sim.body(messages: messages, extra: extra)))
            #expect(step2.last?["toolUse"]?["input"]?["command"] == "echo four")
            messages += [["role": "assistant", "content": .array(step2)], try Self.toolResult(for: step2, text: "")]
            let done = try await Sim.post(client, body: Sim.body(messages: messages, extra: extra))
            #expect(done.text == "Tool said: three | (no output) (signed thinking blocks in the history: 3)")
        }
    }
}
