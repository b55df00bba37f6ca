import NIOCore

/// Opens an HTTP `CONNECT` tunnel through a proxy, then removes itself: what follows on the
/// channel (TLS, HTTP) goes to the target host.
///
/// It reads the proxy's answer as raw bytes up to the blank line: a `CONNECT` answer has no
/// body, and the bytes after it belong to the tunnel.
final class ProxyTunnelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let target: String
    private let authorization: String?
    private let established: EventLoopPromise<Void>
    private var answer = ByteBuffer()
    private var done = false
    /// A proxy answer head larger than this is not an answer to `CONNECT`.
    private static let maxHeadBytes = 16 * 1024

    /// - Parameters:
    ///   - target: `host:port` to tunnel to.
    ///   - authorization: the `Proxy-Authorization` value, if any.
    ///   - timeout: how long the proxy may take to answer.
    init(target: String, authorization: String?, timeout: TimeAmount, established: EventLoopPromise<Void>) {
        self.target = target
        self.authorization = authorization
        self.timeout = timeout
        self.established = established
    }

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.fail(context, .connectTimeout)
        }
        if context.channel.isActive { sendConnect(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    private func sendConnect(context: ChannelHandlerContext) {
        var text = "CONNECT \(target) HTTP/1.1\r\nHost: \(target)\r\n"
        if let authorization { text += "Proxy-Authorization: \(authorization)\r\n" }
        text += "\r\n"
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        answer.writeBuffer(&chunk)
        let view = answer.readableBytesView
        guard let end = view.firstRange(of: [13, 10, 13, 10]) else {
            if answer.readableBytes > Self.maxHeadBytes { fail(context, .proxyRefused("answer head too large")) }
            return
        }
        let statusLine = String(
            decoding: view[view.startIndex..<(view.firstIndex(of: 13) ?? end.lowerBound)], as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let code = Int(parts[1]) else {
            fail(context, .proxyRefused("not an HTTP answer"))
            return
        }
        guard (200..<300).contains(code) else {
            fail(context, .proxyRefused(statusLine))
            return
        }
        // The target speaks only after the client's first bytes: nothing may follow the head.
        guard end.upperBound == view.endIndex else {
            fail(context, .proxyRefused("unexpected bytes after the proxy's answer"))
            return
        }
        done = true
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        established.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            established.fail(HTTP1ClientError.proxyRefused("the proxy closed the connection"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, .transport("proxy connection failed: \(error)"))
    }

    private func fail(_ context: ChannelHandlerContext, _ error: HTTP1ClientError) {
        guard !done else { return }
        done = true
        established.fail(error)
        context.close(promise: nil)
    }
}
