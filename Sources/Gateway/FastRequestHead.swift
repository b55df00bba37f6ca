import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// Reads the head of a `POST /v1/messages` request from bytes, for `FastMessagesFront`: the
/// common, strictly well-formed case only. Anything else is `.notFast`, and NIO's HTTP decoder
/// reads it instead (see `FastMessagesFront`), so every request the fast path does not take is
/// parsed and refused as before.
///
/// What it takes (RFC 9112, without any of its tolerances):
/// - `POST /v1/messages HTTP/1.1` (or `/v1/messages/`, either with a query), CRLF line ends;
/// - header names that are tokens, followed by a colon with no space before it;
/// - values of visible ASCII, spaces, tabs and bytes ≥ 0x80, nothing else;
/// - exactly one `content-length` of digits; no `transfer-encoding`, `expect` or `upgrade`;
///   `connection` only as `keep-alive` or `close`;
/// - a head of at most `maxHeadBytes`.
///
/// Of the headers it keeps only those `MessagesResponder` reads, in a `MessagesRequestHead`:
/// the others would cost a `String` each and nobody looks at them.
enum FastRequestHead {
    enum Outcome {
        /// The head has not fully arrived (and is fast so far).
        case incomplete
        /// Not for the fast path: NIO's decoder reads it.
        case notFast
        /// A fast request: what the responder reads of its head, the bytes the head took, and
        /// the body's length.
        case head(MessagesRequestHead, headLength: Int, bodyLength: Int)
    }

    /// The largest head taken; bigger ones go to NIO's decoder, whose limits apply.
    static let maxHeadBytes = 16 * 1024

    static func parse(_ buffer: ByteBuffer) -> Outcome {
        buffer.withUnsafeReadableBytes { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeRawBufferPointer) -> Outcome {
        var cursor = Cursor(bytes: bytes)
        // Request line.
        guard cursor.take("POST /v1/messages") else { return cursor.atEnd ? .incomplete : .notFast }
        let targetStart = cursor.index - "/v1/messages".utf8.count
        while let byte = cursor.peek(), byte != UInt8(ascii: " ") {
            guard byte > 0x20, byte < 0x7F else { return .notFast }
            cursor.index += 1
        }
        guard !cursor.atEnd else { return incompleteOrTooLarge(cursor) }
        let target = UnsafeRawBufferPointer(rebasing: bytes[targetStart..<cursor.index])
        guard isMessagesTarget(target) else { return .notFast }
        guard cursor.take(" HTTP/1.1\r\n") else { return cursor.atEnd ? incompleteOrTooLarge(cursor) : .notFast }

        var head = MessagesRequestHead()
        var bodyLength: Int?
        while true {
            guard let first = cursor.peek() else { return incompleteOrTooLarge(cursor) }
            if first == UInt8(ascii: "\r") {
                guard let second = cursor.peek(at: 1) else { return incompleteOrTooLarge(cursor) }
                guard second == UInt8(ascii: "\n") else { return .notFast }
                cursor.index += 2
                break
            }
            // Name.
            let nameStart = cursor.index
            while let byte = cursor.peek(), byte != UInt8(ascii: ":") {
                guard HTTP1Syntax.isTokenByte(byte) else { return .notFast }
                cursor.index += 1
            }
            guard !cursor.atEnd else { return incompleteOrTooLarge(cursor) }
            guard cursor.index > nameStart else { return .notFast }
            let name = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<cursor.index])
            cursor.index += 1  // the colon
            // Value, without surrounding spaces and tabs.
            while let byte = cursor.peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                cursor.index += 1
            }
            let valueStart = cursor.index
            var valueEnd = valueStart
            while let byte = cursor.peek(), byte != UInt8(ascii: "\r") {
                guard byte == UInt8(ascii: "\t") || (byte >= 0x20 && byte != 0x7F) else { return .notFast }
                cursor.index += 1
                if byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t") { valueEnd = cursor.index }
            }
            guard let next = cursor.peek(at: 1) else { return incompleteOrTooLarge(cursor) }
            guard next == UInt8(ascii: "\n") else { return .notFast }
            cursor.index += 2
            let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])

            switch name.count {
            case 14 where HTTP1Syntax.equalsIgnoringCase(name, "content-length"):
                guard bodyLength == nil, let length = HTTP1Syntax.decimal(value) else { return .notFast }
                bodyLength = length
            case 17 where HTTP1Syntax.equalsIgnoringCase(name, "transfer-encoding"),
                6 where HTTP1Syntax.equalsIgnoringCase(name, "expect"),
                7 where HTTP1Syntax.equalsIgnoringCase(name, "upgrade"):
                return .notFast
            case 10 where HTTP1Syntax.equalsIgnoringCase(name, "connection"):
                if HTTP1Syntax.equalsIgnoringCase(value, "close") {
                    head.keepAlive = false
                } else if !HTTP1Syntax.equalsIgnoringCase(value, "keep-alive") {
                    return .notFast
                }
            case 9 where HTTP1Syntax.equalsIgnoringCase(name, "x-api-key"):
                head.addAPIKey(string(value))
            case 13 where HTTP1Syntax.equalsIgnoringCase(name, "authorization"):
                head.addAuthorization(string(value))
            case 14 where HTTP1Syntax.equalsIgnoringCase(name, "anthropic-beta"):
                head.betaFields.append(string(value))
            case 17 where HTTP1Syntax.equalsIgnoringCase(name, "anthropic-version"):
                if head.anthropicVersion == nil { head.anthropicVersion = string(value) }
            default:
                break
            }
        }
        guard let bodyLength else { return .notFast }
        guard cursor.index <= maxHeadBytes else { return .notFast }
        return .head(head, headLength: cursor.index, bodyLength: bodyLength)
    }

    /// `/v1/messages` or `/v1/messages/`, either with a query.
    private static func isMessagesTarget(_ target: UnsafeRawBufferPointer) -> Bool {
        let path = target.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        return path.count == 12 || (path.count == 13 && path.last == UInt8(ascii: "/"))
    }

    private static func incompleteOrTooLarge(_ cursor: Cursor) -> Outcome {
        cursor.bytes.count > maxHeadBytes ? .notFast : .incomplete
    }

    private static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index >= bytes.count }

        func peek(at offset: Int = 0) -> UInt8? {
            index + offset < bytes.count ? bytes[index + offset] : nil
        }

        /// Consumes `literal` if the bytes start with it. False if they differ, or if they end
        /// before it does (then `atEnd`).
        mutating func take(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            let available = min(count, bytes.count - index)
            for i in 0..<available where bytes[index + i] != literal.utf8Start[i] { return false }
            guard available == count else {
                index = bytes.count
                return false
            }
            index += count
            return true
        }
    }
}
