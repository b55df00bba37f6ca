import AWSEventStream
import AnthropicAPI
import BedrockAPI
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NexusJSON
import Translation
import UpstreamHTTP

/// One `POST /v1/messages`, answered on its connection's event loop, from the collected body
/// to the last byte of the answer.
///
/// The steps: authenticate, take a concurrency slot, parse and translate (the pure core),
/// fetch URL media when there is any (the only step that leaves the loop), then call AI Nexus on
/// a connection of the same loop. Failures before the first byte reaches the client are
/// retried per `RetryPolicy`, and a refused beta once without it (`BetaMemory`); every other
/// failure becomes one Anthropic error answer. A stream is relayed frame by frame, with `ping`
/// while AI Nexus is silent, idle and total timeouts, an `error` event when it breaks, and
/// backpressure both ways: the upstream read pauses while the client's socket is full.
///
/// Every request ends with one log line and one metric, however it ends.
///
/// Not thread-safe by design: everything runs on `eventLoop`, driven by the channel handler
/// (requests, client events) and by `HTTP1Call` (upstream events).
final class MessagesResponder: HTTP1ResponseDelegate {
    private enum Phase {
        /// Parsing, translating, fetching media, or waiting to retry.
        case preparing
        /// Waiting for the upstream answer's head.
        case awaitingHead
        /// Reading a whole answer: Converse's, or an error of either operation.
        case collecting(status: HTTPResponseStatus, headers: HTTP1Fields, limit: Int)
        /// ConverseStream: reading up to the first frame, so that an exception sent first is
        /// still a plain (retryable) JSON error rather than a 200 with an `error` event.
        case opening
        /// Relaying the stream to the client.
        case streaming
        case finished
    }

    /// A stream being relayed. A class, updated in place on every chunk: as a struct it was
    /// copied out of its optional and back, a retain and a release of each of its fields
    /// (about 120 of each per small stream).
    private final class Relay {
        var translator: StreamTranslator
        var events: [StreamEvent] = []
        var lastUpstream: ContinuousClock.Instant
        var lastWrite: ContinuousClock.Instant
        var firstByte: Duration?
        var outcome = "ok"
        var upstreamEnded = false
        var paused = false
        var tick: Scheduled<Void>?

        init(translator: StreamTranslator, now: ContinuousClock.Instant) {
            self.translator = translator
            self.lastUpstream = now
            self.lastWrite = now
        }
    }

    private let gateway: Gateway
    private var handler: (any MessagesSink)?
    private let eventLoop: any EventLoop
    private let requestID = Identifier.make("req_")
    private let started = ContinuousClock.now
    /// For the request's other lines (debug, retries, warnings): made on first use, as most
    /// requests log nothing but their `RequestLine`.
    private lazy var logger: Logger = {
        var logger = gateway.logger
        logger[metadataKey: "request.id"] = .string(requestID)
        return logger
    }()

    // For the log line and metrics.
    private var model = "unknown"
    private var isStream = false
    private var modelSent = ""
    private var upstreamStatus = 0
    private var retries = 0
    private var bodyBytes = 0

    private var keepAlive = true
    private var version = HTTPVersion.http1_1
    private var lease: ConcurrencyLimiter.Lease?
    private var betas: [String] = []
    private var translation: Translation?
    private var payload = ByteBuffer()
    private var attempt = 1
    private var attemptsBegan = ContinuousClock.now
    private var betaRetried = false
    private var call: HTTP1Call?
    private var retryTimer: Scheduled<Void>?
    private var phase = Phase.preparing
    private var collected = ByteBuffer()
    private var reader = EventStreamFrameReader()
    private var pending: [EventStreamMessage] = []
    private var relay: Relay?
    private var shutdownSeen: ContinuousClock.Instant?
    private var clientGone = false

    /// A request and what it was translated into, kept for the answer and for a retry without
    /// refused betas. A class: reading it costs one reference count, not a copy of every field
    /// of three large structs (40 retains and as many releases fewer per small request).
    private final class Translation {
        let request: MessagesRequest
        /// The model's profile before refused betas were taken out.
        let profile: ModelProfile
        let result: TranslatedRequest

        init(request: MessagesRequest, profile: ModelProfile, result: TranslatedRequest) {
            self.request = request
            self.profile = profile
            self.result = result
        }
    }

    init(gateway: Gateway, sink: any MessagesSink, eventLoop: any EventLoop) {
        self.gateway = gateway
        self.handler = sink
        self.eventLoop = eventLoop
    }

    // MARK: Steps

    func start(head: MessagesRequestHead, body: ByteBuffer) {
        version = head.version
        keepAlive = head.keepAlive
        do throws(APIError) {
            try gateway.authorize(head)
            guard let lease = gateway.limiter.acquire() else {
                throw APIError(
                    .rateLimit,
                    "The gateway is serving its maximum of \(gateway.limiter.limit) concurrent requests; retry shortly.",
                    retryAfter: 1)
            }
            self.lease = lease
            bodyBytes = body.readableBytes
            guard bodyBytes > 0 else { throw APIError.invalid("Request body is empty; expected a JSON object") }
            let json: JSONValue
            do { json = try JSONValue.parse(body, verbatimKeys: MessagesRequest.verbatimKeys) } catch {
                throw APIError.invalid("Request body is not valid JSON: \(error)")
            }
            let parsed = try MessagesRequest(json: json)
            model = parsed.model
            isStream = parsed.stream
            let profile = try gateway.configuration.catalog.resolve(parsed.model)
            betas = gateway.betas(head)
            if parsed.messages.contains(where: { $0.content.contains(where: MediaResolver.hasURL) }) {
                resolveMedia(parsed, profile: profile)
                return
            }
            try translateAndSend(parsed, profile: profile)
        } catch {
            fail(error)
        }
    }

    /// Fetches URL images and documents off the loop, then carries on on it.
    private func resolveMedia(_ parsed: MessagesRequest, profile: ModelProfile) {
        let media = gateway.media
        let loop = eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        Task {
            var resolved = parsed
            let result: Result<MessagesRequest, APIError>
            do throws(APIError) {
                try await media.resolve(&resolved)
                result = .success(resolved)
            } catch {
                result = .failure(error)
            }
            loop.execute { this.value.mediaResolved(result, profile: profile) }
        }
    }

    private func mediaResolved(_ result: Result<MessagesRequest, APIError>, profile: ModelProfile) {
        guard case .preparing = phase else { return }  // the client went away meanwhile
        do throws(APIError) {
            try translateAndSend(try result.get(), profile: profile)
        } catch {
            fail(error)
        }
    }

    /// Translates (without the betas AI Nexus refused for this model) and starts the first attempt.
    /// The request and profile are moved into `translation`, not copied.
    private func translateAndSend(
        _ request: consuming MessagesRequest, profile: consuming ModelProfile
    ) throws(APIError) {
        let refused = gateway.rejectedBetas.rejected(for: profile.nexusID)
        let translated: TranslatedRequest
        if refused.isEmpty {
            translated = try gateway.translator.translate(request, profile: profile, betas: betas)
        } else {
            var allowed = copy profile
            allowed.allowedBetas.subtract(refused)
            translated = try gateway.translator.translate(request, profile: allowed, betas: betas)
        }
        let translation = Translation(request: request, profile: profile, result: consume translated)
        self.translation = translation
        modelSent = translation.result.profile.nexusID
        // Checked first: `logger` is made on first use, and at info level nothing needs it.
        if gateway.logger.logLevel <= .debug { logTranslation(translation.request, translation.result) }
        for note in translation.result.notes where note.hasPrefix("dropped server tool") {
            logger.warning("\(note): AI Nexus cannot run it (--drop-unsupported-tools)")
        }
        payload = gateway.body(translation.result.converse, clientBytes: bodyBytes)
        attempt = 1
        attemptsBegan = .now
        sendAttempt()
    }

    private func logTranslation(_ request: MessagesRequest, _ translated: TranslatedRequest) {
        logger.debug(
            "translated request",
            metadata: [
                "model.asked": .string(request.model), "model.sent": .string(translated.profile.nexusID),
                "body.bytes": .stringConvertible(bodyBytes),
                "betas.forwarded": .string(translated.forwardedBetas.joined(separator: ",")),
                "betas.dropped": .string(translated.droppedBetas.joined(separator: ",")),
                "notes": .string(translated.notes.joined(separator: "; ")),
            ])
        if gateway.configuration.logBodies {
            logger.debug("converse body", metadata: ["body": .string(translated.converse.jsonValue.jsonString)])
        }
    }

    private func sendAttempt() {
        guard let translation, !clientGone else { return }
        phase = .awaitingHead
        do throws(APIError) {
            call = try gateway.client.start(
                isStream ? .converseStream : .converse, modelID: translation.result.profile.nexusID, body: payload,
                on: eventLoop, deadline: gateway.attemptDeadline(started: started), delegate: self)
        } catch {
            attemptFailed(error)
        }
    }

    /// An attempt failed before anything reached the client: retry it, drop refused betas, or
    /// answer with the error.
    private func attemptFailed(_ error: APIError) {
        call = nil
        phase = .preparing
        if let translation, !betaRetried, error.kind == .invalidRequest,
            error.message.lowercased().contains("invalid beta flag"), !translation.result.forwardedBetas.isEmpty
        {
            let translated = translation.result
            betaRetried = true
            let named = translated.forwardedBetas.filter { error.message.contains($0) }
            let offending = named.isEmpty ? translated.forwardedBetas : named
            gateway.rejectedBetas.reject(offending, for: translated.profile.nexusID)
            logger.warning(
                "AI Nexus rejected betas; retrying without them and dropping them for this model from now on",
                metadata: [
                    "model": .string(translated.profile.nexusID), "betas": .string(offending.joined(separator: ",")),
                ])
            do throws(APIError) { try translateAndSend(translation.request, profile: translation.profile) } catch {
                fail(error)
            }
            return
        }
        let elapsed = ContinuousClock.now - attemptsBegan
        guard let wait = gateway.retryPolicy.retryDelay(after: error, attempt: attempt, elapsed: elapsed) else {
            fail(error)
            return
        }
        retries = attempt
        logger.warning(
            "retrying upstream",
            metadata: [
                "attempt": .stringConvertible(attempt), "reason": .string(error.description),
                "wait": .stringConvertible(wait),
            ])
        attempt += 1
        retryTimer = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(wait.nanoseconds)) { [self] in
            retryTimer = nil
            sendAttempt()
        }
    }

    // MARK: Upstream events

    func upstreamHead(_ head: HTTP1ResponseHead) {
        guard case .awaitingHead = phase else { return }
        upstreamStatus = Int(head.status.code)
        collected = ByteBuffer()
        guard head.status == .ok else {
            phase = .collecting(status: head.status, headers: head.headers, limit: 1024 * 1024)
            return
        }
        guard isStream else {
            phase = .collecting(status: .ok, headers: head.headers, limit: 256 * 1024 * 1024)
            return
        }
        // A text page (a proxy's block or login page) is no event stream: say so, and do not
        // retry it, the same proxy would answer the same.
        if let type = head.headers.first(name: "content-type"), type.lowercased().hasPrefix("text/") {
            cancelCall()
            fail(Gateway.unreadableAnswer(contentType: type, expected: "application/vnd.amazon.eventstream"))
            return
        }
        reader = EventStreamFrameReader()
        pending.removeAll()
        phase = .opening
    }

    func upstreamBody(_ chunk: ByteBuffer) {
        switch phase {
        case .collecting(let status, let headers, let limit):
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                cancelCall()
                if status == .ok {
                    attemptFailed(gateway.client.mapTransportError(HTTP1ClientError.bodyTooLarge(limit: limit)))
                } else {
                    attemptFailed(NexusClient.upstreamError(status: status, headers: headers, body: nil).1)
                }
                return
            }
            if collected.readableBytes == 0 {
                collected = chunk
            } else {
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        case .opening:
            reader.append(chunk)
            // Only the first frame now: its events go out before the rest of the chunk is
            // translated (the time to the first event is what users wait on).
            do {
                if let message = try reader.next() { pending.append(message) }
            } catch {
                cancelCall()
                attemptFailed(APIError(.api, "AI Nexus sent a corrupt event stream: \(error)", status: 502))
                return
            }
            guard let first = pending.first else { return }
            if case .failure(let error) = StreamTranslator.classify(first) {
                cancelCall()
                attemptFailed(error)
                return
            }
            beginStream()
            relayBuffered()
        case .streaming:
            relayChunk(chunk)
        case .preparing, .awaitingHead, .finished:
            break
        }
    }

    func upstreamEnd() {
        call = nil
        switch phase {
        case .collecting(let status, let headers, _):
            if status == .ok {
                answer(collected, upstreamHeaders: headers)
            } else {
                attemptFailed(NexusClient.upstreamError(status: status, headers: headers, body: collected).1)
            }
        case .opening:
            attemptFailed(APIError(.api, "AI Nexus closed the stream before sending any event.", status: 502))
        case .streaming:
            guard let relay else { return }
            relay.upstreamEnded = true
            if !relay.translator.isDone {
                if reader.bufferedByteCount > 0 {
                    relay.outcome = "truncated frame"
                    relay.translator.fail(
                        APIError(.api, "AI Nexus ended the stream in the middle of an event."), into: &relay.events)
                }
                relay.translator.finish(into: &relay.events)
            }
            flush(endFollows: true)
            endStream()
        case .preparing, .awaitingHead, .finished:
            break
        }
    }

    func upstreamFailed(_ error: HTTP1ClientError) {
        call = nil
        switch phase {
        case .awaitingHead, .opening:
            attemptFailed(gateway.client.mapTransportError(error))
        case .collecting(let status, let headers, _):
            if status == .ok {
                attemptFailed(gateway.client.mapTransportError(error))
            } else {
                attemptFailed(NexusClient.upstreamError(status: status, headers: headers, body: nil).1)
            }
        case .streaming:
            if let relay, !relay.translator.isDone {
                relay.outcome = "upstream failed"
                relay.translator.fail(gateway.client.mapTransportError(error), into: &relay.events)
            }
            flush(endFollows: true)
            endStream()
        case .preparing, .finished:
            break
        }
    }

    private func cancelCall() {
        call?.cancel()
        call = nil
    }

    // MARK: Non-streaming answer

    /// Translates the whole Converse answer `upstreamBody` (whose head had `upstreamHeaders`) and
    /// sends it.
    private func answer(_ upstreamBody: ByteBuffer, upstreamHeaders: HTTP1Fields) {
        guard let translation else { return }
        let message: MessagesResponse
        do throws(APIError) {
            let converse: ConverseResponse
            do {
                converse = try ConverseResponse(json: try JSONValue.parse(upstreamBody))
            } catch {
                if let contentType = upstreamHeaders.first(name: "content-type"),
                    !contentType.lowercased().contains("json")
                {
                    throw Gateway.unreadableAnswer(contentType: contentType, expected: "application/json")
                }
                throw APIError(
                    .api, "AI Nexus sent an answer that is not a valid Converse response: \(error)", status: 502)
            }
            message = try ResponseTranslator.message(
                converse, id: Identifier.make("msg_"), model: model, toolNameMap: translation.result.toolNameMap)
        } catch {
            fail(error)
            return
        }
        let total = ContinuousClock.now - started
        // Metrics before the answer leaves (a client reading /metrics right after sees them),
        // the log line after it (the line costs more than the rest of the step).
        gateway.metrics.request(
            model: model, status: 200, stream: false, firstByte: nil, total: total, usage: message.usage,
            retries: retries)
        var body = ByteBuffer()
        body.writeJSON(estimatedByteCount: Gateway.estimatedTranslation(of: upstreamBody.readableBytes)) {
            message.write(to: &$0)
        }
        var head = AnswerHead(version: version, status: .ok)
        head.add("content-type", "application/json")
        head.add("request-id", requestID)
        head.add("x-nexus-retries", retries)
        sendWhole(head, body)
        gateway.log(
            "request done",
            RequestLine(
                requestID: requestID, asked: model, sent: modelSent, stream: false,
                status: 200,
                upstreamStatus: 200, retries: retries, firstByte: total, total: total, usage: message.usage)
        )
        finish()
    }

    /// Answers with `error`; the request is over.
    private func fail(_ error: APIError) {
        guard !isFinished else { return }
        let total = ContinuousClock.now - started
        gateway.metrics.request(
            model: model, status: error.status, stream: isStream, firstByte: nil, total: total, usage: nil,
            retries: retries)
        if !clientGone, [.rateLimit, .overloaded, .api, .timeout].contains(error.kind) {
            gateway.metrics.upstreamError(error)
        }
        let (response, body) = error.httpResponse(requestID: requestID)
        var head = AnswerHead(version: version, HTTPResponseHead(response))
        head.add("x-nexus-retries", retries)
        sendWhole(head, body)
        var line = RequestLine(
            requestID: requestID, asked: model, sent: modelSent, stream: isStream, status: error.status,
            upstreamStatus: upstreamStatus, retries: retries, firstByte: total, total: total, usage: nil)
        line.error = (error.kind.rawValue, error.message)
        gateway.log("request failed", line)
        finish()
    }

    private var isHTTP10: Bool { version.major == 1 && version.minor == 0 }

    /// `connection` where the answer's fate differs from its version's default: `close` on
    /// HTTP/1.1, `keep-alive` on HTTP/1.0 (where a client keeps nothing it was not told to).
    private func addConnectionHeader(_ head: inout AnswerHead) {
        if isHTTP10, keepAlive {
            head.add("connection", "keep-alive")
        } else if !isHTTP10, !keepAlive {
            head.add("connection", "close")
        }
    }

    /// Writes a whole answer; `head` gets its `content-length`, `date` and `connection` here.
    private func sendWhole(_ head: AnswerHead, _ body: ByteBuffer) {
        guard let handler, !clientGone else { return }
        var head = head
        head.add("content-length", body.readableBytes)
        head.add("date", PerSecondText.httpDate.now())
        addConnectionHeader(&head)
        handler.sendWhole(head, body: body)
    }

    // MARK: Streaming answer

    private func beginStream() {
        guard let translation, let handler else { return }
        call?.clearDeadline()  // from here on, silences are the relay's idle timeout
        // An HTTP/1.0 client cannot read chunks: its stream ends with the connection.
        if isHTTP10 { keepAlive = false }
        var head = AnswerHead(version: version, status: .ok)
        head.add("content-type", "text/event-stream; charset=utf-8")
        head.add("cache-control", "no-cache")
        head.add("request-id", requestID)
        head.add("x-nexus-retries", retries)
        head.add("date", PerSecondText.httpDate.now())
        addConnectionHeader(&head)
        handler.sendHead(head)
        phase = .streaming
        gateway.metrics.streamStarted()
        let now = ContinuousClock.now
        let relay = Relay(
            translator: StreamTranslator(
                messageID: Identifier.make("msg_"), model: model, requestID: requestID,
                estimatedInputTokens: TokenEstimator.estimate(translation.result.converse),
                toolNameMap: translation.result.toolNameMap),
            now: now)
        relay.events.reserveCapacity(8)
        for message in pending { relay.translator.receive(message, into: &relay.events) }
        pending.removeAll()
        self.relay = relay
        flush()
        relay.firstByte = ContinuousClock.now - started
        scheduleTick()
    }

    private func relayChunk(_ chunk: ByteBuffer) {
        relay?.lastUpstream = .now
        reader.append(chunk)
        relayBuffered()
    }

    /// Translates and writes every whole frame buffered in `reader`.
    private func relayBuffered() {
        guard let relay else { return }
        do {
            while let message = try reader.next() { relay.translator.receive(message, into: &relay.events) }
        } catch {
            relay.outcome = "corrupt frame"
            relay.translator.fail(APIError(.api, "AI Nexus sent a corrupt event stream: \(error)"), into: &relay.events)
        }
        flush()
        endIfDone()
    }

    /// After the last event AI Nexus ends the body at once: that end is awaited, so the
    /// connection goes back to the pool; a failed stream is cut at once.
    private func endIfDone() {
        guard let relay, relay.translator.isDone else { return }
        if relay.upstreamEnded || relay.outcome != "ok" {
            cancelCall()
            endStream()
        }
    }

    /// How often a stream checks its timers: often enough for the ping interval.
    private var tickInterval: Duration { min(gateway.configuration.pingInterval, .seconds(1)) }

    private func scheduleTick() {
        relay?.tick = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(tickInterval.nanoseconds)) { [self] in
            tick()
        }
    }

    /// Runs every `tickInterval` while streaming: shutdown, timeouts, and `ping` during silences.
    private func tick() {
        guard case .streaming = phase, let relay else { return }
        let every = tickInterval
        if relay.translator.isDone {
            // The answer is complete but AI Nexus did not end the body within a tick: drop the
            // connection rather than pool it.
            cancelCall()
            endStream()
            return
        }
        let now = ContinuousClock.now
        let configuration = gateway.configuration
        // Past the grace period the server closes its connections: end the stream with an
        // error event on the last tick before that, while the client can still be told.
        if let seen = shutdownSeen, now - seen + every * 2 + .milliseconds(250) >= configuration.shutdownGrace {
            relay.outcome = "shutdown"
            relay.translator.fail(
                APIError(.overloaded, "The gateway is shutting down; the answer was cut. Please retry."),
                into: &relay.events)
        } else if now - started >= configuration.totalTimeout {
            relay.outcome = "total timeout"
            relay.translator.fail(
                APIError(
                    .timeout,
                    "The answer took longer than the total timeout (\(configuration.totalTimeout.components.seconds) s); the stream was stopped."
                ),
                into: &relay.events)
        } else if now - relay.lastUpstream >= configuration.idleTimeout {
            relay.outcome = "idle timeout"
            relay.translator.fail(
                APIError(
                    .timeout,
                    "AI Nexus sent nothing for \(configuration.idleTimeout.components.seconds) s; the stream was stopped."
                ),
                into: &relay.events)
        } else if now - relay.lastWrite >= configuration.pingInterval {
            relay.events.append(.ping)
        }
        flush()
        endIfDone()
        if case .streaming = phase { scheduleTick() }
    }

    /// Writes the events translated so far as one buffer, and pauses the upstream read while
    /// the client's socket is full.
    ///
    /// `endFollows`: the caller ends the stream right after, and the end's write sends these
    /// events too (one system call for both). The answer's last events (`message_stop`) are
    /// held the same way until AI Nexus ends its body, which nearly always comes in the same
    /// read; if it does not, the next loop tick sends them.
    private func flush(endFollows: Bool = false) {
        guard let relay, !relay.events.isEmpty else { return }
        guard let handler, !clientGone else {
            relay.events.removeAll(keepingCapacity: true)
            return
        }
        var out = ByteBuffer()
        out.reserveCapacity(512)
        for event in relay.events { event.write(into: &out) }
        relay.events.removeAll(keepingCapacity: true)
        let last = relay.translator.isDone && relay.outcome == "ok" && !relay.upstreamEnded
        handler.sendBody(out, flush: !endFollows && !last)
        if last, !endFollows {
            eventLoop.assumeIsolated().execute { [self] in self.handler?.flush() }
        }
        relay.lastWrite = .now
        if !relay.paused, !handler.isWritable {
            relay.paused = true
            call?.pauseReading()
        }
    }

    /// Ends the stream: its last bytes, its log line and its metrics.
    private func endStream() {
        guard case .streaming = phase, let relay else { return }
        relay.tick?.cancel()
        gateway.metrics.streamEnded()
        let usage = relay.translator.finalUsage
        let total = ContinuousClock.now - started
        gateway.metrics.request(
            model: model, status: 200, stream: true, firstByte: relay.firstByte, total: total, usage: usage,
            retries: retries)
        if !clientGone, let handler { handler.sendEnd() }
        var line = RequestLine(
            requestID: requestID, asked: model, sent: modelSent, stream: true, status: 200, upstreamStatus: 200,
            retries: retries, firstByte: relay.firstByte ?? total, total: total, usage: usage)
        line.outcome = relay.outcome
        gateway.log("request done", line)
        finish()
    }

    // MARK: Client events

    func writabilityChanged(_ isWritable: Bool) {
        guard isWritable, relay?.paused == true else { return }
        relay?.paused = false
        call?.resumeReading()
    }

    /// The gateway is shutting down (Hummingbird asked the connection to quiesce).
    func shutdownBegan() {
        if shutdownSeen == nil { shutdownSeen = .now }
    }

    /// The client's connection closed: stop everything, nobody is left to answer.
    func clientClosed() {
        guard !isFinished else { return }
        clientGone = true
        cancelCall()
        if case .streaming = phase {
            relay?.outcome = "client gone"
            endStream()
            return
        }
        fail(APIError(.api, "The client closed the connection before the answer.", status: 499))
    }

    private var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// The request is over: free its slot and hand the connection back to the channel handler.
    private func finish() {
        phase = .finished
        retryTimer?.cancel()
        retryTimer = nil
        lease = nil
        relay?.tick?.cancel()
        let handler = self.handler
        self.handler = nil
        handler?.responderFinished(keepAlive: keepAlive)
    }
}

/// Where a `MessagesResponder` writes its answer: the channel handler that read the request
/// (`FastMessagesFront`, or `MessagesChannelHandler` behind NIO's HTTP codec). Called on the
/// connection's event loop.
protocol MessagesSink: AnyObject {
    /// Writes the head of a streamed answer (not flushed): `chunked` unless it has a
    /// `content-length`.
    func sendHead(_ head: AnswerHead)
    /// Writes a piece of a streamed answer's body (flushed at once when `flush`).
    func sendBody(_ chunk: ByteBuffer, flush: Bool)
    /// Ends a streamed answer, flushed.
    func sendEnd()
    /// Writes a whole answer, flushed: `head` (which has its `content-length`), then `body`.
    func sendWhole(_ head: AnswerHead, body: ByteBuffer)
    /// Sends what `sendBody(_:flush: false)` left in the channel.
    func flush()
    /// The answer ended (or the client went away): the connection serves what comes next, or
    /// closes unless `keepAlive`.
    func responderFinished(keepAlive: Bool)
    var isWritable: Bool { get }
}
