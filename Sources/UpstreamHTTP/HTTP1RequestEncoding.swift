import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// Writes an HTTP/1.1 request head as bytes: what `HTTP1ConnectionHandler` sends before the
/// body. The head is written as given: the pool has set `host` and `content-length`.
enum HTTP1RequestEncoding {
    /// Appends `head` to `buffer`. With `validating`, a header name that is not a token or a
    /// value holding a line break or another control character writes nothing and returns
    /// false; so does a target (URI) holding a space or a control character, always.
    static func write(_ head: HTTPRequestHead, into buffer: inout ByteBuffer, validating: Bool) -> Bool {
        guard head.uri.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return false }
        if validating {
            for (name, value) in head.headers {
                guard !name.isEmpty, name.utf8.allSatisfy(HTTP1Syntax.isTokenByte),
                    value.utf8.allSatisfy(HTTP1Syntax.isFieldValueByte)
                else { return false }
            }
        }
        buffer.writeString(head.method.rawValue)
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in head.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
        return true
    }
}
