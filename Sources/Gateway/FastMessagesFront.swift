import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// The first handler of a client connection: serves `POST /v1/messages` straight from the
/// socket's bytes, and hands the connection to NIO's HTTP codec (and so to
/// `MessagesChannelHandler` and the router) at the first request it does not take.
///
/// Why: NIO's HTTP/1 codec costs about 9 µs of CPU per request on this path (a do-nothing NIO
/// server answers in 16 µs with it, 7 µs without; `bench/results.md`, section 10): a decoder
/// with callbacks, a `String` per header, a boxed part per head, body and end, and an encoder.
/// Here a request head is read in one pass (`FastRequestHead`) and the answer is written as
/// bytes.
///
/// Safety: the fast path takes only the strictly well-formed common case. The first request it
/// does not take (another route, `chunked`, `Expect`, HTTP/1.0, a malformed head…) and every
/// byte after it go to NIO's decoder, which parses, serves or refuses them as it always did;
/// the connection then stays on that path. Requests are never parsed twice, and the bytes the
/// fast path consumed are exactly the heads and `content-length` bodies it read.
///
/// Ordering and backpressure follow `MessagesChannelHandler`: one request answered at a time;
/// bytes that arrive meanwhile wait, and reads stop while they do.
final class FastMessagesFront: ChannelDuplexHandler, MessagesSink {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum State {
        /// Between requests (`pending` may hold the start of the next one).
        case idle
        /// A fast request whose body is still arriving.
        case collecting(MessagesRequestHead, body: ByteBuffer, remaining: Int)
        /// A fast request being answered.
        case answering(MessagesResponder)
        /// Handed over: every byte goes on to NIO's codec.
        case passing
        case closed
    }

    private let gateway: Gateway
    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// Bytes read and not consumed yet.
    private var pending: ByteBuffer?
    private var readHeld = false
    private var quiesceHeld = false
    /// The answer being written is `chunked` (it has no `content-length`).
    private var chunked = false

    init(gateway: Gateway) {
        self.gateway = gateway
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .passing = state {
            context.fireChannelRead(data)
            return
        }
        var bytes = unwrapInboundIn(data)
        if var earlier = pending {
            pending = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        switch state {
        case .answering, .closed:
            if bytes.readableBytes > 0 { pending = bytes }
        default:
            serve(&bytes, context: context)
        }
    }

    /// Reads what `bytes` holds as far as the state allows; the rest waits in `pending`.
    private func serve(_ bytes: inout ByteBuffer, context: ChannelHandlerContext) {
        while bytes.readableBytes > 0 {
            switch state {
            case .idle:
                switch FastRequestHead.parse(bytes) {
                case .incomplete:
                    pending = bytes
                    return
                case .notFast:
                    handOver(bytes, context: context)
                    return
                case .head(let head, let headLength, let bodyLength):
                    guard bodyLength <= gateway.configuration.maxBodyBytes else {
                        // `MessagesChannelHandler` answers it (413) as it does on the other path.
                        handOver(bytes, context: context)
                        return
                    }
                    bytes.moveReaderIndex(forwardBy: headLength)
                    if bytes.readableBytes >= bodyLength {
                        // The whole body is here (the common case): a slice, no copy.
                        let body = bytes.readSlice(length: bodyLength)!
                        answer(head, body: body, context: context)
                    } else {
                        // Room for the announced length, up to 1 MiB: a client announcing 32 MB
                        // and sending nothing holds no more than that.
                        var body = context.channel.allocator.buffer(capacity: min(bodyLength, 1 << 20))
                        body.writeBuffer(&bytes)
                        state = .collecting(head, body: body, remaining: bodyLength - body.readableBytes)
                    }
                }
            case .collecting(let head, var body, let remaining):
                state = .idle  // drop the reference so that the append does not copy
                let count = min(remaining, bytes.readableBytes)
                var part = bytes.readSlice(length: count)!
                body.writeBuffer(&part)
                if count == remaining {
                    answer(head, body: body, context: context)
                } else {
                    state = .collecting(head, body: body, remaining: remaining - count)
                }
            case .answering, .closed, .passing:
                pending = bytes
                return
            }
        }
    }

    private func answer(_ head: MessagesRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let responder = MessagesResponder(gateway: gateway, sink: self, eventLoop: context.eventLoop)
        state = .answering(responder)
        if quiesceHeld { responder.shutdownBegan() }
        responder.start(head: head, body: body)
    }

    /// From here on the connection is NIO's codec's: `bytes` starts a request the fast path
    /// does not take.
    private func handOver(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        state = .passing
        context.fireChannelRead(wrapInboundOut(bytes))
        context.fireChannelReadComplete()
        if quiesceHeld {
            quiesceHeld = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .passing = state { context.fireChannelReadComplete() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let running = state
        if case .passing = state {} else { state = .closed }
        pending = nil
        if case .answering(let responder) = running {
            // Later, not now: a close can happen inside one of the responder's own writes.
            context.eventLoop.assumeIsolated().execute { responder.clientClosed() }
        }
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .answering(let responder) = state { responder.writabilityChanged(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .answering(let responder):
            responder.shutdownBegan()
            quiesceHeld = true
        case .collecting:
            quiesceHeld = true
        case .idle, .passing, .closed:
            // Between requests: the router's connection handler closes the connection.
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .passing = state {
            context.fireErrorCaught(error)
            return
        }
        // A broken connection (a reset, say): nothing sensible to answer. A running responder
        // hears of it in `channelInactive`.
        context.close(promise: nil)
    }

    // MARK: Outbound

    /// Reads go on while a request is answered, so that a client going away is seen at once;
    /// they stop while bytes of a next request wait.
    func read(context: ChannelHandlerContext) {
        if case .passing = state {
            context.read()
            return
        }
        if pending != nil, case .answering = state {
            readHeld = true
            return
        }
        context.read()
    }

    // MARK: MessagesSink

    func sendHead(_ head: AnswerHead) {
        guard let context else { return }
        var bytes = context.channel.allocator.buffer(capacity: 64 + head.fields.readableBytes)
        head.write(into: &bytes)
        chunked = head.isChunked
        context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
    }

    func sendBody(_ chunk: ByteBuffer, flush: Bool) {
        guard let context else { return }
        var chunk = chunk
        if chunked {
            guard chunk.readableBytes > 0 else { return }  // an empty chunk would end the body
            if chunk.readableBytes <= Self.copiedBodyLimit {
                // Size line, data and line end in one buffer: one copy, one write.
                var framed = context.channel.allocator.buffer(capacity: chunk.readableBytes + 20)
                Self.writeChunkSize(chunk.readableBytes, into: &framed)
                framed.writeBuffer(&chunk)
                framed.writeStaticString("\r\n")
                context.write(wrapOutboundOut(.byteBuffer(framed)), promise: nil)
            } else {
                var size = context.channel.allocator.buffer(capacity: 20)
                Self.writeChunkSize(chunk.readableBytes, into: &size)
                context.write(wrapOutboundOut(.byteBuffer(size)), promise: nil)
                context.write(wrapOutboundOut(.byteBuffer(chunk)), promise: nil)
                context.write(wrapOutboundOut(.byteBuffer(ByteBuffer(staticString: "\r\n"))), promise: nil)
            }
        } else {
            context.write(wrapOutboundOut(.byteBuffer(chunk)), promise: nil)
        }
        if flush { context.flush() }
    }

    func sendEnd() {
        guard let context else { return }
        if chunked {
            context.write(wrapOutboundOut(.byteBuffer(ByteBuffer(staticString: "0\r\n\r\n"))), promise: nil)
            chunked = false
        }
        context.flush()
    }

    /// Head and body go out as one buffer (one trip down the pipeline, one `write`) when the
    /// body is small enough that copying it costs less.
    func sendWhole(_ head: AnswerHead, body: ByteBuffer) {
        guard let context else { return }
        let copied = body.readableBytes <= Self.copiedBodyLimit
        var bytes = context.channel.allocator.buffer(
            capacity: 64 + head.fields.readableBytes + (copied ? body.readableBytes : 0))
        head.write(into: &bytes)
        assert(!head.isChunked, "a whole answer has a content-length")
        if copied {
            bytes.writeImmutableBuffer(body)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
        } else {
            context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(body)), promise: nil)
        }
    }

    /// Bodies (whole answers, or chunks of a stream) up to this size are copied into the buffer
    /// of what precedes them.
    static let copiedBodyLimit = 16 * 1024

    func flush() { context?.flush() }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func responderFinished(keepAlive: Bool) {
        guard let context, case .answering = state else { return }
        state = .idle
        guard keepAlive else {
            state = .closed
            context.close(promise: nil)
            return
        }
        if quiesceHeld {
            quiesceHeld = false
            // Between requests now: the router's connection handler closes the connection.
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            return
        }
        if var waiting = pending {
            pending = nil
            serve(&waiting, context: context)
        }
        if readHeld, pending == nil || !isAnswering {
            readHeld = false
            context.read()
        }
    }

    private var isAnswering: Bool {
        if case .answering = state { return true }
        return false
    }

    // MARK: Encoding

    private static func writeChunkSize(_ size: Int, into bytes: inout ByteBuffer) {
        bytes.writeString(String(size, radix: 16))
        bytes.writeStaticString("\r\n")
    }
}
