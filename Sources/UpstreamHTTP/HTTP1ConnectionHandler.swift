import NIOCore
import NIOHTTP1

/// What a connection handler feeds: the receiving side of one exchange, called on the event
/// loop. Implemented by `HTTP1Exchange` (async readers) and `HTTP1Call` (event-loop callbacks).
protocol HTTP1ExchangeSink: AnyObject {
    func receive(head: HTTPResponseHead)
    func receive(body: ByteBuffer)
    /// The answer ended; the connection is already back in the pool (or closing).
    func receiveEnd()
    /// The exchange failed. Returns false when it had already ended or failed.
    @discardableResult func fail(_ error: HTTP1ClientError) -> Bool
    /// True when the channel's next read must wait for the reader (see `releaseHeldRead`).
    func holdRead() -> Bool
}

/// The last handler of a pooled upstream connection: runs one exchange at a time (an
/// `HTTP1Exchange` or an `HTTP1Call`), passes the answer to it, holds reads while the reader is
/// behind, and hands the connection back to the pool once an answer ended cleanly on a
/// keep-alive connection.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// Called on the event loop when the connection can carry another exchange.
    private let onReusable: (HTTP1ConnectionHandler) -> Void
    /// Called on the event loop once the connection closed.
    private let onClosed: (HTTP1ConnectionHandler) -> Void

    private var context: ChannelHandlerContext?
    private var exchange: (any HTTP1ExchangeSink)?
    private var requestSent = false
    /// A `read` the exchange held back, still owed to the channel.
    private var readHeld = false
    private var keepAlive = true

    init(onReusable: @escaping (HTTP1ConnectionHandler) -> Void, onClosed: @escaping (HTTP1ConnectionHandler) -> Void) {
        self.onReusable = onReusable
        self.onClosed = onClosed
    }

    var channel: (any Channel)? { context?.channel }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes the request of `exchange`. On the event loop, on an idle connection.
    func start(_ exchange: any HTTP1ExchangeSink, head: HTTPRequestHead, body: ByteBuffer) {
        guard let context, context.channel.isActive else {
            exchange.fail(.connectionClosed)
            return
        }
        precondition(self.exchange == nil, "one exchange at a time")
        self.exchange = exchange
        requestSent = false
        keepAlive = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
        sent.futureResult.assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success: requestSent = true
            case .failure:
                // Only while it is still ours: once detached, the exchange was told already
                // (and a retried call may be running on another connection by now).
                if let current = self.exchange, current === exchange {
                    self.exchange = nil
                    exchange.fail(.connectionClosed)
                }
                self.context?.close(promise: nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }  // bytes nobody asked for: dropped (the close follows)
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            exchange.receive(head: head)
        case .body(let chunk):
            exchange.receive(body: chunk)
        case .end:
            // Back in the pool before the reader hears of the end: its next request finds it.
            self.exchange = nil
            if readHeld {
                // An idle connection must keep reading (to see the peer close it).
                readHeld = false
                context.read()
            }
            if keepAlive, requestSent {
                onReusable(self)
            } else {
                context.close(promise: nil)
            }
            exchange.receiveEnd()
        }
    }

    func read(context: ChannelHandlerContext) {
        if let exchange, exchange.holdRead() {
            readHeld = true
            return
        }
        readHeld = false
        context.read()
    }

    /// Passes on the read held back for `exchange`, if any (it stopped holding). On the event loop.
    func releaseHeldRead(for exchange: any HTTP1ExchangeSink) {
        guard readHeld, let current = self.exchange, current === exchange, let context else { return }
        readHeld = false
        context.read()
    }

    /// Detaches `exchange` (if it is still running here) and closes the connection: an answer
    /// abandoned halfway cannot stay on a pooled connection. On the event loop.
    func abandon(_ exchange: any HTTP1ExchangeSink) {
        guard let current = self.exchange, current === exchange else { return }
        self.exchange = nil
        context?.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let exchange {
            self.exchange = nil
            exchange.fail(HTTP1ClientError(error))
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let exchange {
            self.exchange = nil
            exchange.fail(.connectionClosed)
        }
        onClosed(self)
        context.fireChannelInactive()
    }
}
