import NIOCore
import NIOHTTP1

/// Receives one upstream answer, on the event loop the call was started on.
///
/// No method is ever called from inside `HTTP1ConnectionPool.start` or a method of
/// `HTTP1Call`: the caller's own state is never re-entered.
public protocol HTTP1ResponseDelegate: AnyObject {
    /// The answer's head arrived (always before any body chunk).
    func upstreamHead(_ head: HTTP1ResponseHead)
    /// A body chunk arrived.
    func upstreamBody(_ chunk: ByteBuffer)
    /// The answer ended. The connection is already back in the pool (or closed).
    func upstreamEnd()
    /// The call failed: connect error, deadline, connection closed or reset, pool shut down…
    func upstreamFailed(_ error: HTTP1ClientError)
}

extension HTTP1ConnectionPool {
    /// Starts `request`. Must be called on `eventLoop`. Takes an idle connection to the target
    /// that lives on `eventLoop`, else opens a new one on `eventLoop` (never one on another loop:
    /// every delegate call runs on `eventLoop` with no thread hop).
    ///
    /// `deadline` bounds the whole call (connecting included) until the answer ends or
    /// `HTTP1Call.clearDeadline()`. Exactly one of `upstreamEnd` and `upstreamFailed` follows,
    /// unless the call is cancelled first; a failure known at once (pool shut down) is delivered
    /// by `eventLoop.execute`, never from inside this method.
    public func start(
        _ request: HTTP1Request, on eventLoop: any EventLoop, deadline: NIODeadline,
        delegate: any HTTP1ResponseDelegate
    ) -> HTTP1Call {
        eventLoop.preconditionInEventLoop()
        let call = HTTP1Call(pool: self, request: request, eventLoop: eventLoop, delegate: delegate)
        call.begin(deadline: deadline)
        return call
    }
}

/// A started call. Not Sendable: use it only on its event loop.
///
/// The call holds its delegate (strongly) until the answer ended, the call failed or was
/// cancelled, then lets it go. A kept-alive connection found closed before any byte of the
/// answer arrived is replaced once, transparently, as `execute` does.
public final class HTTP1Call {
    private enum Phase {
        /// Waiting for a new connection.
        case connecting
        /// The request is on `handler`'s connection.
        case running
        /// Ended, failed or cancelled: the connection side has nothing more to say.
        case finished
    }

    private let pool: HTTP1ConnectionPool
    private let target: HTTP1Target
    /// The request's bytes, or why it cannot be sent (then `begin` fails the call).
    private let wire: Result<HTTP1WireRequest, HTTP1ClientError>
    private let eventLoop: any EventLoop
    /// Nil once nothing more is delivered.
    private var delegate: (any HTTP1ResponseDelegate)?
    private var phase = Phase.connecting
    /// The connection while `running`.
    private var handler: HTTP1ConnectionHandler?
    /// Watches the deadline, with the other calls on this loop.
    private let deadlineWatch: HTTP1DeadlineWatch
    private var deadlineSlot: HTTP1DeadlineWatch.Slot?
    /// The connection was kept alive from an earlier answer (it may have been closed since).
    private var reused = false
    private var mayRetryStale = true
    /// A byte of the answer arrived: the request reached the upstream, no retry.
    private var answered = false
    private var paused = false
    /// Inside `start`: a failure is delivered by `eventLoop.execute`.
    private var starting = false

    init(
        pool: HTTP1ConnectionPool, request: HTTP1Request, eventLoop: any EventLoop, delegate: any HTTP1ResponseDelegate
    ) {
        self.pool = pool
        self.target = request.target
        self.wire = Result { () throws(HTTP1ClientError) in try pool.wire(request) }
        self.eventLoop = eventLoop
        self.deadlineWatch = pool.deadlineWatch(on: eventLoop)
        self.delegate = delegate
    }

    // MARK: Caller (on the event loop)

    /// Backpressure: holds the connection's reads until `resumeReading()`. Chunks already
    /// decoded from the current socket read may still arrive after this call.
    public func pauseReading() {
        paused = true
    }

    public func resumeReading() {
        guard paused else { return }
        paused = false
        if phase == .running, let handler { handler.releaseHeldRead(for: self) }
    }

    /// Disarms the deadline (the caller watches the rest of the body itself).
    public func clearDeadline() {
        if let deadlineSlot {
            self.deadlineSlot = nil
            deadlineWatch.remove(self, from: deadlineSlot)
        }
    }

    /// Abandons the call: no delegate method is called afterwards; the connection is closed
    /// unless the answer had already ended. Idempotent; a no-op after end or failure.
    public func cancel() {
        delegate = nil  // also drops a failure still on its way from `start`
        guard phase != .finished else { return }
        let handler = self.handler
        finish()
        // A connection still being opened goes to the pool when it is ready (see `connected`).
        handler?.abandon(self)
    }

    // MARK: Internals

    func begin(deadline: NIODeadline) {
        starting = true
        defer { starting = false }
        do {
            deadlineSlot = try deadlineWatch.add(self, deadline: deadline)
        } catch {
            fail(with: .shutdown)  // the event loop is shutting down
            return
        }
        if case .failure(let error) = wire {
            fail(with: error)
            return
        }
        attempt()
    }

    /// Runs the request on an idle connection on the call's loop, else on a new one.
    private func attempt() {
        let idle: HTTP1ConnectionPool.IdleConnection?
        do {
            idle = try pool.takeIdle(to: target, on: eventLoop, onlyThere: true)
        } catch {
            fail(with: error)
            return
        }
        if let idle {
            reused = true
            send(on: idle.handler.value)
            return
        }
        reused = false
        phase = .connecting
        pool.connect(to: target, on: eventLoop).assumeIsolated().whenComplete { result in
            self.connected(result)
        }
    }

    private func connected(_ result: Result<HTTP1ConnectionPool.Connected, any Error>) {
        switch result {
        case .success(let connection):
            guard phase == .connecting else {
                // Cancelled or past the deadline meanwhile: the connection serves the next call.
                if connection.channel.isActive { pool.release(connection.handler.value, target: target) }
                return
            }
            send(on: connection.handler.value)
        case .failure(let error):
            guard phase == .connecting else { return }
            fail(with: HTTP1ClientError(error))
        }
    }

    private func send(on handler: HTTP1ConnectionHandler) {
        guard case .success(let wire) = wire else { return }  // checked in `begin`
        phase = .running
        self.handler = handler
        handler.start(self, request: wire)
    }

    /// From the deadline watch, which has let the call go.
    func deadlinePassed() {
        deadlineSlot = nil
        guard phase != .finished else { return }
        handler?.abandon(self)
        fail(with: .deadlineExceeded)
    }

    /// No more connection events: drops the connection and the deadline.
    private func finish() {
        phase = .finished
        handler = nil
        clearDeadline()
    }

    private func fail(with error: HTTP1ClientError) {
        finish()
        if starting {
            eventLoop.assumeIsolated().execute { self.deliverFailure(error) }
        } else {
            deliverFailure(error)
        }
    }

    private func deliverFailure(_ error: HTTP1ClientError) {
        guard let delegate else { return }
        self.delegate = nil
        delegate.upstreamFailed(error)
    }
}

extension HTTP1Call: HTTP1ExchangeSink {
    func receive(head: HTTP1ResponseHead) {
        guard phase == .running else { return }
        answered = true
        delegate?.upstreamHead(head)
    }

    func receive(body: ByteBuffer) {
        guard phase == .running else { return }
        delegate?.upstreamBody(body)
    }

    func receiveEnd() {
        guard phase == .running else { return }
        finish()
        guard let delegate else { return }
        self.delegate = nil
        delegate.upstreamEnd()
    }

    @discardableResult
    func fail(_ error: HTTP1ClientError) -> Bool {
        guard phase == .running else { return false }
        handler = nil
        // A kept-alive connection the peer had closed: the request never reached it.
        if error == .connectionClosed, reused, mayRetryStale, !answered {
            mayRetryStale = false
            attempt()
        } else {
            fail(with: error)
        }
        return true
    }

    func holdRead() -> Bool { paused && phase == .running }
}
