import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NexusJSON
import NexusSimulator
import Testing

/// `sim:malformed_json`, `sim:wrong_content_type` and `GET /_sim/stats`.
@Suite("Unreadable answers and stats")
struct FaultAndStatsTests {
    @Test(arguments: ["converse", "converse-stream"])
    func malformedJSON(operation: String) async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, operation, body: Sim.ask("sim:malformed_json"))
            #expect(response.status == 200)
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.body.readableBytes > 0)
            #expect(response.json == nil)
        }
    }

    @Test(arguments: ["converse", "converse-stream"])
    func wrongContentType(operation: String) async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, operation, body: Sim.ask("sim:wrong_content_type"))
            #expect(response.status == 200)
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: response.body).hasPrefix("<!DOCTYPE html>"))
        }
    }

    @Test func faultsComeAfterThrottlingAndErrors() async throws {
        try await Sim.with { client throws in
            let body = Sim.ask("sim:throttle:1 sim:malformed_json")
            #expect(try await Sim.post(client, body: body).status == 429)
            let second = try await Sim.post(client, body: body)
            #expect(second.status == 200 && second.json == nil)
            #expect(try await Sim.post(client, body: Sim.ask("sim:error:internal sim:malformed_json")).status == 500)
        }
    }

    static func stats(_ client: any TestClientProtocol) async throws -> JSONValue {
        let response = try await client.execute(uri: "/_sim/stats", method: .get)
        #expect(response.status == .ok)
        return try JSONValue.parse(response.body)
    }

    @Test func statsCountRequestsAndStreams() async throws {
        try await Sim.with { client throws in
            let start = try await Self.stats(client)
            #expect(start["requests"]?.intValue == 0)
            #expect(start["streams_active"]?.intValue == 0)
            _ = try await Sim.post(client, body: Sim.ask("hello"))
            _ = try await Sim.post(client, "converse-stream", body: Sim.ask("sim:long:5"))
            _ = try await Sim.post(client, "count-tokens", body: ["input": ["converse": Sim.ask("count")]])
            _ = try await Sim.post(client, key: "bad-key", body: Sim.ask("refused"))
            let after = try await Self.stats(client)
            #expect(after["requests"]?.intValue == 4)
            #expect(after["streams_active"]?.intValue == 0)
        }
    }

    @Test func statsCountConnectionsOfALiveServer() async throws {
        let app = NexusSimulator.application(
            host: "127.0.0.1", port: 0, options: SimulatorOptions(), logger: Logger(label: "FaultAndStatsTests"),
            onServerRunning: { _ in })
        try await app.test(.live) { client throws in
            _ = try await Sim.post(client, body: Sim.ask("hello"))
            let stats = try await Self.stats(client)
            #expect((stats["connections_accepted"]?.intValue ?? 0) >= 1)
            #expect((stats["connections_open"]?.intValue ?? 0) >= 1)
            #expect(stats["requests"]?.intValue == 1)
        }
    }
}
