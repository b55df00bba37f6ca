import AsyncHTTPClient
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NexusJSON
import NexusSimulator
import ServiceLifecycle
import Testing

/// Runs `body` against gateway A whose upstreams are made by `upstreams` from the port of gateway
/// B, a gateway in front of a live simulator: B speaks the Anthropic Messages API, so A's
/// `anthropic` provider talks to a real Anthropic-compatible server, over real sockets.
func withChainedStack(
    upstreams: @escaping @Sendable (_ anthropicPort: Int, _ simulatorPort: Int) -> [UpstreamSpec],
    routes: [RouteSpec] = [],
    _ body: @Sendable (LiveStack) async throws -> Void
) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let (simPorts, simContinuation) = AsyncStream.makeStream(of: Int.self)
    let simulatorApp = NexusSimulator.application(
        host: "127.0.0.1", port: 0, options: SimulatorOptions(), logger: logger,
        onServerRunning: { port in simContinuation.yield(port) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await simulatorApp.run() }
        var simIterator = simPorts.makeAsyncIterator()
        guard let simPort = await simIterator.next() else { throw CancellationError() }

        // Gateway B: the default configuration, in front of the simulator.
        var configB = GatewayConfiguration()
        configB.port = 0
        configB.endpoint = "http://127.0.0.1:\(simPort)"
        configB.nexusKey = Secret("nexus-test-key-0123456789abcdef")
        let httpB = try GatewayApplication.makeHTTPClient(configB)
        let poolB = try GatewayApplication.makeUpstreamPool(configB)
        defer { poolB.shutdown() }
        let gatewayB = Gateway(
            configuration: configB,
            client: NexusClient(
                upstream: poolB, http: httpB, endpoint: UpstreamEndpoint(configB.endpoint), key: configB.nexusKey),
            logger: logger, retryPolicy: .fast)
        let (bPorts, bContinuation) = AsyncStream.makeStream(of: Int.self)
        let appB = GatewayApplication.application(gatewayB) { port in bContinuation.yield(port) }
        group.addTask { try await appB.run() }
        var bIterator = bPorts.makeAsyncIterator()
        guard let bPort = await bIterator.next() else { throw CancellationError() }

        var configA = GatewayConfiguration()
        configA.port = 0
        configA.upstreams = upstreams(bPort, simPort)
        configA.routes = routes
        configA.pingInterval = .milliseconds(300)
        let httpA = try GatewayApplication.makeHTTPClient(configA)
        let poolA = try GatewayApplication.makeUpstreamPool(configA)
        defer { poolA.shutdown() }
        let gatewayA = Gateway(
            configuration: configA,
            client: NexusClient(upstream: poolA, http: httpA, endpoint: UpstreamEndpoint(configA.endpoint), key: nil),
            logger: logger, retryPolicy: .fast)
        let appA = GatewayApplication.application(gatewayA)
        do {
            try await appA.test(.live) { client in try await body(LiveStack(client: client)) }
        } catch {
            try? await httpA.shutdown()
            try? await httpB.shutdown()
            group.cancelAll()
            throw error
        }
        try await httpA.shutdown()
        try await httpB.shutdown()
        group.cancelAll()
    }
}

@Suite("Providers, live: the anthropic provider and fallback across upstreams")
struct ProviderLiveTests {
    static func anthropic(_ port: Int, name: String = "backup") -> UpstreamSpec {
        UpstreamSpec(name: name, kind: .anthropic, endpoint: "http://127.0.0.1:\(port)", key: Secret("backup-key"))
    }

    /// `nexus`, a Converse upstream on a port nobody serves, then `backup` (gateway B).
    static func refusingPrimaryThenBackup(_ port: Int) -> [UpstreamSpec] {
        [
            UpstreamSpec(name: "nexus", kind: .converse, endpoint: "http://127.0.0.1:1", key: Secret("k")),
            anthropic(port),
        ]
    }

    @Test func anAnthropicUpstreamAnswersWithTheClientsModelName() async throws {
        try await withChainedStack(upstreams: { port, _ in [Self.anthropic(port)] }) { stack in
            let (status, headers, body) = try await stack.post("/v1/messages", json: messagesBody("hello there"))
            #expect(status == 200, "\(body)")
            #expect(headers[HTTPField.Name("x-nexus-upstream")!] == "backup")
            let json = try JSONValue.parse(ByteBuffer(string: body))
            #expect(json["model"]?.stringValue == "claude-sonnet-4-6")
            #expect(json["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("hello there") == true)
            #expect((json["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
        }
    }

    @Test func aRouteRewritesTheModelAndStreamsRelayEventByEvent() async throws {
        try await withChainedStack(
            upstreams: { port, _ in [Self.anthropic(port)] },
            routes: [RouteSpec(model: "my-*", targets: [TargetSpec(upstream: "backup", model: "claude-haiku-4-5")])]
        ) { stack in
            let (status, headers, body) = try await stack.post(
                "/v1/messages", json: messagesBody("sim:long:12", model: "my-model", stream: true))
            #expect(status == 200)
            #expect(headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let events = sseEvents(body)
            #expect(events.first?.event == "message_start")
            #expect(events.first?.data["message"]?["model"]?.stringValue == "my-model")
            #expect(events.last?.event == "message_stop")
            #expect(events.filter { $0.event == "content_block_delta" }.count >= 12)
            let whole = try await stack.post("/v1/messages", json: messagesBody("again", model: "my-model"))
            #expect(whole.status == 200, "\(whole.body)")
            #expect(try JSONValue.parse(ByteBuffer(string: whole.body))["model"]?.stringValue == "my-model")
        }
    }

    @Test func upstreamErrorsStayAnthropicShaped() async throws {
        try await withChainedStack(upstreams: { port, _ in [Self.anthropic(port)] }) { stack in
            let (status, _, body) = try await stack.post("/v1/messages", json: messagesBody("x", model: "gpt-4"))
            #expect(status == 404, "\(body)")
            let json = try JSONValue.parse(ByteBuffer(string: body))
            #expect(json["type"]?.stringValue == "error")
            #expect(json["error"]?["type"]?.stringValue == "not_found_error")
        }
    }

    @Test func countTokensIsForwarded() async throws {
        try await withChainedStack(upstreams: { port, _ in [Self.anthropic(port)] }) { stack in
            let (status, headers, body) = try await stack.post(
                "/v1/messages/count_tokens",
                json: #"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"count these words"}]}"#)
            #expect(status == 200, "\(body)")
            #expect(headers[HTTPField.Name("x-nexus-upstream")!] == "backup")
            #expect((try JSONValue.parse(ByteBuffer(string: body)))["input_tokens"]?.intValue ?? 0 > 0)
        }
    }

    @Test func aRefusedConnectionFallsBackToTheNextTarget() async throws {
        try await withChainedStack(
            upstreams: { port, _ in Self.refusingPrimaryThenBackup(port) },
            routes: [
                RouteSpec(
                    model: "claude-sonnet-*",
                    targets: [
                        TargetSpec(upstream: "nexus", model: "claude-sonnet-4.6"),
                        TargetSpec(upstream: "backup", model: "claude-sonnet-4-6"),
                    ])
            ]
        ) { stack in
            for stream in [false, true] {
                let (status, headers, body) = try await stack.post(
                    "/v1/messages", json: messagesBody("fall back please", stream: stream))
                #expect(status == 200, "\(body)")
                #expect(headers[HTTPField.Name("x-nexus-upstream")!] == "backup")
                #expect(headers[HTTPField.Name("x-nexus-retries")!] == "1")
            }
            let (_, health) = try await stack.get("/health")
            let json = try JSONValue.parse(ByteBuffer(string: health))
            let targets = json["targets"]?.arrayValue ?? []
            let nexus = targets.first { $0["target"]?.stringValue == "nexus:claude-sonnet-4.6" }
            #expect(nexus?["failed"]?.intValue == 2)
            #expect(nexus?["last_error"]?.stringValue?.contains("127.0.0.1:1") == true)
            #expect(json["upstreams"]?.arrayValue?.count == 2)
            #expect(!health.contains("backup-key"))
        }
    }

    @Test func aSignedThinkingBlockOfAnotherUpstreamIsTakenOutOnFallback() async throws {
        // The history holds a thinking block with a signature no upstream made (counted as the
        // route's first upstream's). The first target refuses connections; on the fallback the
        // block must go, or gateway B's simulator refuses the request for its signature.
        try await withChainedStack(
            upstreams: { port, _ in Self.refusingPrimaryThenBackup(port) },
            routes: [
                RouteSpec(
                    model: "*",
                    targets: [
                        TargetSpec(upstream: "nexus", model: "claude-sonnet-4.6"), TargetSpec(upstream: "backup"),
                    ])
            ]
        ) { stack in
            let history =
                #"{"model":"claude-sonnet-4-6","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"thinking","thinking":"secret","signature":"c2ln"},{"type":"text","text":"hello"}]},{"role":"user","content":"sim:echo again"}]}"#
            let (status, headers, body) = try await stack.post("/v1/messages", json: history)
            #expect(status == 200, "\(body)")
            #expect(headers[HTTPField.Name("x-nexus-upstream")!] == "backup")
        }
    }
}
