import AnthropicAPI
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Serves `POST /v1/messages` on its connection's event loop and passes every other request on
/// to Hummingbird's router, which sits behind it in the pipeline (see `GatewayHTTP1Channel`).
/// It reads and writes NIO's HTTP parts: the conversion to `HTTPTypes` lies behind it.
///
/// Why: the messages route is the gateway's hot path. Served here, a request goes from socket
/// to upstream and back without leaving the event loop: no task, no continuation, no hand-over
/// between threads (the upstream connection lives on the same loop, see
/// `HTTP1ConnectionPool.start`).
///
/// Ordering: HTTP/1.1 answers go out in request order. While a messages request runs, the
/// parts of any pipelined request behind it wait in `queued`; a messages request pipelined
/// behind requests the router still answers waits there too, with all that follows it. Reads
/// stop while anything waits, so a client cannot pile requests up here.
///
/// A client that closes its side while its answer runs is gone: Hummingbird closes the
/// connection on the end of input, and the responder cancels the upstream call.
///
/// Shutdown: a `ChannelShouldQuiesceEvent` reaches the running request (a stream may then be cut
/// with an `error` event before the grace period ends) and is passed on once it has finished,
/// so Hummingbird closes the connection only between requests.
final class MessagesChannelHandler: ChannelDuplexHandler, RemovableChannelHandler, MessagesSink {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Inbound {
        /// Between requests.
        case idle
        /// The parts of a request the router serves.
        case forwarding
        /// A messages request whose body is still arriving.
        case collecting(HTTPRequestHead, ByteBuffer)
        /// A messages request being answered; the next parts wait in `queued`.
        case answering(MessagesResponder)
        /// The connection is closing: nothing more is read.
        case closing
    }

    private let gateway: Gateway
    private var context: ChannelHandlerContext?
    private var inbound = Inbound.idle
    /// Requests handed to the router whose answer has not ended yet.
    private var routerOwes = 0
    /// Parts that arrived while a messages request was answered.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var readHeld = false
    private var quiesceHeld = false
    /// Whether the router was handed a part since the last end of a read cycle: only then is
    /// that end passed on (the router's channel delivers reads at the end of a cycle; a cycle
    /// of messages parts alone would only make it look for reads it does not have).
    private var routerReadPending = false

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Whether the router should see this request: anything but `POST /v1/messages`.
    static func isMessages(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .POST else { return false }
        let uri = head.uri.utf8
        let route = uri.firstIndex(of: UInt8(ascii: "?")).map { uri[..<$0] } ?? uri[...]
        return route.elementsEqual("/v1/messages".utf8) || route.elementsEqual("/v1/messages/".utf8)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .answering = inbound {
            queued.append(part)
        } else if !queued.isEmpty {
            queued.append(part)
        } else {
            process(part, context: context)
        }
    }

    /// Serves the parts that waited, in order, as far as the state allows: a messages request
    /// waits while the router owes answers, anything waits while a messages request is answered.
    private func drainQueue(context: ChannelHandlerContext) {
        while let part = queued.first {
            if case .answering = inbound { break }
            if case .idle = inbound, routerOwes > 0, case .head(let head) = part, Self.isMessages(head) { break }
            queued.removeFirst()
            process(part, context: context)
        }
        // The router's channel hands reads on at the end of a read cycle: end one for what was
        // handed to it here.
        if routerReadPending {
            routerReadPending = false
            context.fireChannelReadComplete()
        }
        if readHeld, queued.isEmpty {
            if case .answering = inbound { return }
            readHeld = false
            context.read()
        }
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch inbound {
        case .idle:
            guard case .head(let head) = part else {
                // Only a head starts a request; the router knows how to refuse anything else.
                forwardToRouter(part, context: context)
                return
            }
            let expectsContinue = Self.expectsContinue(head)
            guard Self.isMessages(head) else {
                // Only when no earlier answer is owed: a 100 must not overtake them.
                if expectsContinue, routerOwes == 0 { sendContinue(head, context: context) }
                routerOwes += 1
                inbound = .forwarding
                forwardToRouter(part, context: context)
                return
            }
            guard routerOwes == 0 else {
                // Pipelined behind answers the router still owes: it waits its turn.
                queued.append(part)
                return
            }
            let length = head.headers.first(name: "content-length").flatMap(Int.init)
            if let length, length > gateway.configuration.maxBodyBytes {
                refuseTooLarge(context: context)
                return
            }
            if expectsContinue { sendContinue(head, context: context) }
            var body = ByteBuffer()
            if let length, length > 0 {
                // Up to 1 MiB ahead: a client announcing more and sending nothing holds no more.
                body = context.channel.allocator.buffer(capacity: min(length, 1 << 20))
            }
            inbound = .collecting(head, body)
        case .forwarding:
            if case .end = part { inbound = .idle }
            forwardToRouter(part, context: context)
        case .collecting(let head, var body):
            switch part {
            case .head:
                // The decoder never sends a head inside a request.
                close(context: context)
            case .body(var chunk):
                inbound = .idle  // drop the reference so that the append does not copy
                guard body.readableBytes + chunk.readableBytes <= gateway.configuration.maxBodyBytes else {
                    refuseTooLarge(context: context)
                    return
                }
                body.writeBuffer(&chunk)
                inbound = .collecting(head, body)
            case .end:
                let responder = MessagesResponder(gateway: gateway, sink: self, eventLoop: context.eventLoop)
                inbound = .answering(responder)
                if quiesceHeld { responder.shutdownBegan() }
                responder.start(head: MessagesRequestHead(head), body: body)
            }
        case .answering:
            queued.append(part)
        case .closing:
            break
        }
    }

    private func forwardToRouter(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        routerReadPending = true
        context.fireChannelRead(wrapInboundOut(part))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard routerReadPending else { return }
        routerReadPending = false
        context.fireChannelReadComplete()
    }

    /// Whether the client waits for `100 Continue` before it sends the body (curl does for large
    /// bodies, for a second, then sends anyway).
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        guard head.version.major == 1, head.version.minor >= 1, head.headers.contains(name: "expect") else {
            return false
        }
        return head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    /// `100 Continue`: the body is welcome (an informational head: the final answer follows).
    private func sendContinue(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let informational = HTTPResponseHead(version: head.version, status: .continue)
        context.writeAndFlush(wrapOutboundOut(.head(informational)), promise: nil)
    }

    /// A body over the limit: a 413 now, and the connection closes (its remaining bytes are
    /// not worth reading).
    private func refuseTooLarge(context: ChannelHandlerContext) {
        inbound = .closing
        let (response, body) = gateway.tooLarge().httpResponse(requestID: Identifier.make("req_"))
        var head = HTTPResponseHead(response)
        head.headers.replaceOrAdd(name: "connection", value: "close")
        head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        head.headers.replaceOrAdd(name: "date", value: PerSecondText.httpDate.now())
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func close(context: ChannelHandlerContext) {
        inbound = .closing
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let running = inbound
        inbound = .closing
        queued.removeAll()
        if case .answering(let responder) = running {
            // Later, not now: a close can happen inside one of the responder's own writes.
            context.eventLoop.assumeIsolated().execute { responder.clientClosed() }
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .answering(let responder) = inbound { responder.writabilityChanged(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch inbound {
        case .answering(let responder):
            responder.shutdownBegan()
            quiesceHeld = true
        case .collecting:
            quiesceHeld = true
        case .idle, .forwarding, .closing:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch inbound {
        case .collecting, .answering:
            // A broken request or connection (a reset, say) in the middle of ours: nothing
            // sensible to answer. The responder hears of it in `channelInactive`.
            context.close(promise: nil)
        case .idle, .forwarding, .closing:
            context.fireErrorCaught(error)
        }
    }

    // MARK: Outbound

    /// Reads go on while a request is answered, so that a client going away is seen at once
    /// (its end of input closes the connection); they stop only once a pipelined request waits
    /// in `queued`, so that a client cannot pile requests up here.
    func read(context: ChannelHandlerContext) {
        if !queued.isEmpty {
            readHeld = true
            return
        }
        context.read()
    }

    /// The router's answers pass here: once it owes none, a messages request that waited runs.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        routerOwes -= 1
        context.write(data, promise: promise)
        if routerOwes == 0, !queued.isEmpty { drainQueue(context: context) }
    }

    // MARK: From the responder

    func sendHead(_ head: AnswerHead) {
        context?.write(wrapOutboundOut(.head(head.httpResponseHead)), promise: nil)
    }

    func sendBody(_ chunk: ByteBuffer, flush: Bool) {
        guard let context else { return }
        if flush {
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        } else {
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        }
    }

    func sendEnd() { context?.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }

    func sendWhole(_ head: AnswerHead, body: ByteBuffer) {
        guard let context else { return }
        context.write(wrapOutboundOut(.head(head.httpResponseHead)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Sends what `sendBody(_:flush: false)` left in the channel.
    func flush() { context?.flush() }

    /// The answer ended (or the client went away): serve what waited behind it.
    func responderFinished(keepAlive: Bool) {
        guard let context, case .answering = inbound else { return }
        inbound = .idle
        if !keepAlive {
            close(context: context)
            return
        }
        if quiesceHeld {
            quiesceHeld = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        drainQueue(context: context)
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }
}
