import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// A request as it goes on the wire: written once per call and reused if the call is retried on
/// another connection (writing a `ByteBuffer` does not consume it).
struct HTTP1WireRequest {
    /// The head, followed by the body when that is small.
    var bytes: ByteBuffer
    /// The body when it is not in `bytes`: written after them, without a copy.
    var separateBody: ByteBuffer?
    /// A `HEAD` request, whose answer has no body whatever its head says.
    var isHEAD: Bool
}

/// Writes an HTTP/1.1 request as bytes, straight from the `HTTP1Request` (no `HTTPRequestHead`
/// and no second copy of its headers).
enum HTTP1RequestEncoding {
    /// Bodies up to this size are copied after the head and written with it: the copy costs
    /// less than a second buffer on the way down the pipeline.
    static let copiedBodyLimit = 16 * 1024

    /// `request` on the wire (see `head(of:proxy:)`); nil when it cannot be sent.
    static func wire(_ request: HTTP1Request, proxy: HTTP1ConnectionPool.Proxy?) -> HTTP1WireRequest? {
        guard var bytes = head(of: request, proxy: proxy) else { return nil }
        let isHEAD = request.method == .HEAD
        guard request.body.readableBytes > copiedBodyLimit else {
            bytes.writeImmutableBuffer(request.body)
            return HTTP1WireRequest(bytes: bytes, separateBody: nil, isHEAD: isHEAD)
        }
        return HTTP1WireRequest(bytes: bytes, separateBody: request.body, isHEAD: isHEAD)
    }

    /// The head of `request` as the pool sends it:
    /// - the request line: origin form, or absolute form through a plain-HTTP `proxy`;
    /// - `host`, from the target;
    /// - the caller's fields, as encoded (`HTTP1RequestFields`: without `host`,
    ///   `content-length` and, through a proxy that authenticates, `proxy-authorization`);
    /// - `content-length`, from the body;
    /// - `proxy-authorization`, through a plain-HTTP proxy that wants it.
    ///
    /// Nil when the target (path) holds a space or a control character, or when the fields are
    /// not valid (`HTTP1RequestFields.areValid`): such a request is not sent.
    static func head(of request: HTTP1Request, proxy: HTTP1ConnectionPool.Proxy?) -> ByteBuffer? {
        guard request.headers.areValid, request.path.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return nil }
        let viaPlainProxy = proxy != nil && !request.target.tls
        let proxyAuthorization = viaPlainProxy ? proxy?.authorization : nil
        let fields = request.headers.encoded(droppingProxyAuthorization: proxyAuthorization != nil)
        let body = request.body.readableBytes
        var buffer = ByteBuffer()
        buffer.reserveCapacity(
            128 + request.path.utf8.count + fields.readableBytes + (body <= copiedBodyLimit ? body : 0))
        buffer.writeString(request.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        if viaPlainProxy { buffer.writeString(request.target.description) }
        buffer.writeString(request.path)
        buffer.writeStaticString(" HTTP/1.1\r\nhost: ")
        writeHost(of: request.target, into: &buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(fields)
        buffer.writeStaticString("content-length: ")
        HTTP1Syntax.withDecimalDigits(of: body) { buffer.writeBytes($0) }
        if let proxyAuthorization {
            buffer.writeStaticString("\r\nproxy-authorization: ")
            buffer.writeString(proxyAuthorization)
        }
        buffer.writeStaticString("\r\n\r\n")
        return buffer
    }

    /// `host` or `host:port` (the port only when it is not the scheme's default), as
    /// `HTTP1Target.hostHeader` says, without making the string.
    private static func writeHost(of target: HTTP1Target, into buffer: inout ByteBuffer) {
        let literalIPv6 = target.host.utf8.contains(UInt8(ascii: ":"))
        if literalIPv6 { buffer.writeInteger(UInt8(ascii: "[")) }
        buffer.writeString(target.host)
        if literalIPv6 { buffer.writeInteger(UInt8(ascii: "]")) }
        if target.port != (target.tls ? 443 : 80) {
            buffer.writeInteger(UInt8(ascii: ":"))
            HTTP1Syntax.withDecimalDigits(of: target.port) { buffer.writeBytes($0) }
        }
    }
}
