import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// A request's header fields, checked and encoded once (`name: value\r\n` each, in order).
///
/// A gateway sends the same few fields with every request (content type, accept, its key):
/// made once, they cost each request one copy of their bytes, with no `String` walked, compared
/// or checked again.
///
/// The fields the pool sets itself are left out: `host` and `content-length` always, and a
/// `proxy-authorization` when a plain-HTTP proxy gets its own (`encoded(droppingProxyAuthorization:)`).
public struct HTTP1RequestFields: Sendable, ExpressibleByDictionaryLiteral, CustomReflectable {
    /// All the fields but `host` and `content-length`.
    private let encoded: ByteBuffer
    /// The same without `proxy-authorization`, when the caller gave one.
    private let withoutProxyAuthorization: ByteBuffer?
    /// Whether every name is a token and no value holds a line break or another control
    /// character. A request whose fields are not valid is not sent.
    public let areValid: Bool

    public init(_ headers: HTTPHeaders) {
        var encoded = ByteBuffer()
        var withoutProxyAuthorization = ByteBuffer()
        var sawProxyAuthorization = false
        var valid = true
        for (name, value) in headers {
            let bytes = name.utf8
            valid =
                valid && !name.isEmpty && bytes.allSatisfy(HTTP1Syntax.isTokenByte)
                && value.utf8.allSatisfy(HTTP1Syntax.isFieldValueByte)
            if HTTP1Syntax.equalsIgnoringCase(bytes, "host") || HTTP1Syntax.equalsIgnoringCase(bytes, "content-length")
            {
                continue
            }
            let isProxyAuthorization = HTTP1Syntax.equalsIgnoringCase(bytes, "proxy-authorization")
            sawProxyAuthorization = sawProxyAuthorization || isProxyAuthorization
            Self.write(name, value, to: &encoded)
            if !isProxyAuthorization { Self.write(name, value, to: &withoutProxyAuthorization) }
        }
        self.encoded = encoded
        self.withoutProxyAuthorization = sawProxyAuthorization ? withoutProxyAuthorization : nil
        self.areValid = valid
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(HTTPHeaders(elements))
    }

    private static func write(_ name: String, _ value: String, to buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    /// The encoded fields; without the caller's `proxy-authorization` when the pool sends one.
    func encoded(droppingProxyAuthorization: Bool) -> ByteBuffer {
        droppingProxyAuthorization ? withoutProxyAuthorization ?? encoded : encoded
    }

    /// The size only: fields often carry a key, which `dump` must not show.
    public var customMirror: Mirror {
        Mirror(self, children: ["encodedBytes": encoded.readableBytes, "areValid": areValid], displayStyle: .struct)
    }
}
