import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NexusJSON
import NexusSimulator
import Testing

/// Process-level faults (`SimulatorOptions.fault`, `POST /_sim/fault`) on both faces, and the
/// per-face request counters of `/_sim/stats`.
@Suite("Process faults")
struct ProcessFaultTests {
    static func setFault(_ client: any TestClientProtocol, _ fault: JSONValue) async throws -> TestResponse {
        try await client.execute(
            uri: "/_sim/fault", method: .post, body: ByteBuffer(bytes: (["fault": fault] as JSONValue).jsonBytes))
    }

    @Test func throttleOnBothFaces() async throws {
        try await Sim.with(SimulatorOptions(fault: try SimulatorFault.parse(["throttle"]))) { client throws in
            let converse = try await Sim.post(client, body: Sim.ask("hi"))
            #expect(converse.status == 429)
            #expect(converse.errorType?.hasPrefix("ThrottlingException") == true)
            let anthropic = try await Anth.post(client, body: Anth.ask("hi"))
            #expect(anthropic.status == 429)
            #expect(anthropic.anthropicError.type == "rate_limit_error")
            #expect(anthropic.headers[HTTPField.Name("retry-after")!] != nil)
        }
    }

    @Test func overloadedOnBothFaces() async throws {
        try await Sim.with(SimulatorOptions(fault: try SimulatorFault.parse(["overloaded"]))) { client throws in
            let converse = try await Sim.post(client, body: Sim.ask("hi"))
            #expect(converse.status == 503)
            #expect(converse.errorType?.hasPrefix("ServiceUnavailableException") == true)
            let anthropic = try await Anth.post(client, body: Anth.ask("hi"))
            #expect(anthropic.status == 529)
            #expect(anthropic.anthropicError.type == "overloaded_error")
        }
    }

    @Test func runtimeSwitch() async throws {
        try await Sim.with { client throws in
            #expect(try await Anth.post(client, body: Anth.ask("hi")).status == 200)
            let set = try await Self.setFault(client, "error:internal")
            #expect(set.status == .ok)
            #expect(try JSONValue.parse(set.body)["fault"] == ["error:internal"])
            #expect(try await Anth.post(client, body: Anth.ask("hi")).status == 500)
            #expect(try await Sim.post(client, body: Sim.ask("hi")).status == 500)
            let cleared = try await Self.setFault(client, .null)
            #expect(try JSONValue.parse(cleared.body)["fault"]?.isNull == true)
            #expect(try await Anth.post(client, body: Anth.ask("hi")).status == 200)
            #expect(try await Self.setFault(client, "melt").status == .badRequest)
            let current = try await client.execute(uri: "/_sim/fault", method: .get)
            #expect(try JSONValue.parse(current.body)["fault"]?.isNull == true)
        }
    }

    @Test func slowDelaysTheHead() async throws {
        try await Sim.with(SimulatorOptions(fault: try SimulatorFault.parse(["slow:0.3"]))) { client throws in
            let start = ContinuousClock.now
            #expect(try await Anth.post(client, body: Anth.ask("hi")).status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func cutStopsStreamsHalfWay() async throws {
        try await Sim.with(SimulatorOptions(fault: try SimulatorFault.parse(["cut"]))) { client throws in
            let response = try? await Anth.post(client, body: Anth.ask("sim:long:20", extra: [("stream", true)]))
            if let response {
                #expect(!Anth.events(response).contains { $0.0 == "message_stop" })
            }
            // JSON answers are not affected.
            #expect(try await Anth.post(client, body: Anth.ask("hi")).status == 200)
        }
    }

    @Test func parse() throws {
        #expect(try SimulatorFault.parse(["slow:2", "cut", "overloaded"]).specs == ["slow:2", "cut", "overloaded"])
        #expect(try SimulatorFault.parse([]).isNone)
        #expect(throws: SimulatorFault.ParseError.self) { try SimulatorFault.parse(["slow:x"]) }
    }

    @Test func statsCountEachFace() async throws {
        try await Sim.with { client throws in
            _ = try await Sim.post(client, body: Sim.ask("hello"))
            _ = try await Anth.post(client, body: Anth.ask("hello"))
            _ = try await Anth.post(
                client, "/v1/messages/count_tokens", body: ["model": "claude-sonnet-4-6", "messages": [Anth.user("x")]])
            let stats = try await FaultAndStatsTests.stats(client)
            #expect(stats["converse_requests"]?.intValue == 1)
            #expect(stats["anthropic_requests"]?.intValue == 2)
            #expect(stats["requests"]?.intValue == 3)
        }
    }
}
