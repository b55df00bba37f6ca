import AWSEventStream
import BedrockAPI
import NexusJSON
import NexusSimulator
import Testing

@Suite("ConverseStream")
struct StreamTests {
    /// Decodes a body into Converse events; every event payload must carry the `p` padding.
    static func events(_ response: SimResponse) throws -> [ConverseStreamEvent] {
        try response.frames().map { frame in
            #expect(frame.messageType == "event")
            #expect(frame.contentType == "application/json")
            let payload = try #require(frame.json)
            #expect(payload["p"]?.stringValue?.isEmpty == false)
            return try ConverseStreamEvent(eventType: try #require(frame.eventType), payload: payload)
        }
    }

    static func names(_ events: [ConverseStreamEvent]) -> [String] {
        events.map { event in
            switch event {
            case .messageStart: "messageStart"
            case .contentBlockStart: "contentBlockStart"
            case .contentBlockDelta: "contentBlockDelta"
            case .contentBlockStop: "contentBlockStop"
            case .messageStop: "messageStop"
            case .metadata: "metadata"
            case .unknown(let name): name
            }
        }
    }

    @Test func textStreamsWordByWord() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, "converse-stream", body: Sim.ask("sim:long:5"))
            #expect(response.status == 200)
            #expect(response.headers[.contentType] == "application/vnd.amazon.eventstream")
            let events = try Self.events(response)
            #expect(
                Self.names(events) == [
                    "messageStart", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta", "contentBlockDelta",
                    "contentBlockDelta", "contentBlockStop", "messageStop", "metadata",
                ])
            var text = ""
            for case .contentBlockDelta(0, .text(let piece)) in events { text += piece }
            #expect(text == "lorem ipsum dolor sit amet")
            #expect(events.contains(.messageStop(stopReason: "end_turn", additionalModelResponseFields: nil)))
            guard case .metadata(let usage) = events.last else {
                Issue.record("no metadata")
                return
            }
            #expect(usage.outputTokens == 5)
            #expect(usage.inputTokens >= 1)
            let metadata = try #require(try response.frames().last?.json)
            #expect(metadata["metrics"]?["latencyMs"]?.intValue != nil)
        }
    }

    @Test func toolUseStreamsPartialJSON() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask("sim:bash:echo hello world", extra: [("toolConfig", Sim.bashTool)])
            let events = try Self.events(try await Sim.post(client, "converse-stream", body: body))
            guard case .contentBlockStart(0, .toolUse(let id, let name)) = events.dropFirst().first else {
                Issue.record("no toolUse start: \(events)")
                return
            }
            #expect(id.hasPrefix("tooluse_"))
            #expect(name == "Bash")
            var inputs: [String] = []
            for case .contentBlockDelta(0, .toolUseInput(let piece)) in events { inputs.append(piece) }
            #expect(inputs.count > 1)
            let input = try JSONValue.parse(inputs.joined())
            #expect(input == ["command": "echo hello world", "description": "Run the command"])
            #expect(events.contains(.messageStop(stopReason: "tool_use", additionalModelResponseFields: nil)))
        }
    }

    @Test func reasoningStreamsTextThenSignature() async throws {
        try await Sim.with { client throws in
            let events = try Self.events(try await Sim.post(client, "converse-stream", body: Sim.ask("sim:thinking")))
            var sawSignature = false
            var reasoningDeltas = 0
            for case .contentBlockDelta(0, let delta) in events {
                switch delta {
                case .reasoningText:
                    #expect(!sawSignature)
                    reasoningDeltas += 1
                case .reasoningSignature: sawSignature = true
                default: Issue.record("unexpected delta \(delta)")
                }
            }
            #expect(reasoningDeltas > 1)
            #expect(sawSignature)
            #expect(events.contains(.contentBlockStop(index: 0)))
            #expect(events.contains { if case .contentBlockDelta(1, .text) = $0 { true } else { false } })
        }
    }

    @Test func streamException() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(
                client, "converse-stream", body: Sim.ask("sim:stream_exception:throttling and more words here"))
            #expect(response.status == 200)
            let frames = try response.frames()
            #expect(frames.first?.eventType == "messageStart")
            #expect(frames.contains { $0.eventType == "contentBlockDelta" })
            let last = try #require(frames.last)
            #expect(last.messageType == "exception")
            #expect(last.exceptionType == "throttlingException")
            #expect(last.json?["message"]?.stringValue?.isEmpty == false)
            #expect(!frames.contains { $0.eventType == "messageStop" })
        }
    }

    @Test func streamSilentPausesMidway() async throws {
        try await Sim.with { client throws in
            let start = ContinuousClock.now
            let response = try await Sim.post(client, "converse-stream", body: Sim.ask("sim:stream_silent:0.3"))
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            let names = Self.names(try Self.events(response))
            #expect(names.first == "messageStart")
            #expect(names.suffix(2) == ["messageStop", "metadata"])
        }
    }

    @Test func errorsBeforeTheStreamAreHTTPErrors() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, "converse-stream", body: Sim.ask("sim:error:unavailable"))
            #expect(response.status == 503)
            #expect(response.errorType?.hasPrefix("ServiceUnavailableException:") == true)
        }
    }

    @Test func cannedStreamDecodes() async throws {
        try await Sim.with(SimulatorOptions(canned: true)) { client throws in
            let response = try await Sim.post(client, "converse-stream", body: Sim.ask("sim:error:internal"))
            let events = try Self.events(response)
            #expect(Self.names(events).first == "messageStart")
            #expect(Self.names(events).last == "metadata")
        }
    }
}
