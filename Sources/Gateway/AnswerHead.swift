import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// The head of an answer to `/v1/messages`, its fields encoded as the responder adds them.
///
/// Why: the fast front writes a head as bytes, and building NIO's `HTTPHeaders` first cost an
/// array of string pairs per answer. Here each field is written once, as `name: value\r\n`;
/// NIO's encoder (behind `MessagesChannelHandler`) gets the same fields as an `HTTPResponseHead`.
///
/// Names and values come from the gateway itself (constants, ids, numbers, dates, the fields of
/// its own error answers), never from a client or the upstream.
struct AnswerHead {
    var version: HTTPVersion
    var status: HTTPResponseStatus
    /// `name: value\r\n` for each field, in order.
    private(set) var fields: ByteBuffer
    private(set) var hasContentLength = false

    init(version: HTTPVersion, status: HTTPResponseStatus) {
        self.version = version
        self.status = status
        self.fields = ByteBuffer()
        fields.reserveCapacity(224)
    }

    /// The answer of an `HTTPResponse` (an error's, say), with its fields.
    init(version: HTTPVersion, _ head: HTTPResponseHead) {
        self.init(version: version, status: head.status)
        for (name, value) in head.headers { add(name, value) }
    }

    mutating func add(_ name: String, _ value: String) {
        beginField(name)
        fields.writeString(value)
        fields.writeStaticString("\r\n")
    }

    mutating func add(_ name: String, _ value: Int) {
        beginField(name)
        HTTP1Syntax.withDecimalDigits(of: value) { fields.writeBytes($0) }
        fields.writeStaticString("\r\n")
    }

    /// `name: `, noting a `content-length` (whatever its case) for `isChunked`.
    private mutating func beginField(_ name: String) {
        if HTTP1Syntax.equalsIgnoringCase(name.utf8, "content-length") { hasContentLength = true }
        fields.writeString(name)
        fields.writeStaticString(": ")
    }

    /// Whether a body without `content-length` goes `chunked`: a body is allowed and its
    /// length is not known.
    var isChunked: Bool {
        let code = status.code
        return !hasContentLength && code != 204 && code != 304 && code >= 200
    }

    /// Status line, fields, `transfer-encoding: chunked` when `isChunked`, and the blank line.
    func write(into bytes: inout ByteBuffer) {
        bytes.writeStaticString("HTTP/1.1 ")
        HTTP1Syntax.withDecimalDigits(of: Int(status.code)) { bytes.writeBytes($0) }
        bytes.writeInteger(UInt8(ascii: " "))
        bytes.writeString(status.reasonPhrase)
        bytes.writeStaticString("\r\n")
        bytes.writeImmutableBuffer(fields)
        if isChunked { bytes.writeStaticString("transfer-encoding: chunked\r\n") }
        bytes.writeStaticString("\r\n")
    }

    /// The same head for NIO's encoder (which adds `transfer-encoding` itself).
    var httpResponseHead: HTTPResponseHead {
        var headers = HTTPHeaders()
        var rest = fields
        while let line = rest.readLine() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 2)...], as: UTF8.self)
            headers.add(name: name, value: value)
        }
        return HTTPResponseHead(version: version, status: status, headers: headers)
    }
}

extension ByteBuffer {
    /// The bytes up to the next `\r\n`, which are read past; nil when no line is left.
    fileprivate mutating func readLine() -> [UInt8]? {
        guard let end = readableBytesView.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        let line = readBytes(length: end - readerIndex)
        moveReaderIndex(forwardBy: 2)
        return line
    }
}
