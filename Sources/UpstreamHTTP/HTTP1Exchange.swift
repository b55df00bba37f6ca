import NIOCore
import NIOHTTP1
import Synchronization

/// One request and its answer on one pooled connection, shared by the connection's handler (on
/// the event loop) and the task reading the answer (anywhere).
///
/// Backpressure: while a body chunk waits unread, the handler holds the channel's next `read`;
/// the reader releases it when it takes the last buffered chunk. So an upstream never sends
/// faster than the reader consumes, and nothing piles up in memory.
final class HTTP1Exchange: Sendable {
    private struct State {
        var head: HTTP1ResponseHead?
        var headWaiter: CheckedContinuation<HTTP1ResponseHead, any Error>?
        var chunks: [ByteBuffer] = []
        var firstChunk = 0
        var finished = false
        var failure: HTTP1ClientError?
        /// Resumed with the next chunk, or nil at the end.
        var bodyWaiter: CheckedContinuation<ByteBuffer?, any Error>?
        var readHeld = false
        /// Any byte of the answer arrived (a failure before that may be retried on a new connection).
        var answered = false
        var timer: Scheduled<Void>?

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

    func receive(head: HTTP1ResponseHead) {
        let waiter = state.withLock { s -> CheckedContinuation<HTTP1ResponseHead, any Error>? in
            s.answered = true
            s.head = head
            defer { s.headWaiter = nil }
            return s.headWaiter
        }
        waiter?.resume(returning: head)
    }

    func receive(body: ByteBuffer) {
        let waiter = state.withLock { s -> CheckedContinuation<ByteBuffer?, any Error>? in
            guard let waiter = s.bodyWaiter else {
                s.chunks.append(body)
                return nil
            }
            s.bodyWaiter = nil
            return waiter
        }
        waiter?.resume(returning: body)
    }

    func receiveEnd() {
        let (waiter, timer) = state.withLock { s in
            s.finished = true
            defer {
                s.bodyWaiter = nil
                s.timer = nil
            }
            return (s.bodyWaiter, s.timer)
        }
        timer?.cancel()
        waiter?.resume(returning: nil)
    }

    /// Fails whatever the reader waits for, now or next. Returns false when the answer had
    /// already ended (nothing failed).
    @discardableResult
    func fail(_ error: HTTP1ClientError) -> Bool {
        typealias Woken = (
            head: CheckedContinuation<HTTP1ResponseHead, any Error>?,
            body: CheckedContinuation<ByteBuffer?, any Error>?,
            timer: Scheduled<Void>?
        )
        let woken = state.withLock { s -> Woken? in
            guard !s.finished, s.failure == nil else { return nil }
            s.failure = error
            defer {
                s.headWaiter = nil
                s.bodyWaiter = nil
                s.timer = nil
            }
            return (s.headWaiter, s.bodyWaiter, s.timer)
        }
        guard let woken else { return false }
        woken.timer?.cancel()
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

    func head() async throws -> HTTP1ResponseHead {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<HTTP1ResponseHead, any Error>) in
                let ready = state.withLock { s -> Result<HTTP1ResponseHead, HTTP1ClientError>? in
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
        enum Ready {
            case chunk(ByteBuffer?, releaseRead: Bool)
            case failed(HTTP1ClientError)
            case wait
        }
        func poll(_ s: inout State) -> Ready {
            if s.hasBufferedChunk {
                let chunk = s.takeChunk()
                let release = s.readHeld && !s.hasBufferedChunk
                if release { s.readHeld = false }
                return .chunk(chunk, releaseRead: release)
            }
            if s.finished { return .chunk(nil, releaseRead: false) }
            if let failure = s.failure { return .failed(failure) }
            return .wait
        }
        // Fast path: the answer is already there.
        switch state.withLock({ poll(&$0) }) {
        case .chunk(let chunk, let releaseRead):
            if releaseRead { channel.read() }
            return chunk
        case .failed(let error): throw error
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                // A chunk may have arrived (and the read been held) since the first look.
                let (ready, releaseRead) = state.withLock { s -> (Result<ByteBuffer?, HTTP1ClientError>?, Bool) in
                    switch poll(&s) {
                    case .chunk(let chunk, let releaseRead): return (.success(chunk), releaseRead)
                    case .failed(let error): return (.failure(error), false)
                    case .wait:
                        s.bodyWaiter = continuation
                        return (nil, false)
                    }
                }
                if releaseRead { channel.read() }
                if let ready { continuation.resume(with: ready) }
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
