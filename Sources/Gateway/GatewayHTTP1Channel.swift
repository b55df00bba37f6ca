import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with the gateway's messages route in front of the
/// `HTTPTypes` conversion.
///
/// The pipeline is Hummingbird's own (`HTTP1Channel`), with `MessagesChannelHandler` between
/// NIO's HTTP codec and `HTTP1ToHTTPServerCodec`: `POST /v1/messages` is read and answered in
/// NIO's HTTP parts, so the hot path pays no conversion to and from `HTTPRequest`/`HTTPResponse`
/// (about 9 % of a small request's CPU when the handler sat behind the conversion). Every
/// other request goes on to the conversion and the router unchanged.
struct GatewayHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let gateway: Gateway

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // Hummingbird's defaults (`HTTP1Channel.Configuration.DecoderConfiguration`).
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 80 * 1024
            limits.maxHeaderListSize = 80 * 1024
            limits.maxHeaderFieldCount = 1000
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(FastMessagesFront(gateway: gateway))
            // Order is kept by `MessagesChannelHandler` and NIOAsyncChannel, errors are answered by
            // the router's middleware, and the router's headers are validated by HTTPTypes (the
            // messages route writes only its own).
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            try pipeline.addHandler(MessagesChannelHandler(gateway: gateway))
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
        }
    }

    func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}
