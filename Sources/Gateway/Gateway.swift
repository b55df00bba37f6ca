import AnthropicAPI
import BedrockAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import NexusJSON
import Synchronization
import Translation
import UpstreamHTTP

/// The gateway's request handling: authentication, parsing, translation, the upstream call and
/// the answer, for every route. Routes are wired in `GatewayApplication`.
///
/// A class: every connection handler and every request holds it, and a reference costs one
/// retain where a copy of this many fields cost one each.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let client: NexusClient
    public let logger: Logger
    /// Where each client model name goes, over which upstreams.
    public let routes: RouteTable
    /// Which upstream made each thinking signature relayed.
    let signatures = SignatureLedger()
    /// The limits every exchange runs under (retries, timeouts, pings, shutdown).
    let limits: ExchangeStateMachine.Limits
    let media: MediaResolver
    public let metrics: GatewayMetrics
    let limiter: ConcurrencyLimiter
    /// The logger's handler when it is a `LineLogHandler` with no metadata of its own: request
    /// lines are written through it directly (see `log(_:_:)`).
    let directLog: LineLogHandler?

    /// - Parameter upstreamEndpoints: the endpoint of each configured upstream, by name, when the
    ///   caller wants to change it later (`serve --simulate` points them at the simulator once it
    ///   listens); others are made from the configuration.
    public init(
        configuration: GatewayConfiguration, client: NexusClient, logger: Logger,
        retryPolicy: RetryPolicy = RetryPolicy(),
        upstreamEndpoints: [String: UpstreamEndpoint] = [:]
    ) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.directLog = (logger.handler as? LineLogHandler).flatMap { $0.metadata.isEmpty ? $0 : nil }
        self.limits = ExchangeStateMachine.Limits(
            retry: retryPolicy, firstByteTimeout: configuration.firstByteTimeout,
            totalTimeout: configuration.totalTimeout,
            idleTimeout: configuration.idleTimeout, pingInterval: configuration.pingInterval,
            shutdownGrace: configuration.shutdownGrace)
        self.metrics = GatewayMetrics()
        self.limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)
        self.media = MediaResolver(
            http: client.http, maxBytes: configuration.mediaMaxBytes, timeout: configuration.mediaTimeout)
        self.routes = RouteTable(
            providers: ProviderFactory.providers(
                configuration, implicit: client, endpoints: upstreamEndpoints, signatures: signatures),
            routes: configuration.routes)
    }

    // MARK: Common steps

    /// Checks the inbound key when one is configured.
    func authorize(_ request: Request) throws(APIError) { try authorize(request.headers) }

    /// Checks the inbound key (`x-api-key`, or a bearer `authorization`) when one is configured.
    func authorize(_ headers: HTTPFields) throws(APIError) {
        try authorize(apiKey: headers[.xAPIKey], authorization: headers[.authorization])
    }

    /// The same check on a messages request's head (see `MessagesRequestHead`).
    func authorize(_ head: MessagesRequestHead) throws(APIError) {
        try authorize(apiKey: head.apiKey, authorization: head.authorization)
    }

    private func authorize(apiKey: String?, authorization: String?) throws(APIError) {
        guard let expected = configuration.proxyKey else { return }
        var presented = apiKey
        if presented == nil, let auth = authorization {
            let lower = auth.lowercased()
            if lower.hasPrefix("bearer ") { presented = String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
        }
        guard let presented else {
            throw APIError(.authentication, "x-api-key header is required")
        }
        guard expected.matches(presented) else {
            throw APIError(.authentication, "invalid x-api-key")
        }
    }

    /// Reads the body up to the configured limit and parses it as JSON.
    func readJSON(_ request: Request) async throws(APIError) -> (JSONValue, ByteBuffer) {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maxBodyBytes {
            throw tooLarge()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge()
        } catch is NIOTooManyBytesError {
            // A body without content-length (chunked) that grows past the limit.
            throw tooLarge()
        } catch {
            throw APIError.invalid("Could not read the request body: \(error)")
        }
        if buffer.readableBytes == 0 { throw APIError.invalid("Request body is empty; expected a JSON object") }
        do {
            return (try JSONValue.parse(buffer, verbatimKeys: MessagesRequest.verbatimKeys), buffer)
        } catch {
            throw APIError.invalid("Request body is not valid JSON: \(error)")
        }
    }

    func tooLarge() -> APIError {
        APIError(.requestTooLarge, "Request exceeds the maximum allowed size of \(configuration.maxBodyBytes) bytes")
    }

    /// The `anthropic-beta` header values, split on commas.
    func betas(_ headers: HTTPFields) -> [String] { Self.betas(headers[values: .anthropicBeta]) }

    func betas(_ head: MessagesRequestHead) -> [String] { Self.betas(head.betaFields) }

    private static func betas(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func deadline(_ d: Duration) -> NIODeadline {
        let (seconds, attoseconds) = d.components
        return .now() + .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: /v1/messages (served by `MessagesResponder`)

    /// Writes the line a `/v1/messages` request ends with, at level info: straight through
    /// `LineLogHandler` when that is the logger's handler (the production case), else through
    /// `Logger` with the same keys.
    func log(_ message: String, _ line: RequestLine) {
        guard logger.logLevel <= .info else { return }
        if let directLog {
            directLog.emit(level: .info, message: message, source: "Gateway", forEachField: line.forEachField)
        } else {
            logger.info("\(message)", metadata: line.metadata)
        }
    }

}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

/// The one log line each `/v1/messages` request ends with ("request done" or "request
/// failed"): the same keys for every request, so logs can be queried by them.
struct RequestLine {
    var requestID: String
    var asked: String
    var sent: String
    var stream: Bool
    var status: Int
    var upstreamStatus: Int
    var retries: Int
    var firstByte: Duration
    var total: Duration
    var usage: Usage?
    /// The upstream that answered, or the last one tried (`none` before any).
    var upstream: String = "none"
    /// Attempts moved to another target of the route before the first byte.
    var fallbacks: Int = 0
    /// How a stream ended (`ok`, `client gone`, `idle timeout`…); streams only.
    var outcome: String? = nil
    /// The error answered; failed requests only.
    var error: (type: String, message: String)? = nil

    /// Calls `field` with each field, sorted by key as `LineLogHandler` sorts them.
    func forEachField(_ field: (_ key: String, _ value: LineLogHandler.Field) -> Void) {
        if let error {
            field("error", .text(error.message))
            field("error.type", .text(error.type))
        }
        field("fallbacks", .int(Int64(fallbacks)))
        field("latency.first_byte_ms", .int(firstByte.milliseconds))
        field("latency.ms", .int(total.milliseconds))
        field("model.asked", .text(asked))
        field("model.sent", .text(sent))
        if let outcome { field("outcome", .text(outcome)) }
        field("request.id", .text(requestID))
        field("retries", .int(Int64(retries)))
        field("status", .int(Int64(status)))
        field("stream", .bool(stream))
        field("tokens.cache_read", .int(Int64(usage?.cacheReadInputTokens ?? 0)))
        field("tokens.cache_write", .int(Int64(usage?.cacheCreationInputTokens ?? 0)))
        field("tokens.in", .int(Int64(usage?.inputTokens ?? 0)))
        field("tokens.out", .int(Int64(usage?.outputTokens ?? 0)))
        field("upstream", .text(upstream))
        field("upstream.status", .int(Int64(upstreamStatus)))
    }

    /// The fields in key order.
    var fields: [(key: String, value: LineLogHandler.Field)] {
        var fields: [(key: String, value: LineLogHandler.Field)] = []
        fields.reserveCapacity(16)
        forEachField { fields.append(($0, $1)) }
        return fields
    }

    /// The same fields as `Logger` metadata.
    var metadata: Logger.Metadata {
        Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value.metadataValue) })
    }
}
