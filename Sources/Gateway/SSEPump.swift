import AWSEventStream
import AnthropicAPI
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Translation
import UpstreamHTTP

/// An upstream ConverseStream body being read frame by frame.
struct UpstreamStream: Sendable {
    var iterator: HTTP1ResponseBody.AsyncIterator
    var reader = EventStreamFrameReader()
    /// Frames decoded ahead of time (the first one, read before answering).
    var pending: [EventStreamMessage] = []

    init(iterator: HTTP1ResponseBody.AsyncIterator) {
        self.iterator = iterator
    }

    /// Reads until one frame is decoded. An exception frame, a corrupt frame, or an end of body
    /// before any frame is thrown as the client-facing error.
    mutating func readFirstMessage(client: NexusClient) async throws(APIError) {
        while pending.isEmpty {
            let chunk: ByteBuffer?
            do { chunk = try await iterator.next() } catch { throw client.mapTransportError(error) }
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
        var requestID: String
        var model: String
        var sent: String
        var retries: Int
        var started: ContinuousClock.Instant
    }

    var upstream: UpstreamStream
    var translator: StreamTranslator
    let pingInterval: Duration
    let idleTimeout: Duration
    /// Longest the whole request may take (from `logContext.started`).
    let totalTimeout: Duration
    /// How long a stream may go on once the gateway is shutting down (SIGTERM/SIGINT).
    let shutdownGrace: Duration
    let client: NexusClient
    let logger: Logger
    let logContext: LogContext
    let metrics: GatewayMetrics

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
        /// When this stream first saw the gateway shutting down.
        var shutdownSeen: ContinuousClock.Instant?

        /// Set when a write to the client failed: the client is gone, nobody to tell.
        var writeFailed = false
        func flush(_ writer: inout any ResponseBodyWriter) async throws {
            guard !events.isEmpty else { return }
            out.clear()
            for event in events { event.write(into: &out) }
            events.removeAll(keepingCapacity: true)
            do {
                try await writer.write(out)
            } catch {
                writeFailed = true
                throw error
            }
            lastWrite = clock.now
        }

        metrics.streamStarted()
        defer { metrics.streamEnded() }
        var firstByte: Duration?
        var thrown: (any Error)?
        do {
            for message in upstream.pending { translator.receive(message, into: &events) }
            try await flush(&writer)
            firstByte = clock.now - logContext.started

            // One task relays the body and keeps the timers: the read wakes up with `.tick`
            // when nothing arrived for `tickEvery`, and a tick is also run between chunks once
            // due, so timeouts and shutdown are checked however busy the stream is.
            let tickEvery = min(pingInterval, .seconds(1))
            let tickAmount = TimeAmount.nanoseconds(tickEvery.nanoseconds)
            var nextTick = NIODeadline.now() + tickAmount
            var iterator = upstream.iterator
            // However the relay ends, an upstream answer not read to its end is cut at once (the
            // pump itself may live on in the response until Hummingbird lets go of it).
            defer { iterator.cancel() }
            var relayed = 0
            do {
                var upstreamEnded = false
                loop: while true {
                    let event = try await iterator.next(tickAt: nextTick)
                    if translator.isDone {
                        // The answer is complete and only the end of the upstream body was
                        // awaited (below): here it is, or a tick says it is late (then the
                        // connection is dropped instead of pooled).
                        break loop
                    }
                    switch event {
                    case .chunk(let chunk):
                        lastUpstream = clock.now
                        reader.append(chunk)
                        do {
                            while let message = try reader.next() { translator.receive(message, into: &events) }
                        } catch {
                            outcome = "corrupt frame"
                            translator.fail(
                                APIError(.api, "AI Nexus sent a corrupt event stream: \(error)"), into: &events)
                        }
                    case .end:
                        upstreamEnded = true
                        if reader.bufferedByteCount > 0 {
                            outcome = "truncated frame"
                            translator.fail(
                                APIError(.api, "AI Nexus ended the stream in the middle of an event."), into: &events)
                        }
                        translator.finish(into: &events)
                    case .tick:
                        break
                    }
                    if !translator.isDone, NIODeadline.now() >= nextTick {
                        nextTick = NIODeadline.now() + tickAmount
                        let now = clock.now
                        if shutdownSeen == nil, Task.isShuttingDownGracefully { shutdownSeen = now }
                        // Past the grace period the service group cancels this task, and a
                        // cancelled task can no longer write: end the stream with an error event
                        // on the last tick before that, while the client can still be told. The
                        // shutdown began at most one tick before it was seen.
                        if let seen = shutdownSeen, now - seen + tickEvery * 2 + .milliseconds(250) >= shutdownGrace {
                            outcome = "shutdown"
                            translator.fail(
                                APIError(
                                    .overloaded, "The gateway is shutting down; the answer was cut. Please retry."),
                                into: &events)
                        } else if now - logContext.started >= totalTimeout {
                            outcome = "total timeout"
                            let seconds = totalTimeout.components.seconds
                            translator.fail(
                                APIError(
                                    .timeout,
                                    "The answer took longer than the total timeout (\(seconds) s); the stream was stopped."
                                ),
                                into: &events)
                        } else if now - lastUpstream >= idleTimeout {
                            outcome = "idle timeout"
                            translator.fail(
                                APIError(
                                    .timeout,
                                    "AI Nexus sent nothing for \(idleTimeout.components.seconds) s; the stream was stopped."
                                ),
                                into: &events)
                        } else if now - lastWrite >= pingInterval {
                            events.append(.ping)
                        }
                    }
                    try await flush(&writer)
                    // When both the upstream and the client keep up, neither read nor write
                    // suspends: give the thread (an event loop, with NIO as the global executor)
                    // to its other connections now and then.
                    relayed &+= 1
                    if relayed % 32 == 0 { await Task.yield() }
                    // After the last event AI Nexus ends the body at once: read that end too, so
                    // the connection goes back to the pool rather than being cut.
                    if translator.isDone, upstreamEnded || outcome != "ok" { break loop }
                }
            } catch let error as CancellationError {
                // Shutdown past its grace period: end with an error event if the connection
                // still takes one.
                outcome = "cancelled"
                translator.fail(
                    APIError(.overloaded, "The gateway is shutting down; the answer was cut."), into: &events)
                try? await flush(&writer)
                throw error
            } catch  where !writeFailed && !translator.isDone {
                // The upstream connection broke.
                outcome = "upstream failed"
                translator.fail(client.mapTransportError(error), into: &events)
                try await flush(&writer)
            }
            if !translator.isDone {
                translator.finish(into: &events)
                try await flush(&writer)
            }
        } catch {
            thrown = error
            if outcome == "ok" { outcome = writeFailed ? "client gone" : "failed" }
        }
        // One line and one metric per request, however the stream ended.
        let usage = translator.finalUsage
        let total = clock.now - logContext.started
        metrics.request(
            model: logContext.model, status: 200, stream: true, firstByte: firstByte, total: total, usage: usage,
            retries: logContext.retries)
        var line = Gateway.requestLine(
            requestID: logContext.requestID, asked: logContext.model, sent: logContext.sent, stream: true, status: 200,
            upstreamStatus: 200, retries: logContext.retries, firstByte: firstByte ?? total, total: total, usage: usage)
        line["outcome"] = .string(outcome)
        logger.info("request done", metadata: line)
        if let thrown { throw thrown }
        try await writer.finish(nil)
    }
}
