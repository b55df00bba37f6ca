import AnthropicAPI
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NexusJSON
import Providers
import UpstreamHTTP

/// One `POST /v1/messages`, answered on its connection's event loop, from the collected body
/// to the last byte of the answer: the exchange driver.
///
/// The steps: authenticate, take a concurrency slot, parse, find the model's route
/// (`RouteTable`), then for each attempt have the target's provider prepare its request
/// (`Provider.prepare`; URL media fetched first for providers that need it, the only step that
/// leaves the loop) and send it on a connection of the same loop. Which target an attempt goes
/// to, and what a failure leads to (a retry, a fallback to the route's next target, or the
/// answer), is decided by `ExchangeStateMachine`; a provider may first repair its request once
/// (a refused beta). A stream is relayed as the provider's `AnswerStream` translates it, with
/// `ping` while the upstream is silent, idle and total timeouts, an `error` event when it
/// breaks, and backpressure both ways: the upstream read pauses while the client's socket is
/// full.
///
/// Every request ends with one log line and one metric, however it ends, written from one place
/// each (`answer`, `fail`, `endStream`).
///
/// Not thread-safe by design: everything runs on `eventLoop`, driven by the channel handler
/// (requests, client events) and by `HTTP1Call` (upstream events).
final class MessagesResponder: HTTP1ResponseDelegate {
    private enum Phase {
        /// Parsing, preparing, fetching media, or waiting to retry.
        case preparing
        /// Waiting for the upstream answer's head.
        case awaitingHead
        /// Reading a whole answer, or an error answer of a stream.
        case collecting(status: HTTPResponseStatus, headers: HTTP1Fields, limit: Int)
        /// A stream: reading up to its first event, so that an error sent first is still a
        /// plain (retryable) error rather than a 200 with an `error` event.
        case opening(any AnswerStream)
        /// Relaying the stream to the client.
        case streaming
        case finished
    }

    /// A stream being relayed, updated in place on every chunk.
    private final class Relay {
        let stream: any AnswerStream
        var lastUpstream: ContinuousClock.Instant
        var lastWrite: ContinuousClock.Instant
        var firstByte: Duration?
        var outcome = "ok"
        var upstreamEnded = false
        var paused = false
        var tick: Scheduled<Void>?

        init(stream: any AnswerStream, now: ContinuousClock.Instant) {
            self.stream = stream
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
    private var bodyBytes = 0

    private var keepAlive = true
    private var version = HTTPVersion.http1_1
    private var lease: ConcurrencyLimiter.Lease?
    private var request: ClientRequest?
    private var route: Route?
    private var machine: ExchangeStateMachine?
    /// Each target's prepared request, made on its first attempt: the first target's apart, so
    /// that a request that needs no other costs no table.
    private var preparedFirst: (any UpstreamCall)?
    private var preparedOthers: [Int: any UpstreamCall] = [:]
    /// The prepared request of the attempt in flight.
    private var current: (any UpstreamCall)?
    /// Targets that refused a thinking signature: they get the request without any.
    private var refusedSignatures: Set<Int> = []
    /// The target whose view of thinking `request.json` holds (see `prepareThinking`).
    private var thinkingView: Int?
    private var call: HTTP1Call?
    private var retryTimer: Scheduled<Void>?
    private var phase = Phase.preparing
    private var collected = ByteBuffer()
    private var relay: Relay?
    private var shutdownSeen: ContinuousClock.Instant?
    private var clientGone = false

    init(gateway: Gateway, sink: any MessagesSink, eventLoop: any EventLoop) {
        self.gateway = gateway
        self.handler = sink
        self.eventLoop = eventLoop
    }

    /// Attempts after the first: retries after a backoff and fallbacks.
    private var retries: Int { (machine?.retries ?? 0) + (machine?.fallbacks ?? 0) }
    private var fallbacks: Int { machine?.fallbacks ?? 0 }
    /// The target of the attempt in flight (or of the last one made).
    private var target: RouteTarget?
    private var upstreamName: String { current == nil ? "none" : (target?.upstream ?? "none") }

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
            let request = try ClientRequest(
                body: body, json: json, betas: gateway.betas(head), anthropicVersion: head.anthropicVersion)
            model = request.model
            isStream = request.stream
            self.request = request
            let route = try gateway.routes.route(for: request.model)
            self.route = route
            machine = ExchangeStateMachine(
                targetCount: route.targets.count, limits: gateway.limits, now: started, isAvailable: isAvailable)
            sendAttempt()
        } catch {
            fail(error)
        }
    }

    /// Whether a target is not cooling down; a lone target always is (nothing else to try).
    private func isAvailable(_ index: Int) -> Bool {
        guard let route, route.targets.count > 1 else { return true }
        return route.targets[index].health.allows(now: .now)
    }

    /// Sends an attempt to the state machine's target, preparing its request first if needed.
    private func sendAttempt() {
        guard let machine, let route, let request, !clientGone else { return }
        let index = machine.target
        let target = route.targets[index]
        self.target = target
        phase = .preparing
        if prepared(index) == nil {
            if route.spansUpstreams, thinkingView != index {
                prepareThinking(for: index, of: route, request)
                thinkingView = index
            }
            do throws(APIError) {
                if target.provider.needsResolvedMedia {
                    if try request.containsMessage(where: { $0.content.contains(where: MediaResolver.hasURL) }) {
                        resolveMedia(try request.takeParsed())
                        return
                    }
                }
                let call = try target.provider.prepare(request, model: target.model)
                if index == 0 { preparedFirst = call } else { preparedOthers[index] = call }
                if gateway.logger.logLevel <= .debug { logPrepared(call, upstream: target.upstream) }
                for note in call.notes where note.hasPrefix("dropped server tool") {
                    logger.warning("\(note): AI Nexus cannot run it (--drop-unsupported-tools)")
                }
            } catch {
                self.machine?.finished()
                fail(error)
                return
            }
        }
        let call = prepared(index)!
        current = call
        modelSent = call.modelSent
        phase = .awaitingHead
        let timeout = machine.attemptTimeout(now: .now)
        self.call = gateway.client.upstream.start(
            call.request, on: eventLoop, deadline: .now() + .nanoseconds(timeout.nanoseconds), delegate: self)
    }

    private func prepared(_ index: Int) -> (any UpstreamCall)? {
        index == 0 ? preparedFirst : preparedOthers[index]
    }

    /// Gives target `index` its view of the request's signed thinking (see
    /// `ClientRequest.useThinking(for:of:ledger:refusedAll:)`), and says what was taken out.
    private func prepareThinking(for index: Int, of route: Route, _ request: ClientRequest) {
        let refusedAll = refusedSignatures.contains(index)
        guard
            let report = request.useThinking(for: index, of: route, ledger: gateway.signatures, refusedAll: refusedAll)
        else { return }
        let upstream = route.targets[index].upstream
        let why =
            refusedAll ? "upstream '\(upstream)' refused a thinking signature" : "sending to upstream '\(upstream)'"
        logger.notice("\(why): \(report)", metadata: ["upstream": .string(upstream)])
    }

    /// Fetches URL images and documents off the loop, then carries on on it.
    private func resolveMedia(_ parsed: MessagesRequest) {
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
            loop.execute { this.value.mediaResolved(result) }
        }
    }

    private func mediaResolved(_ result: Result<MessagesRequest, APIError>) {
        guard case .preparing = phase else { return }  // the client went away meanwhile
        switch result {
        case .success(let resolved):
            request?.setParsed(resolved)
            sendAttempt()
        case .failure(let error):
            machine?.finished()
            fail(error)
        }
    }

    private func logPrepared(_ call: any UpstreamCall, upstream: String) {
        let lines = call.debugLines
        var metadata: Logger.Metadata = [
            "model.asked": .string(model), "upstream": .string(upstream), "body.bytes": .stringConvertible(bodyBytes),
        ]
        for (key, value) in lines.prepared.fields { metadata[key] = .string(value) }
        logger.debug("\(lines.prepared.message)", metadata: metadata)
        if gateway.configuration.logBodies {
            logger.debug("\(lines.bodyMessage)", metadata: ["body": .string(lines.body())])
        }
    }

    /// An attempt failed before anything reached the client: repair it, retry it, fall back to
    /// the next target, or answer with the error.
    private func attemptFailed(_ error: APIError) {
        call = nil
        phase = .preparing
        guard let target, let current, var machine = self.machine else { return fail(error) }
        if let note = current.repair(after: error) {
            logger.warning("\(note.message)", metadata: note.fields.mapValues { .string($0) })
            if gateway.logger.logLevel <= .debug { logPrepared(current, upstream: target.upstream) }
            sendAttempt()
            return
        }
        // A refused signature on a route that spans upstreams may be another upstream's the
        // ledger does not know (the gateway restarted): once, without signed thinking. On a route
        // of one upstream it can only be an altered block, refused as the upstream refuses it.
        if let route, route.spansUpstreams, let index = self.machine?.target, !refusedSignatures.contains(index),
            error.kind == .invalidRequest, ThinkingScrubber.isSignatureError(error.message)
        {
            refusedSignatures.insert(index)
            thinkingView = nil
            if index == 0 { preparedFirst = nil } else { preparedOthers[index] = nil }
            sendAttempt()
            return
        }
        let now = ContinuousClock.now
        if ExchangeStateMachine.classify(error) == .terminal {
            if upstreamStatus != 0 { target.health.answered() }
        } else {
            target.health.failed(error, now: now)
        }
        let next = machine.attemptFailed(error, now: now, random: .random(in: 0...1), isAvailable: isAvailable)
        self.machine = machine
        switch next {
        case .send(let index):
            let to = route!.targets[index]
            gateway.metrics.fallback(from: target.upstream, to: to.upstream)
            logger.warning(
                "falling back to the next target",
                metadata: [
                    "from": .string("\(target.upstream):\(target.model.id)"),
                    "to": .string("\(to.upstream):\(to.model.id)"), "reason": .string(error.description),
                ])
            sendAttempt()
        case .wait(let wait, _):
            logger.warning(
                "retrying upstream",
                metadata: [
                    "attempt": .stringConvertible(machine.pass - 1), "reason": .string(error.description),
                    "wait": .stringConvertible(wait), "upstream": .string(target.upstream),
                ])
            retryTimer = eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(wait.nanoseconds)) { [self] in
                retryTimer = nil
                guard self.machine?.waited() != nil else { return }
                sendAttempt()
            }
        case .fail(let error):
            fail(error)
        case .none:
            break
        }
    }

    // MARK: Upstream events

    func upstreamHead(_ head: HTTP1ResponseHead) {
        guard case .awaitingHead = phase, let current else { return }
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
        do throws(APIError) {
            phase = .opening(try current.openStream(headers: head.headers, context: context))
        } catch {
            // A proxy's page is no stream: the same proxy would answer the same to a retry.
            cancelCall()
            machine?.finished()
            fail(error)
        }
    }

    private var context: AnswerContext { AnswerContext(model: model, requestID: requestID) }

    func upstreamBody(_ chunk: ByteBuffer) {
        switch phase {
        case .collecting(let status, let headers, let limit):
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                cancelCall()
                if status == .ok {
                    attemptFailed(transportFailure(HTTP1ClientError.bodyTooLarge(limit: limit)))
                } else {
                    attemptFailed(current!.failure(status: status, headers: headers, body: nil))
                }
                return
            }
            if collected.readableBytes == 0 {
                collected = chunk
            } else {
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        case .opening(let stream):
            switch stream.open(chunk) {
            case .needMore:
                return
            case .failed(let error):
                cancelCall()
                attemptFailed(error)
            case .ready:
                beginStream(stream)
                relayBuffered(nil)
            }
        case .streaming:
            relay?.lastUpstream = .now
            relayBuffered(chunk)
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
                attemptFailed(current!.failure(status: status, headers: headers, body: collected))
            }
        case .opening:
            attemptFailed(
                APIError(
                    .api, "\(current?.upstreamName ?? "The upstream") closed the stream before sending any event.",
                    status: 502))
        case .streaming:
            guard let relay else { return }
            relay.upstreamEnded = true
            if !relay.stream.isDone {
                write { relay.stream.end(into: &$0) }
                if let problem = relay.stream.problem { relay.outcome = problem }
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
            attemptFailed(transportFailure(error))
        case .collecting(let status, let headers, _):
            if status == .ok {
                attemptFailed(transportFailure(error))
            } else {
                attemptFailed(current!.failure(status: status, headers: headers, body: nil))
            }
        case .streaming:
            if let relay, !relay.stream.isDone {
                relay.outcome = "upstream failed"
                write { relay.stream.fail(transportFailure(error), into: &$0) }
            }
            flush(endFollows: true)
            endStream()
        case .preparing, .finished:
            break
        }
    }

    private func transportFailure(_ error: any Error) -> APIError {
        current?.transportFailure(error) ?? APIError(.api, "The upstream failed: \(error)", status: 502)
    }

    private func cancelCall() {
        call?.cancel()
        call = nil
    }

    // MARK: Non-streaming answer

    /// Translates the whole answer `upstreamBody` (whose head had `upstreamHeaders`) and sends it.
    private func answer(_ upstreamBody: ByteBuffer, upstreamHeaders: HTTP1Fields) {
        guard let current else { return }
        let body: ByteBuffer
        let usage: Usage?
        do throws(APIError) {
            (body, usage) = try current.answer(upstreamBody, headers: upstreamHeaders, context: context)
        } catch {
            machine?.finished()
            fail(error)
            return
        }
        machine?.finished()
        target?.health.answered()
        var head = AnswerHead(version: version, status: .ok)
        head.add("content-type", "application/json")
        head.add("request-id", requestID)
        head.add("x-nexus-retries", retries)
        head.add("x-nexus-upstream", upstreamName)
        record(status: 200, usage: usage, firstByte: nil) { sendWhole(head, body) }
    }

    /// Answers with `error`; the request is over.
    private func fail(_ error: APIError) {
        guard !isFinished else { return }
        machine?.finished()
        if !clientGone, [.rateLimit, .overloaded, .api, .timeout].contains(error.kind) {
            gateway.metrics.upstreamError(error)
        }
        let (response, body) = error.httpResponse(requestID: requestID)
        var head = AnswerHead(version: version, HTTPResponseHead(response))
        head.add("x-nexus-retries", retries)
        if current != nil { head.add("x-nexus-upstream", upstreamName) }
        record(status: error.status, usage: nil, firstByte: nil, error: error) { sendWhole(head, body) }
    }

    /// The one record of a finished request, written from here only (the usage ledger will
    /// take it here too): its metrics before `send` puts the last bytes on the wire (a client
    /// reading /metrics right after sees them), its log line after (the line costs more than the
    /// rest of the step). Then the request is over.
    /// - Parameter firstByte: a stream's time to its first byte (nil: the answer was whole).
    private func record(
        status: Int, usage: Usage?, firstByte: Duration?, outcome: String? = nil, error: APIError? = nil,
        send: () -> Void
    ) {
        let total = ContinuousClock.now - started
        gateway.metrics.request(
            model: model, status: status, stream: isStream, firstByte: firstByte, total: total, usage: usage,
            retries: retries, upstream: upstreamName)
        send()
        var line = RequestLine(
            requestID: requestID, asked: model, sent: modelSent, stream: isStream, status: status,
            upstreamStatus: error == nil ? 200 : upstreamStatus, retries: retries, firstByte: firstByte ?? total,
            total: total, usage: usage)
        line.outcome = outcome
        line.error = error.map { ($0.kind.rawValue, $0.message) }
        line.upstream = upstreamName
        line.fallbacks = fallbacks
        gateway.log(error == nil ? "request done" : "request failed", line)
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

    private func beginStream(_ stream: any AnswerStream) {
        guard let handler else { return }
        call?.clearDeadline()  // from here on, silences are the relay's idle timeout
        machine?.committed()
        target?.health.answered()
        // An HTTP/1.0 client cannot read chunks: its stream ends with the connection.
        if isHTTP10 { keepAlive = false }
        var head = AnswerHead(version: version, status: .ok)
        head.add("content-type", "text/event-stream; charset=utf-8")
        head.add("cache-control", "no-cache")
        head.add("request-id", requestID)
        head.add("x-nexus-retries", retries)
        head.add("x-nexus-upstream", upstreamName)
        head.add("date", PerSecondText.httpDate.now())
        addConnectionHeader(&head)
        handler.sendHead(head)
        phase = .streaming
        gateway.metrics.streamStarted()
        let relay = Relay(stream: stream, now: .now)
        self.relay = relay
        write { stream.relayFirst(into: &$0) }
        flush()
        relay.firstByte = ContinuousClock.now - started
        scheduleTick()
    }

    /// The SSE bytes not yet written to the client.
    private var out = ByteBuffer()

    /// Lets the stream append to the bytes waiting for the next flush.
    private func write(_ body: (inout ByteBuffer) -> Void) {
        if out.capacity == 0 { out.reserveCapacity(512) }
        body(&out)
    }

    /// Translates and writes `chunk` and every whole event buffered before it.
    private func relayBuffered(_ chunk: ByteBuffer?) {
        guard let relay else { return }
        write { relay.stream.relay(chunk, into: &$0) }
        if let problem = relay.stream.problem, relay.outcome == "ok" { relay.outcome = problem }
        flush()
        endIfDone()
    }

    /// After the last event the upstream ends the body at once: that end is awaited, so the
    /// connection goes back to the pool; a failed stream is cut at once.
    private func endIfDone() {
        guard let relay, relay.stream.isDone else { return }
        if relay.upstreamEnded || relay.outcome != "ok" {
            cancelCall()
            endStream()
        }
    }

    private func scheduleTick() {
        relay?.tick = eventLoop.assumeIsolated().scheduleTask(
            in: .nanoseconds(gateway.limits.tickInterval.nanoseconds)
        ) { [self] in
            tick()
        }
    }

    /// Runs every tick interval while streaming: shutdown, timeouts, and `ping` during silences.
    private func tick() {
        guard case .streaming = phase, let relay, let machine else { return }
        if relay.stream.isDone {
            // The answer is complete but the upstream did not end the body within a tick: drop
            // the connection rather than pool it.
            cancelCall()
            endStream()
            return
        }
        switch machine.tick(
            now: .now, lastUpstream: relay.lastUpstream, lastWrite: relay.lastWrite, shutdownSeen: shutdownSeen,
            upstream: current?.upstreamName ?? "The upstream")
        {
        case .none:
            break
        case .ping:
            write { StreamEvent.ping.write(into: &$0) }
        case .fail(let outcome, let error):
            relay.outcome = outcome
            write { relay.stream.fail(error, into: &$0) }
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
    /// held the same way until the upstream ends its body, which nearly always comes in the same
    /// read; if it does not, the next loop tick sends them.
    private func flush(endFollows: Bool = false) {
        guard let relay, out.readableBytes > 0 else { return }
        guard let handler, !clientGone else {
            out.clear()
            return
        }
        let chunk = out
        out = ByteBuffer()
        let last = relay.stream.isDone && relay.outcome == "ok" && !relay.upstreamEnded
        handler.sendBody(chunk, flush: !endFollows && !last)
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
        machine?.finished()
        gateway.metrics.streamEnded()
        record(
            status: 200, usage: relay.stream.usage, firstByte: relay.firstByte ?? (ContinuousClock.now - started),
            outcome: relay.outcome
        ) {
            if !clientGone, let handler { handler.sendEnd() }
        }
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
