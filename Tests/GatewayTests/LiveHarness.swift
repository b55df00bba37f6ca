import AsyncHTTPClient
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NexusJSON
import NexusSimulator
import ServiceLifecycle

/// A live simulator on a free loopback port, and a live gateway in front of it: the real
/// server stack of both sides, over real sockets.
struct LiveStack {
    let client: any TestClientProtocol
    let nexusKey = "nexus-test-key-0123456789abcdef"
}

/// Runs `body` against a gateway whose upstream is a freshly started simulator.
func withLiveStack(
    simulator: SimulatorOptions = SimulatorOptions(),
    retry: RetryPolicy = .fast,
    configure: (inout GatewayConfiguration) -> Void = { _ in },
    endpointOverride: String? = nil,
    _ body: @Sendable (LiveStack) async throws -> Void
) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let simulatorApp = NexusSimulator.application(
        host: "127.0.0.1", port: 0, options: simulator, logger: logger,
        onServerRunning: { port in portContinuation.yield(port) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await simulatorApp.run() }
        var iterator = portStream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.endpoint = endpointOverride ?? "http://127.0.0.1:\(port)"
        configuration.nexusKey = Secret("nexus-test-key-0123456789abcdef")
        configuration.pingInterval = .milliseconds(300)
        configure(&configuration)
        let http = try GatewayApplication.makeHTTPClient(configuration)
        let upstream = try GatewayApplication.makeUpstreamPool(configuration)
        defer { upstream.shutdown() }
        let gateway = Gateway(
            configuration: configuration,
            client: NexusClient(
                upstream: upstream, http: http, endpoint: UpstreamEndpoint(configuration.endpoint), key: configuration.nexusKey),
            logger: logger, retryPolicy: retry)
        let app = GatewayApplication.application(gateway)
        do {
            try await app.test(.live) { client in try await body(LiveStack(client: client)) }
        } catch {
            try? await http.shutdown()
            group.cancelAll()
            throw error
        }
        try await http.shutdown()
        group.cancelAll()
    }
}

extension RetryPolicy {
    /// Quick retries for tests.
    static var fast: RetryPolicy {
        var p = RetryPolicy()
        p.baseDelay = .milliseconds(10)
        p.maxDelay = .milliseconds(50)
        return p
    }
}

extension LiveStack {
    /// POSTs a JSON body and returns status, headers and the body text.
    func post(
        _ path: String, json: String, headers extra: HTTPFields = [:]
    ) async throws -> (status: Int, headers: HTTPFields, body: String) {
        var headers = extra
        headers[.contentType] = "application/json"
        if headers[HTTPField.Name("x-api-key")!] == nil { headers[HTTPField.Name("x-api-key")!] = "client-key" }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json)) {
            (Int($0.status.code), $0.headers, String(buffer: $0.body))
        }
    }

    func get(_ path: String, headers: HTTPFields = [:]) async throws -> (status: Int, body: String) {
        try await client.execute(uri: path, method: .get, headers: headers) { (Int($0.status.code), String(buffer: $0.body)) }
    }
}

/// A minimal request body.
func messagesBody(_ text: String, model: String = "claude-sonnet-4-6", stream: Bool = false, extra: String = "") -> String {
    let escaped = JSONValue.string(text).jsonString
    return #"{"model":"\#(model)","max_tokens":512,"stream":\#(stream),"messages":[{"role":"user","content":\#(escaped)}]\#(extra)}"#
}

/// Parses an SSE body into (event, data) pairs.
func sseEvents(_ body: String) -> [(event: String, data: JSONValue)] {
    body.components(separatedBy: "\n\n").compactMap { chunk in
        var event = ""
        var data = ""
        for line in chunk.split(separator: "\n") {
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        guard !event.isEmpty, let json = try? JSONValue.parse(data) else { return nil }
        return (event, json)
    }
}

import HTTPTypes
