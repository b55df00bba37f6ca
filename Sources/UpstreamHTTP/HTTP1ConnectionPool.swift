import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A request to an upstream: sent whole (the body is one buffer), answered as a stream.
public struct HTTP1Request: Sendable {
    public var target: HTTP1Target
    public var method: HTTPMethod
    /// Origin-form path and query, starting with `/`.
    public var path: String
    /// Encoded once: a caller that sends the same fields every time makes them once.
    public var headers: HTTP1RequestFields
    public var body: ByteBuffer

    public init(
        target: HTTP1Target, method: HTTPMethod = .POST, path: String, headers: HTTP1RequestFields = [:],
        body: ByteBuffer
    ) {
        self.target = target
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// An upstream answer whose head arrived; its body is read on demand.
public struct HTTP1Response: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTP1Fields
    public var body: HTTP1ResponseBody
}

/// A keep-alive HTTP/1.1 client built for one job: carrying a gateway's requests to a few
/// upstream hosts with as little work per request as possible.
///
/// - Each request runs on a pooled connection of its own (HTTP/1.1, no pipelining), preferably
///   one on the event loop the calling task runs on, so that with NIO as the global executor a
///   request never changes threads.
/// - Connections are opened on demand, with no cap (the gateway caps concurrent requests), and
///   closed after `idleTimeout` unused; at most `maxIdlePerTarget` wait idle.
/// - TLS with the configured trust roots; an HTTP proxy by `CONNECT` tunnel for https targets
///   and by absolute-form requests for http targets.
/// - A reused connection the peer closed before answering is retried once on a new one; nothing
///   else is retried here (that is the caller's policy).
///
/// Two ways in, sharing the connections: `execute` for async callers (the body is an
/// `AsyncSequence`), and `start` for code running on an event loop (the answer comes as
/// `HTTP1ResponseDelegate` callbacks on that loop, with no task and no thread hop).
///
/// No redirects, no decompression, no HTTP/2: use a general-purpose client for that.
public final class HTTP1ConnectionPool: Sendable {
    public struct Proxy: Sendable, Hashable {
        public var host: String
        public var port: Int
        /// The `Proxy-Authorization` value (e.g. `Basic …`), if any.
        public var authorization: String?

        public init(host: String, port: Int, authorization: String? = nil) {
            self.host = host
            self.port = port
            self.authorization = authorization
        }
    }

    public struct Configuration: Sendable {
        public var connectTimeout: TimeAmount = .seconds(10)
        public var idleTimeout: TimeAmount = .seconds(60)
        /// Idle connections kept per target; more are closed as they come free, so a burst
        /// (256 concurrent streams, say) does not leave its connections and their buffers
        /// behind for the whole idle timeout.
        public var maxIdlePerTarget = 64
        public var tls: TLSConfiguration = .makeClientConfiguration()
        public var proxy: Proxy?
        public init() {}
    }

    /// A new connection, ready for an exchange.
    struct Connected: Sendable {
        let handler: NIOLoopBound<HTTP1ConnectionHandler>
        let channel: any Channel
    }

    struct IdleConnection: Sendable {
        let id: ObjectIdentifier
        let handler: NIOLoopBound<HTTP1ConnectionHandler>
        let channel: any Channel
        /// When it came free; it is closed `idleTimeout` later unless taken.
        let since: NIODeadline
    }

    private struct State {
        var idle: [HTTP1Target: [IdleConnection]] = [:]
        var open = 0
        var shutDown = false
        /// The one timer that closes expired idle connections, armed while any wait idle. One
        /// timer for the pool rather than one per idle spell: a request then schedules and
        /// cancels no task to go back to the pool.
        var sweep: (task: Scheduled<Void>, deadline: NIODeadline)?
    }

    private let group: any EventLoopGroup
    private let configuration: Configuration
    private let sslContext: NIOSSLContext
    private let state = Mutex(State())
    private let deadlineWatches: DeadlineWatches

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, configuration: Configuration) throws
    {
        self.group = group
        self.deadlineWatches = DeadlineWatches(group: group)
        self.configuration = configuration
        var tls = configuration.tls
        tls.applicationProtocols = ["http/1.1"]
        self.sslContext = try NIOSSLContext(configuration: tls)
    }

    /// The deadline watch of `eventLoop`: the one of its loop in the pool's group, else one for
    /// this call alone. Call on `eventLoop`.
    func deadlineWatch(on eventLoop: any EventLoop) -> HTTP1DeadlineWatch {
        eventLoop.preconditionInEventLoop()
        return deadlineWatches.byLoop[ObjectIdentifier(eventLoop)] ?? HTTP1DeadlineWatch(eventLoop: eventLoop)
    }

    /// Connections open now, idle or busy.
    public var openConnections: Int { state.withLock { $0.open } }

    /// Sends `request` and returns once the answer's head arrived. `deadline` bounds the wait for
    /// the head and stays armed while the body is read.
    public func execute(_ request: HTTP1Request, deadline: NIODeadline) async throws(HTTP1ClientError) -> HTTP1Response
    {
        let encoded = try wire(request)
        var mayRetryStale = true
        while true {
            if Task.isCancelled { throw .cancelled }
            let (handler, channel, reused) = try await connection(to: request.target, deadline: deadline)
            let exchange = HTTP1Exchange(channel: channel)
            exchange.setDeadline(deadline)
            if channel.eventLoop.inEventLoop {
                handler.value.start(exchange, request: encoded)
            } else {
                channel.eventLoop.execute { handler.value.start(exchange, request: encoded) }
            }
            let body = HTTP1ResponseBody(exchange: exchange)
            do {
                let responseHead = try await exchange.head()
                return HTTP1Response(status: responseHead.status, headers: responseHead.headers, body: body)
            } catch let error as HTTP1ClientError {
                // A kept-alive connection the peer had closed: the request never reached it.
                if error == .connectionClosed, reused, mayRetryStale, !exchange.answered {
                    mayRetryStale = false
                    continue
                }
                throw error
            } catch {
                throw .transport(String(describing: error))
            }
        }
    }

    /// Closes idle connections and refuses new requests; busy ones close when their answer ends.
    public func shutdown() {
        let (idle, sweep) = state.withLock { s -> ([IdleConnection], Scheduled<Void>?) in
            s.shutDown = true
            defer {
                s.idle = [:]
                s.sweep = nil
            }
            return (s.idle.values.flatMap { $0 }, s.sweep?.task)
        }
        sweep?.cancel()
        for connection in idle { connection.channel.close(promise: nil) }
    }

    // MARK: Connections

    /// `request` as it goes on the wire, or the error that keeps it from being sent.
    func wire(_ request: HTTP1Request) throws(HTTP1ClientError) -> HTTP1WireRequest {
        guard
            let wire = HTTP1RequestEncoding.wire(request, proxy: configuration.proxy)
        else { throw .transport("a request header or its path holds a character HTTP does not allow") }
        return wire
    }

    /// An idle connection to `target` (preferably on the caller's event loop), else a new one.
    private func connection(
        to target: HTTP1Target, deadline: NIODeadline
    ) async throws(HTTP1ClientError) -> (NIOLoopBound<HTTP1ConnectionHandler>, any Channel, reused: Bool) {
        let current = MultiThreadedEventLoopGroup.currentEventLoop
        if let found = try takeIdle(to: target, on: current, onlyThere: false) {
            return (found.handler, found.channel, true)
        }
        let loop = current.flatMap { l in group.makeIterator().contains { $0 === l } ? l : nil } ?? group.next()
        do {
            let connected = try await connect(to: target, on: loop).get()
            return (connected.handler, connected.channel, false)
        } catch {
            throw HTTP1ClientError(error)
        }
    }

    /// Takes an open idle connection to `target`: the most recently idle one on `loop` if any,
    /// else (unless `onlyThere`) the most recently idle one. Throws `.shutdown` once shut down.
    func takeIdle(
        to target: HTTP1Target, on loop: (any EventLoop)?, onlyThere: Bool
    ) throws(HTTP1ClientError) -> IdleConnection? {
        while true {
            let found = try state.withLock { s throws(HTTP1ClientError) -> IdleConnection? in
                if s.shutDown { throw .shutdown }
                // In place (no copy of the list).
                return s.idle[target]?.take(on: loop, onlyThere: onlyThere)
            }
            guard let found else { return nil }
            if found.channel.isActive, found.since + configuration.idleTimeout > .now() { return found }
            found.channel.close(promise: nil)  // expired, and not swept yet
        }
    }

    /// Opens a connection to `target` on `loop` (through the proxy if any) and sets up its
    /// pipeline. The future completes on `loop`; it fails with an `HTTP1ClientError`.
    func connect(to target: HTTP1Target, on loop: any EventLoop) -> EventLoopFuture<Connected> {
        let proxy = configuration.proxy
        return ClientBootstrap(group: loop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: proxy?.host ?? target.host, port: proxy?.port ?? target.port)
            .flatMapErrorThrowing { error in throw HTTP1ClientError.connecting(error) }
            .flatMap { channel in
                self.setUp(channel, to: target, on: loop).flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw HTTP1ClientError(error)
                }
            }
    }

    /// On `loop`: the proxy tunnel if needed, then TLS and HTTP.
    private func setUp(
        _ channel: any Channel, to target: HTTP1Target, on loop: any EventLoop
    ) -> EventLoopFuture<Connected> {
        do {
            if let proxy = configuration.proxy, target.tls {
                let established = loop.makePromise(of: Void.self)
                try channel.pipeline.syncOperations.addHandler(
                    ProxyTunnelHandler(
                        target: target.authority, authorization: proxy.authorization,
                        timeout: configuration.connectTimeout, established: established))
                return established.futureResult.flatMapThrowing {
                    try self.addHTTPHandlers(channel, to: target, on: loop)
                }
            }
            return loop.makeSucceededFuture(try addHTTPHandlers(channel, to: target, on: loop))
        } catch {
            return loop.makeFailedFuture(error)
        }
    }

    private func addHTTPHandlers(
        _ channel: any Channel, to target: HTTP1Target, on loop: any EventLoop
    ) throws -> Connected {
        let pipeline = channel.pipeline.syncOperations
        if target.tls {
            try pipeline.addHandler(
                try NIOSSLClientHandler(context: sslContext, serverHostname: target.isIPAddress ? nil : target.host))
        }
        let handler = HTTP1ConnectionHandler(
            onReusable: { [weak self] handler in self?.release(handler, target: target) },
            onClosed: { [weak self] handler in self?.closed(handler, target: target) })
        state.withLock { $0.open += 1 }
        try pipeline.addHandler(handler)
        return Connected(handler: NIOLoopBound(handler, eventLoop: loop), channel: channel)
    }

    /// On the connection's event loop: the connection is idle again.
    func release(_ handler: HTTP1ConnectionHandler, target: HTTP1Target) {
        guard let channel = handler.channel else { return }
        let maxIdle = configuration.maxIdlePerTarget
        let now = NIODeadline.now()
        let idle = IdleConnection(
            id: ObjectIdentifier(handler), handler: NIOLoopBound(handler, eventLoop: channel.eventLoop),
            channel: channel, since: now)
        let (kept, armSweep) = state.withLock { s -> (Bool, Bool) in
            guard !s.shutDown, s.idle[target, default: []].count < maxIdle else { return (false, false) }
            s.idle[target, default: []].append(idle)
            return (true, s.sweep == nil)
        }
        if !kept {
            channel.close(promise: nil)
        } else if armSweep {
            scheduleSweep(at: now + configuration.idleTimeout, on: channel.eventLoop)
        }
    }

    /// Arms the sweep for `deadline`, unless one is armed for that time or earlier.
    private func scheduleSweep(at deadline: NIODeadline, on loop: any EventLoop) {
        let task = loop.scheduleTask(deadline: deadline) { [weak self] () -> Void in self?.sweepIdle(on: loop) }
        let superfluous = state.withLock { s -> Scheduled<Void>? in
            if s.shutDown { return task }
            if let armed = s.sweep {
                if armed.deadline <= deadline { return task }
                s.sweep = (task, deadline)
                return armed.task
            }
            s.sweep = (task, deadline)
            return nil
        }
        superfluous?.cancel()
    }

    /// Closes the idle connections that waited `idleTimeout`, and re-arms for the next to expire.
    private func sweepIdle(on loop: any EventLoop) {
        let now = NIODeadline.now()
        let timeout = configuration.idleTimeout
        let (expired, next) = state.withLock { s -> ([IdleConnection], NIODeadline?) in
            if let armed = s.sweep, armed.deadline <= now { s.sweep = nil }
            var expired: [IdleConnection] = []
            var next: NIODeadline?
            for target in Array(s.idle.keys) {
                s.idle[target]!.removeAll { connection in
                    let due = connection.since + timeout
                    if due <= now {
                        expired.append(connection)
                        return true
                    }
                    next = min(next ?? due, due)
                    return false
                }
                if s.idle[target]!.isEmpty { s.idle[target] = nil }
            }
            return (expired, next)
        }
        for connection in expired { connection.channel.close(promise: nil) }
        if let next { scheduleSweep(at: next, on: loop) }
    }

    /// On the connection's event loop: the connection closed.
    private func closed(_ handler: HTTP1ConnectionHandler, target: HTTP1Target) {
        let id = ObjectIdentifier(handler)
        state.withLock { s in
            s.open -= 1
            guard let index = s.idle[target]?.firstIndex(where: { $0.id == id }) else { return }
            s.idle[target]?.remove(at: index)
        }
    }
}

extension Array<HTTP1ConnectionPool.IdleConnection> {
    /// Removes and returns the last connection on `loop`, else (unless `onlyThere`) the last one.
    fileprivate mutating func take(on loop: (any EventLoop)?, onlyThere: Bool) -> Element? {
        if let loop, let index = lastIndex(where: { $0.channel.eventLoop === loop }) { return remove(at: index) }
        return onlyThere || isEmpty ? nil : removeLast()
    }
}

/// The body of an `HTTP1Response`, as chunks in arrival order.
///
/// Dropping the last copy of a body (and its iterators) before the end closes the connection:
/// a half-read answer cannot be left on a pooled connection.
public struct HTTP1ResponseBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    /// Owns the exchange on behalf of every copy of the body; abandons it when the last goes.
    final class Owner: Sendable {
        let exchange: HTTP1Exchange
        init(_ exchange: HTTP1Exchange) { self.exchange = exchange }
        deinit { exchange.abandon() }
    }

    let owner: Owner

    init(exchange: HTTP1Exchange) { self.owner = Owner(exchange) }

    public struct AsyncIterator: AsyncIteratorProtocol, Sendable {
        let owner: Owner

        public mutating func next() async throws -> ByteBuffer? { try await owner.exchange.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(owner: owner) }

    /// Reads the whole body; more than `limit` bytes fails (and closes the connection).
    public func collect(upTo limit: Int) async throws(HTTP1ClientError) -> ByteBuffer {
        var result = ByteBuffer()
        do {
            while var chunk = try await owner.exchange.next() {
                guard result.readableBytes + chunk.readableBytes <= limit else {
                    owner.exchange.abandon()
                    throw HTTP1ClientError.bodyTooLarge(limit: limit)
                }
                if result.readableBytes == 0 && result.capacity == 0 {
                    result = chunk
                } else {
                    result.writeBuffer(&chunk)
                }
            }
        } catch let error as HTTP1ClientError {
            throw error
        } catch {
            throw .transport(String(describing: error))
        }
        return result
    }
}

/// One deadline watch per event loop of the pool's group, made up front (a group's loops are
/// fixed). Unchecked Sendable: each watch is used only on its own loop, which
/// `HTTP1ConnectionPool.deadlineWatch(on:)` checks.
private struct DeadlineWatches: @unchecked Sendable {
    let byLoop: [ObjectIdentifier: HTTP1DeadlineWatch]

    init(group: any EventLoopGroup) {
        var byLoop: [ObjectIdentifier: HTTP1DeadlineWatch] = [:]
        for loop in group.makeIterator() { byLoop[ObjectIdentifier(loop)] = HTTP1DeadlineWatch(eventLoop: loop) }
        self.byLoop = byLoop
    }
}
