import AnthropicAPI
import BedrockAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NexusJSON
import Synchronization
import Translation
import UpstreamHTTP

/// The gateway's request handling: authentication, parsing, translation, the upstream call and
/// the answer, for every route. Routes are wired in `GatewayApplication`.
public struct Gateway: Sendable {
    public let configuration: GatewayConfiguration
    public let client: NexusClient
    public let logger: Logger
    let translator: RequestTranslator
    let retryPolicy: RetryPolicy
    let media: MediaResolver
    /// Models for which AI Nexus answered that it cannot count tokens: estimate from then on.
    let noCountTokens = ModelSet()
    /// Betas AI Nexus refused, per model.
    let rejectedBetas = BetaMemory()
    public let metrics: GatewayMetrics
    let limiter: ConcurrencyLimiter

    public init(configuration: GatewayConfiguration, client: NexusClient, logger: Logger, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.translator = RequestTranslator(options: configuration.translation)
        self.retryPolicy = retryPolicy
        self.metrics = GatewayMetrics()
        self.limiter = ConcurrencyLimiter(limit: configuration.maxConcurrentRequests)
        self.media = MediaResolver(http: client.http, maxBytes: configuration.mediaMaxBytes, timeout: configuration.mediaTimeout)
    }

    // MARK: Common steps

    /// Checks the inbound key when one is configured.
    func authorize(_ request: Request) throws(APIError) {
        guard let expected = configuration.proxyKey else { return }
        var presented = request.headers[.xAPIKey]
        if presented == nil, let auth = request.headers[.authorization] {
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
    func readJSON(_ request: Request) async throws(APIError) -> (JSONValue, Int) {
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
            return (try JSONValue.parse(buffer), buffer.readableBytes)
        } catch {
            throw APIError.invalid("Request body is not valid JSON: \(error)")
        }
    }

    func tooLarge() -> APIError {
        APIError(.requestTooLarge, "Request exceeds the maximum allowed size of \(configuration.maxBodyBytes) bytes")
    }

    /// The `anthropic-beta` header values, split on commas.
    func betas(_ request: Request) -> [String] {
        request.headers[values: .anthropicBeta].flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
    }

    func deadline(_ d: Duration) -> NIODeadline {
        let (seconds, attoseconds) = d.components
        return .now() + .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// The deadline of one upstream attempt for the response head: the first-byte timeout, but
    /// never past the request's total timeout (counted from `started`).
    func attemptDeadline(started: ContinuousClock.Instant) -> NIODeadline {
        let remaining = configuration.totalTimeout - (ContinuousClock.now - started)
        return deadline(max(.zero, min(configuration.firstByteTimeout, remaining)))
    }

    /// The error for a 200 that is not what the operation answers, naming its content type (a
    /// proxy's HTML page, say): nothing a Converse client can read.
    static func unreadableAnswer(contentType type: String, expected: String) -> APIError {
        let shown = type.count > 100 ? String(type.prefix(100)) + "…" : type
        return APIError(
            .api,
            "AI Nexus answered with content-type \(shown) instead of \(expected); is a proxy or login page in the way?",
            status: 502)
    }

    // MARK: /v1/messages

    public func messages(_ request: Request, context: some RequestContext) async -> Response {
        let requestID = Identifier.make("req_")
        let started = ContinuousClock.now
        var model = "unknown"
        var isStream = false
        let record = RequestRecord()
        do throws(APIError) {
            try authorize(request)
            guard let lease = limiter.acquire() else {
                throw APIError(.rateLimit, "The gateway is serving its maximum of \(limiter.limit) concurrent requests; retry shortly.", retryAfter: 1)
            }
            let (json, size) = try await readJSON(request)
            var parsed = try MessagesRequest(json: json)
            model = parsed.model
            isStream = parsed.stream
            let profile = try configuration.catalog.resolve(parsed.model)
            try await media.resolve(&parsed)
            let betas = betas(request)
            var log = logger
            log[metadataKey: "request.id"] = .string(requestID)
            let request = parsed
            return try await withBetaFallback(request, profile: profile, betas: betas, logger: log) { translated async throws(APIError) in
                record.modelSent = translated.profile.nexusID
                log.debug(
                    "translated request",
                    metadata: [
                        "model.asked": .string(request.model), "model.sent": .string(translated.profile.nexusID),
                        "body.bytes": .stringConvertible(size),
                        "betas.forwarded": .string(translated.forwardedBetas.joined(separator: ",")),
                        "betas.dropped": .string(translated.droppedBetas.joined(separator: ",")),
                        "notes": .string(translated.notes.joined(separator: "; ")),
                    ])
                for note in translated.notes where note.hasPrefix("dropped server tool") {
                    log.warning("\(note): AI Nexus cannot run it (--drop-unsupported-tools)")
                }
                if configuration.logBodies {
                    log.debug("converse body", metadata: ["body": .string(translated.converse.jsonValue.jsonString)])
                }
                if request.stream {
                    return try await stream(
                        request, translated, requestID: requestID, logger: log, started: started, lease: lease, record: record)
                }
                return try await complete(request, translated, requestID: requestID, logger: log, started: started, record: record)
            }
        } catch {
            let total = ContinuousClock.now - started
            var line = Self.requestLine(
                requestID: requestID, asked: model, sent: record.modelSent, stream: isStream, status: error.status,
                upstreamStatus: record.upstreamStatus, retries: record.retries, firstByte: total, total: total, usage: nil)
            line["error.type"] = .string(error.kind.rawValue)
            line["error"] = .string(error.message)
            logger.info("request failed", metadata: line)
            metrics.request(
                model: model, status: error.status, stream: isStream, firstByte: nil, total: total, usage: nil,
                retries: record.retries)
            if [.rateLimit, .overloaded, .api, .timeout].contains(error.kind) { metrics.upstreamError(error) }
            var response = error.response(requestID: requestID)
            response.headers[.nexusRetries] = String(record.retries)
            return response
        }
    }

    /// The fields of the one log line each `/v1/messages` request ends with ("request done" or
    /// "request failed"): the same keys for every request, so logs can be queried by them.
    static func requestLine(
        requestID: String, asked: String, sent: String, stream: Bool, status: Int, upstreamStatus: Int, retries: Int,
        firstByte: Duration, total: Duration, usage: Usage?
    ) -> Logger.Metadata {
        [
            "request.id": .string(requestID), "model.asked": .string(asked), "model.sent": .string(sent),
            "stream": .stringConvertible(stream), "status": .stringConvertible(status),
            "upstream.status": .stringConvertible(upstreamStatus), "retries": .stringConvertible(retries),
            "latency.first_byte_ms": .stringConvertible(firstByte.milliseconds),
            "latency.ms": .stringConvertible(total.milliseconds),
            "tokens.in": .stringConvertible(usage?.inputTokens ?? 0), "tokens.out": .stringConvertible(usage?.outputTokens ?? 0),
            "tokens.cache_read": .stringConvertible(usage?.cacheReadInputTokens ?? 0),
            "tokens.cache_write": .stringConvertible(usage?.cacheCreationInputTokens ?? 0),
        ]
    }

    /// Translates and runs `operation`; when AI Nexus still answers "invalid beta flag", drops
    /// the offending betas (all forwarded ones when the message names none), remembers that for
    /// the model for the life of the process, and tries once more, so the user never sees it twice.
    func withBetaFallback(
        _ request: MessagesRequest, profile: ModelProfile, betas: [String], logger: Logger,
        _ operation: (TranslatedRequest) async throws(APIError) -> Response
    ) async throws(APIError) -> Response {
        var profile = profile
        profile.allowedBetas.subtract(rejectedBetas.rejected(for: profile.nexusID))
        let translated = try translator.translate(request, profile: profile, betas: betas)
        do {
            return try await operation(translated)
        } catch where error.kind == .invalidRequest && error.message.lowercased().contains("invalid beta flag")
            && !translated.forwardedBetas.isEmpty
        {
            let named = translated.forwardedBetas.filter { error.message.contains($0) }
            let offending = named.isEmpty ? translated.forwardedBetas : named
            rejectedBetas.reject(offending, for: profile.nexusID)
            logger.warning(
                "AI Nexus rejected betas; retrying without them and dropping them for this model from now on",
                metadata: ["model": .string(profile.nexusID), "betas": .string(offending.joined(separator: ","))])
            profile.allowedBetas.subtract(offending)
            return try await operation(try translator.translate(request, profile: profile, betas: betas))
        }
    }

    func body(_ converse: ConverseRequest) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(4096)
        converse.jsonValue.write(into: &buffer)
        return buffer
    }

    func retryLogger(_ log: Logger, record: RequestRecord) -> (APIError, Int, Duration) -> Void {
        { error, attempt, wait in
            record.retries = attempt
            log.warning(
                "retrying upstream",
                metadata: ["attempt": .stringConvertible(attempt), "reason": .string(error.description), "wait": .stringConvertible(wait)])
        }
    }

    func complete(
        _ request: MessagesRequest, _ translated: TranslatedRequest, requestID: String, logger: Logger, started: ContinuousClock.Instant,
        record: RequestRecord
    ) async throws(APIError) -> Response {
        let payload = body(translated.converse)
        let ((buffer, contentType), retries) = try await retryPolicy.run(onRetry: retryLogger(logger, record: record)) {
            () async throws(APIError) -> (ByteBuffer, String?) in
            let response = try await client.send(
                .converse, modelID: translated.profile.nexusID, body: payload, deadline: attemptDeadline(started: started))
            record.upstreamStatus = Int(response.status.code)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: 256 * 1024 * 1024)
            } catch {
                throw client.mapTransportError(error)
            }
            guard response.status == .ok else { throw NexusClient.upstreamError(response, body: body).1 }
            return (body, response.headers.first(name: "content-type"))
        }
        let converse: ConverseResponse
        do {
            converse = try ConverseResponse(json: try JSONValue.parse(buffer))
        } catch {
            if let contentType, !contentType.lowercased().contains("json") {
                throw Self.unreadableAnswer(contentType: contentType, expected: "application/json")
            }
            throw APIError(.api, "AI Nexus sent an answer that is not a valid Converse response: \(error)", status: 502)
        }
        let message = try ResponseTranslator.message(
            converse, id: Identifier.make("msg_"), model: request.model, toolNameMap: translated.toolNameMap)
        let total = ContinuousClock.now - started
        logger.info(
            "request done",
            metadata: Self.requestLine(
                requestID: requestID, asked: request.model, sent: translated.profile.nexusID, stream: false, status: 200,
                upstreamStatus: 200, retries: retries, firstByte: total, total: total, usage: message.usage))
        metrics.request(
            model: request.model, status: 200, stream: false, firstByte: nil, total: total, usage: message.usage,
            retries: retries)
        var headers = HTTPFields()
        headers[.nexusRetries] = String(retries)
        return jsonResponse(message.jsonValue, requestID: requestID, extraHeaders: headers)
    }

    func stream(
        _ request: MessagesRequest, _ translated: TranslatedRequest, requestID: String, logger: Logger, started: ContinuousClock.Instant,
        lease: ConcurrencyLimiter.Lease, record: RequestRecord
    ) async throws(APIError) -> Response {
        let payload = body(translated.converse)
        let (attempt, retries) = try await retryPolicy.run(onRetry: retryLogger(logger, record: record)) {
            () async throws(APIError) -> Result<UpstreamStream, APIError> in
            let response = try await client.send(
                .converseStream, modelID: translated.profile.nexusID, body: payload, deadline: attemptDeadline(started: started))
            record.upstreamStatus = Int(response.status.code)
            guard response.status == .ok else {
                let body = try? await response.body.collect(upTo: 1024 * 1024)
                throw NexusClient.upstreamError(response, body: body).1
            }
            // A text page (a proxy's block or login page) is no event stream: say so, and do not
            // retry it, the same proxy would answer the same.
            if let type = response.headers.first(name: "content-type"), type.lowercased().hasPrefix("text/") {
                return .failure(Self.unreadableAnswer(contentType: type, expected: "application/vnd.amazon.eventstream"))
            }
            // Read up to the first frame, so an exception that arrives first is still a plain
            // JSON error (and can be retried) rather than a 200 with an error event.
            var stream = UpstreamStream(iterator: response.body.makeAsyncIterator())
            try await stream.readFirstMessage(client: client)
            // From here on silences are the pump's idle timeout.
            response.body.clearDeadline()
            return .success(stream)
        }
        let opened = try attempt.get()
        let translator = StreamTranslator(
            messageID: Identifier.make("msg_"), model: request.model, requestID: requestID,
            estimatedInputTokens: TokenEstimator.estimate(translated.converse), toolNameMap: translated.toolNameMap)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[.requestID] = requestID
        headers[.nexusRetries] = String(retries)
        let pump = SSEPump(
            upstream: opened, translator: translator, pingInterval: configuration.pingInterval,
            idleTimeout: configuration.idleTimeout, totalTimeout: configuration.totalTimeout,
            shutdownGrace: configuration.shutdownGrace, client: client,
            logger: logger,
            logContext: SSEPump.LogContext(
                requestID: requestID, model: request.model, sent: translated.profile.nexusID, retries: retries, started: started),
            metrics: metrics)
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // The lease holds a concurrency slot until the stream ends.
                defer { withExtendedLifetime(lease) {} }
                try await pump.run(&writer)
            })
    }
}

/// What one `/v1/messages` request did so far, for its log line, its metrics and
/// `x-nexus-retries`, also when it fails: filled in by the retry loop and each upstream answer.
final class RequestRecord: Sendable {
    private struct State {
        var modelSent = ""
        var upstreamStatus = 0
        var retries = 0
    }

    private let state = Mutex(State())

    /// The AI Nexus model id, once translated ("" before).
    var modelSent: String {
        get { state.withLock { $0.modelSent } }
        set { state.withLock { $0.modelSent = newValue } }
    }

    /// The HTTP status of the last upstream answer (0: none arrived).
    var upstreamStatus: Int {
        get { state.withLock { $0.upstreamStatus } }
        set { state.withLock { $0.upstreamStatus = newValue } }
    }

    /// Retries started so far.
    var retries: Int {
        get { state.withLock { $0.retries } }
        set { state.withLock { $0.retries = newValue } }
    }
}

/// A set of model ids shared by all requests.
final class ModelSet: Sendable {
    private let models = Mutex<Set<String>>([])

    func contains(_ id: String) -> Bool { models.withLock { $0.contains(id) } }
    func insert(_ id: String) { _ = models.withLock { $0.insert(id) } }
}

/// Betas refused by AI Nexus, per model, for the life of the process.
final class BetaMemory: Sendable {
    private let rejectedByModel = Mutex<[String: Set<String>]>([:])

    func rejected(for model: String) -> Set<String> { rejectedByModel.withLock { $0[model] ?? [] } }
    func reject(_ betas: [String], for model: String) { rejectedByModel.withLock { $0[model, default: []].formUnion(betas) } }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

import Foundation
