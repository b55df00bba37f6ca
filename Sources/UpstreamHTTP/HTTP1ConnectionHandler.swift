import NIOCore
import NIOHTTP1

/// What a connection handler feeds: the receiving side of one exchange, called on the event
/// loop. Implemented by `HTTP1Exchange` (async readers) and `HTTP1Call` (event-loop callbacks).
protocol HTTP1ExchangeSink: AnyObject {
    func receive(head: HTTP1ResponseHead)
    func receive(body: ByteBuffer)
    /// The answer ended; the connection is already back in the pool (or closing).
    func receiveEnd()
    /// The exchange failed. Returns false when it had already ended or failed.
    @discardableResult func fail(_ error: HTTP1ClientError) -> Bool
    /// True when the channel's next read must wait for the reader (see `releaseHeldRead`).
    func holdRead() -> Bool
}

/// The last handler of a pooled upstream connection, and its HTTP/1.1 codec: runs one exchange
/// at a time (an `HTTP1Exchange` or an `HTTP1Call`), writes its request as bytes, reads the
/// answer with `HTTP1ResponseParser` and passes it on, holds reads while the reader is behind,
/// and hands the connection back to the pool once an answer ended cleanly on a keep-alive
/// connection.
///
/// Why its own codec rather than NIO's `HTTPRequestEncoder`/`HTTPResponseDecoder`: those cost
/// two more handlers every part passes, a boxed part per head, body and end, and a parser with
/// callbacks: on the server side the same codec costs about 9 µs of CPU per request
/// (`bench/results.md`, section 10). The request goes out in one write (head and body in one
/// buffer, or two buffers in one `writev` for a large body); body parts are slices of what was
/// read.
final class HTTP1ConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Called on the event loop when the connection can carry another exchange.
    private let onReusable: (HTTP1ConnectionHandler) -> Void
    /// Called on the event loop once the connection closed.
    private let onClosed: (HTTP1ConnectionHandler) -> Void

    private var context: ChannelHandlerContext?
    private var exchange: (any HTTP1ExchangeSink)?
    private var requestSent = false
    /// A `read` the exchange held back, still owed to the channel.
    private var readHeld = false
    private var parser = HTTP1ResponseParser()
    /// Bytes read but not consumed yet: an incomplete head, chunk-size line or line break.
    private var unread: ByteBuffer?
    init(
        onReusable: @escaping (HTTP1ConnectionHandler) -> Void,
        onClosed: @escaping (HTTP1ConnectionHandler) -> Void
    ) {
        self.onReusable = onReusable
        self.onClosed = onClosed
    }

    var channel: (any Channel)? { context?.channel }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes the request of `exchange`. On the event loop, on an idle connection.
    func start(_ exchange: any HTTP1ExchangeSink, request: HTTP1WireRequest) {
        guard let context, context.channel.isActive else {
            exchange.fail(.connectionClosed)
            return
        }
        precondition(self.exchange == nil, "one exchange at a time")
        self.exchange = exchange
        requestSent = false
        parser.expectAnswer(toHEAD: request.isHEAD)
        let sent = context.eventLoop.makePromise(of: Void.self)
        if let body = request.separateBody {
            context.write(wrapOutboundOut(request.bytes), promise: nil)
            context.writeAndFlush(wrapOutboundOut(body), promise: sent)
        } else {
            context.writeAndFlush(wrapOutboundOut(request.bytes), promise: sent)
        }
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
        var bytes = unwrapInboundIn(data)
        if var earlier = unread {
            unread = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        guard exchange != nil else {
            // Bytes nobody asked for: the connection cannot be trusted with another exchange.
            if bytes.readableBytes > 0 { context.close(promise: nil) }
            return
        }
        do {
            while let part = try parser.next(&bytes) {
                deliver(part, context: context)
                guard self.exchange != nil else { break }
            }
        } catch {
            fail(error, context: context)
            return
        }
        if bytes.readableBytes > 0 {
            if exchange == nil {
                // More than the answer: a peer that does not keep to one answer per request.
                context.close(promise: nil)
            } else {
                unread = bytes
            }
        }
    }

    private func deliver(_ part: HTTP1ResponseParser.Part, context: ChannelHandlerContext) {
        guard let exchange else { return }
        switch part {
        case .head(let head):
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
            if parser.keepAlive, requestSent {
                onReusable(self)
            } else {
                context.close(promise: nil)
            }
            exchange.receiveEnd()
        }
    }

    private func fail(_ error: HTTP1ClientError, context: ChannelHandlerContext) {
        if let exchange {
            self.exchange = nil
            exchange.fail(error)
        }
        context.close(promise: nil)
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
        if exchange != nil {
            // An answer delimited by the end of the connection ends here.
            if let end = try? parser.endOfInput() { deliver(end, context: context) }
        }
        if let exchange {
            self.exchange = nil
            exchange.fail(.connectionClosed)
        }
        onClosed(self)
        context.fireChannelInactive()
    }
}
