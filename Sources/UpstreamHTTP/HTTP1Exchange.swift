import NIOCore
import NIOHTTP1
import Synchronization

/// What a body read yields.
public enum HTTP1BodyEvent: Sendable {
    case chunk(ByteBuffer)
    /// The answer ended.
    case end
    /// Nothing arrived by the time the reader asked to be woken at.
    case tick
}

/// One request and its answer on one pooled connection, shared by the connection's handler (on
/// the event loop) and the task reading the answer (anywhere).
///
/// Backpressure: while a body chunk waits unread, the handler holds the channel's next `read`;
/// the reader releases it when it takes the last buffered chunk. So an upstream never sends
/// faster than the reader consumes, and nothing piles up in memory.
final class HTTP1Exchange: Sendable {
    private struct State {
        var head: HTTPResponseHead?
        var headWaiter: CheckedContinuation<HTTPResponseHead, any Error>?
        var chunks: [ByteBuffer] = []
        var firstChunk = 0
        var finished = false
        var failure: HTTP1ClientError?
        var bodyWaiter: CheckedContinuation<HTTP1BodyEvent, any Error>?
        var readHeld = false
        /// Any byte of the answer arrived (a failure before that may be retried on a new connection).
        var answered = false
        var timer: Scheduled<Void>?
        /// Wakes a waiting reader with `.tick`.
        var tickTimer: Scheduled<Void>?

        var hasBufferedChunk: Bool { firstChunk < chunks.count }

        mutating func takeChunk() -> ByteBuffer {
            let chunk = chunks[firstChunk]
            firstChunk += 1
            if firstChunk == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                firstChunk = 0
            }
            return chunk
        }
    }

    let channel: any Channel
    private let state = Mutex(State())

    init(channel: any Channel) {
        self.channel = channel
    }

    // MARK: From the handler (event loop)

    func receive(head: HTTPResponseHead) {
        let waiter = state.withLock { s -> CheckedContinuation<HTTPResponseHead, any Error>? in
            s.answered = true
            s.head = head
            defer { s.headWaiter = nil }
            return s.headWaiter
        }
        waiter?.resume(returning: head)
    }

    func receive(body: ByteBuffer) {
        let (waiter, tick) = state.withLock {
            s -> (CheckedContinuation<HTTP1BodyEvent, any Error>?, Scheduled<Void>?) in
            guard let waiter = s.bodyWaiter else {
                s.chunks.append(body)
                return (nil, nil)
            }
            defer {
                s.bodyWaiter = nil
                s.tickTimer = nil
            }
            return (waiter, s.tickTimer)
        }
        tick?.cancel()
        waiter?.resume(returning: .chunk(body))
    }

    func receiveEnd() {
        let (waiter, timer, tick) = state.withLock { s in
            s.finished = true
            defer {
                s.bodyWaiter = nil
                s.timer = nil
                s.tickTimer = nil
            }
            return (s.bodyWaiter, s.timer, s.tickTimer)
        }
        timer?.cancel()
        tick?.cancel()
        waiter?.resume(returning: .end)
    }

    /// Fails whatever the reader waits for, now or next. Returns false when the answer had
    /// already ended (nothing failed).
    @discardableResult
    func fail(_ error: HTTP1ClientError) -> Bool {
        typealias Woken = (
            head: CheckedContinuation<HTTPResponseHead, any Error>?,
            body: CheckedContinuation<HTTP1BodyEvent, any Error>?,
            timer: Scheduled<Void>?, tick: Scheduled<Void>?
        )
        let woken = state.withLock { s -> Woken? in
            guard !s.finished, s.failure == nil else { return nil }
            s.failure = error
            defer {
                s.headWaiter = nil
                s.bodyWaiter = nil
                s.timer = nil
                s.tickTimer = nil
            }
            return (s.headWaiter, s.bodyWaiter, s.timer, s.tickTimer)
        }
        guard let woken else { return false }
        woken.timer?.cancel()
        woken.tick?.cancel()
        woken.head?.resume(throwing: error)
        woken.body?.resume(throwing: error)
        return true
    }

    /// True (and remembered) when a chunk still waits for the reader: the channel's read is
    /// held until the reader takes it.
    func holdRead() -> Bool {
        state.withLock { s in
            guard s.hasBufferedChunk, !s.finished, s.failure == nil else { return false }
            s.readHeld = true
            return true
        }
    }

    var answered: Bool { state.withLock { $0.answered } }

    // MARK: From the reader

    /// Fails the exchange and closes its connection when the answer has not ended by `deadline`.
    func setDeadline(_ deadline: NIODeadline) {
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) { [self] in
            if fail(.deadlineExceeded) { channel.close(promise: nil) }
        }
        let previous = state.withLock { s -> Scheduled<Void>? in
            defer { s.timer = timer }
            return s.timer
        }
        previous?.cancel()
    }

    /// Disarms the deadline set by `setDeadline`.
    func clearDeadline() {
        state.withLock { s -> Scheduled<Void>? in
            defer { s.timer = nil }
            return s.timer
        }?.cancel()
    }

    func head() async throws -> HTTPResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<HTTPResponseHead, any Error>) in
                let ready = state.withLock { s -> Result<HTTPResponseHead, HTTP1ClientError>? in
                    if let head = s.head { return .success(head) }
                    if let failure = s.failure { return .failure(failure) }
                    s.headWaiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            abandon()
        }
    }

    /// The next body chunk, or nil at the end of the answer.
    func next() async throws -> ByteBuffer? {
        switch try await nextEvent(tickAt: nil) {
        case .chunk(let chunk): chunk
        case .end, .tick: nil
        }
    }

    /// The next body chunk, the end, or `.tick` when nothing arrived by `tickAt`.
    func nextEvent(tickAt: NIODeadline?) async throws -> HTTP1BodyEvent {
        enum Ready {
            case event(HTTP1BodyEvent, releaseRead: Bool)
            case failed(HTTP1ClientError)
            case wait
        }
        func poll(_ s: inout State) -> Ready {
            if s.hasBufferedChunk {
                let chunk = s.takeChunk()
                let release = s.readHeld && !s.hasBufferedChunk
                if release { s.readHeld = false }
                return .event(.chunk(chunk), releaseRead: release)
            }
            if s.finished { return .event(.end, releaseRead: false) }
            if let failure = s.failure { return .failed(failure) }
            return .wait
        }
        // Fast path: the answer is already there.
        switch state.withLock({ poll(&$0) }) {
        case .event(let event, let releaseRead):
            if releaseRead { channel.read() }
            return event
        case .failed(let error): throw error
        case .wait: break
        }
        if let tickAt, tickAt <= .now() { return .tick }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<HTTP1BodyEvent, any Error>) in
                // A chunk may have arrived (and the read been held) since the first look.
                let (ready, releaseRead) = state.withLock { s -> (Result<HTTP1BodyEvent, HTTP1ClientError>?, Bool) in
                    switch poll(&s) {
                    case .event(let event, let releaseRead): return (.success(event), releaseRead)
                    case .failed(let error): return (.failure(error), false)
                    case .wait:
                        s.bodyWaiter = continuation
                        return (nil, false)
                    }
                }
                if releaseRead { channel.read() }
                if let ready {
                    continuation.resume(with: ready)
                } else if let tickAt {
                    let tick = channel.eventLoop.scheduleTask(deadline: tickAt) { [self] in
                        let waiter = state.withLock { s -> CheckedContinuation<HTTP1BodyEvent, any Error>? in
                            defer { s.bodyWaiter = nil }
                            return s.bodyWaiter
                        }
                        waiter?.resume(returning: .tick)
                    }
                    state.withLock { $0.tickTimer = tick }
                }
            }
        } onCancel: {
            abandon()
        }
    }

    /// The reader is gone before the end: the connection cannot be reused, close it.
    func abandon() {
        if fail(.cancelled) { channel.close(promise: nil) }
    }
}
extension HTTP1Exchange: HTTP1ExchangeSink {}
