import AWSEventStream
import AnthropicAPI
import AsyncAlgorithms
import AsyncHTTPClient
import Hummingbird
import Logging
import NIOCore
import Translation

/// Carries an iterator that is used by one task at a time across the hand-over from the
/// request handler to the response body writer.
struct SendableIterator: @unchecked Sendable {
    var base: HTTPClientResponse.Body.AsyncIterator
}

/// An upstream ConverseStream body being read frame by frame.
struct UpstreamStream: Sendable {
    var iterator: SendableIterator
    var reader = EventStreamFrameReader()
    /// Frames decoded ahead of time (the first one, read before answering).
    var pending: [EventStreamMessage] = []

    init(iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.iterator = SendableIterator(base: iterator)
    }

    /// Reads until one frame is decoded. An exception frame, a corrupt frame, or an end of body
    /// before any frame is thrown as the client-facing error.
    mutating func readFirstMessage(client: NexusClient, idleTimeout: Duration) async throws(APIError) {
        while pending.isEmpty {
            let chunk: ByteBuffer?
            do { chunk = try await iterator.base.next() } catch { throw client.mapTransportError(error) }
            guard let chunk else {
                throw APIError(.api, "AI Nexus closed the stream before sending any event.", status: 502)
            }
            reader.append(chunk)
            do {
                while let message = try reader.next() { pending.append(message) }
            } catch {
                throw APIError(.api, "AI Nexus sent a corrupt event stream: \(error)", status: 502)
            }
        }
        if case .failure(let error) = StreamTranslator.classify(pending[0]) { throw error }
    }
}

/// Moves one stream from upstream to the client: decodes frames, translates them, writes each
/// batch of SSE events as soon as it is ready, sends `ping` while upstream is silent, and fails
/// the stream cleanly on a broken, cut or silent upstream.
///
/// Backpressure: the next upstream chunk is only requested after the previous batch was
/// written to the client, so a slow client slows the upstream read. When the client goes away,
/// the write throws, the loop ends and the upstream request is cancelled with it.
struct SSEPump: Sendable {
    struct LogContext: Sendable {
        var model: String
        var sent: String
        var retries: Int
        var started: ContinuousClock.Instant
    }

    var upstream: UpstreamStream
    var translator: StreamTranslator
    let pingInterval: Duration
    let idleTimeout: Duration
    let client: NexusClient
    let logger: Logger
    let logContext: LogContext
    let metrics: GatewayMetrics

    enum Item: Sendable {
        case chunk(ByteBuffer)
        case end
        case tick
    }

    /// Wraps the rest of the upstream body as an async sequence that ends with `.end`.
    struct Remaining: AsyncSequence, Sendable {
        typealias Element = Item
        var iterator: SendableIterator

        struct AsyncIterator: AsyncIteratorProtocol {
            var iterator: SendableIterator
            var ended = false
            mutating func next() async throws -> Item? {
                if ended { return nil }
                if let chunk = try await iterator.base.next() { return .chunk(chunk) }
                ended = true
                return .end
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(iterator: iterator) }
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        var translator = self.translator
        var reader = upstream.reader
        var events: [StreamEvent] = []
        events.reserveCapacity(8)
        var out = ByteBuffer()
        let clock = ContinuousClock()
        var lastUpstream = clock.now
        var lastWrite = clock.now
        var outcome = "ok"

        func flush(_ writer: inout any ResponseBodyWriter) async throws {
            guard !events.isEmpty else { return }
            out.clear()
            for event in events { event.write(into: &out) }
            events.removeAll(keepingCapacity: true)
            try await writer.write(out)
            lastWrite = clock.now
        }

        metrics.streamStarted()
        defer { metrics.streamEnded() }
        for message in upstream.pending { translator.receive(message, into: &events) }
        try await flush(&writer)
        let firstByte = clock.now - logContext.started

        let tickEvery = min(pingInterval, .seconds(1))
        let ticks = AsyncTimerSequence(interval: tickEvery, clock: clock).map { _ in Item.tick }
        do {
            loop: for try await item in merge(Remaining(iterator: upstream.iterator), ticks) {
                switch item {
                case .chunk(let chunk):
                    lastUpstream = clock.now
                    reader.append(chunk)
                    do {
                        while let message = try reader.next() { translator.receive(message, into: &events) }
                    } catch {
                        outcome = "corrupt frame"
                        translator.fail(APIError(.api, "AI Nexus sent a corrupt event stream: \(error)"), into: &events)
                    }
                case .end:
                    if reader.bufferedByteCount > 0 {
                        outcome = "truncated frame"
                        translator.fail(APIError(.api, "AI Nexus ended the stream in the middle of an event."), into: &events)
                    }
                    translator.finish(into: &events)
                case .tick:
                    let now = clock.now
                    if now - lastUpstream >= idleTimeout {
                        outcome = "idle timeout"
                        translator.fail(
                            APIError(.timeout, "AI Nexus sent nothing for \(idleTimeout.components.seconds) s; the stream was stopped."),
                            into: &events)
                    } else if now - lastWrite >= pingInterval {
                        events.append(.ping)
                    }
                }
                try await flush(&writer)
                if translator.isDone { break loop }
            }
        } catch let error as CancellationError {
            // Shutdown past its grace period (or the client left): end with an error event if
            // the connection still takes one.
            outcome = "cancelled"
            translator.fail(APIError(.overloaded, "The gateway is shutting down; the answer was cut."), into: &events)
            try? await flush(&writer)
            throw error
        } catch {
            // The upstream connection broke (or the client went away: then the write below
            // fails too and the handler ends).
            if !translator.isDone {
                outcome = "upstream failed"
                translator.fail(client.mapTransportError(error), into: &events)
                try await flush(&writer)
            } else {
                throw error
            }
        }
        if !translator.isDone {
            translator.finish(into: &events)
            try await flush(&writer)
        }
        let usage = translator.finalUsage
        metrics.request(
            model: logContext.model, status: 200, stream: true, firstByte: firstByte, total: clock.now - logContext.started,
            usage: usage, retries: logContext.retries)
        logger.info(
            "request done",
            metadata: [
                "model.asked": .string(logContext.model), "model.sent": .string(logContext.sent), "stream": "true",
                "status": "200", "outcome": .string(outcome), "retries": .stringConvertible(logContext.retries),
                "latency.ms": .stringConvertible((clock.now - logContext.started).milliseconds),
                "tokens.in": .stringConvertible(usage?.inputTokens ?? 0), "tokens.out": .stringConvertible(usage?.outputTokens ?? 0),
                "tokens.cache_read": .stringConvertible(usage?.cacheReadInputTokens ?? 0),
                "tokens.cache_write": .stringConvertible(usage?.cacheCreationInputTokens ?? 0),
            ])
        try await writer.finish(nil)
    }
}
