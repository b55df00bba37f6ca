import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// Reads HTTP/1.1 answers from the bytes of an upstream connection, one answer per request.
///
/// Pure: bytes in, parts out, no I/O. Body parts are slices of the bytes fed, never copies.
///
/// Framing follows RFC 9112 §6.3: no body for an answer to `HEAD` or a `204`/`304`;
/// `Transfer-Encoding` ending in `chunked` (then any `Content-Length` is ignored and the
/// connection is not reused); a `Content-Length` (repeated values must agree); else the body
/// runs to the end of the connection. `1xx` heads (`100 Continue`) are skipped; `101` is an
/// error, as the client never asks to switch protocols.
///
/// Strict where leniency would let two readers disagree on where an answer ends: obsolete line
/// folding, a bare CR, a header name that is not a token, a control character in a value, a
/// malformed or conflicting `Content-Length` and an invalid chunk size are errors (the
/// connection is then closed). Lines may end in a bare LF, as RFC 9112 §2.2 allows.
struct HTTP1ResponseParser {
    enum Part: Equatable {
        case head(HTTP1ResponseHead)
        case body(ByteBuffer)
        case end
    }

    /// The largest head (status line and headers), and the largest trailer section, read.
    static let maxHeadBytes = 80 * 1024
    /// The longest chunk-size line (with its extensions) read.
    static let maxChunkLineBytes = 4 * 1024

    private enum State {
        /// Waiting for (the rest of) a head; `scanned` bytes of it hold no blank line.
        case head(scanned: Int)
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The line break after a chunk's data.
        case chunkDataEnd
        case trailers(scanned: Int)
        case untilClose
        /// The body is complete: `.end` comes next, whatever the bytes.
        case ending
        /// The answer ended; the next request's answer may start.
        case done
        case failed
    }

    private var state = State.done
    private var headRequest = false
    /// Whether the connection may carry another exchange once this answer ended: the head
    /// allows it, and the body is not delimited by the end of the connection.
    private(set) var keepAlive = true

    init() {}

    /// Prepares for the answer to the next request (`isHEAD`: an answer without a body).
    mutating func expectAnswer(toHEAD isHEAD: Bool) {
        state = .head(scanned: 0)
        headRequest = isHEAD
        keepAlive = true
    }

    /// The next part of the answer in `buffer`, whose bytes it consumes; nil when it needs
    /// more bytes (what it did not consume is kept in `buffer` for the next call, with more
    /// bytes appended) or once the answer ended.
    mutating func next(_ buffer: inout ByteBuffer) throws(HTTP1ClientError) -> Part? {
        do {
            return try step(&buffer)
        } catch {
            state = .failed
            keepAlive = false
            throw error
        }
    }

    /// The connection ended: the end of a body delimited by it, nil between answers; an
    /// answer cut short is `.connectionClosed`.
    mutating func endOfInput() throws(HTTP1ClientError) -> Part? {
        switch state {
        case .untilClose:
            state = .done
            keepAlive = false
            return .end
        case .done, .failed:
            return nil
        default:
            state = .failed
            throw .connectionClosed
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws(HTTP1ClientError) -> Part? {
        while true {
            switch state {
            case .done, .failed:
                return nil
            case .ending:
                state = .done
                return .end
            case .head(let scanned):
                guard let end = Self.blankLine(in: buffer, from: scanned) else {
                    guard buffer.readableBytes <= Self.maxHeadBytes else { throw Self.malformed("head too large") }
                    state = .head(scanned: max(0, buffer.readableBytes - 3))
                    return nil
                }
                guard end <= Self.maxHeadBytes else { throw Self.malformed("head too large") }
                let (version, status, fieldsStart, framing) = try buffer.withUnsafeReadableBytes {
                    bytes throws(HTTP1ClientError) in
                    try Self.parseHead(UnsafeRawBufferPointer(rebasing: bytes[..<end]))
                }
                // The fields are read on demand from the bytes just checked (no string made here).
                let fields = buffer.getSlice(at: buffer.readerIndex + fieldsStart, length: end - fieldsStart)!
                let head = HTTP1ResponseHead(
                    version: version, status: status, headers: HTTP1Fields(checkedLines: fields))
                buffer.moveReaderIndex(forwardBy: end)
                let code = head.status.code
                if code >= 100, code < 200 {
                    guard code != 101 else { throw Self.malformed("unexpected 101 Switching Protocols") }
                    state = .head(scanned: 0)
                    continue  // informational: the final answer follows
                }
                try frame(head, framing)
                return .head(head)
            case .fixed(let remaining):
                guard let slice = Self.readBody(upTo: remaining, from: &buffer) else { return nil }
                let left = remaining - slice.readableBytes
                state = left == 0 ? .ending : .fixed(remaining: left)
                return .body(slice)
            case .untilClose:
                guard let slice = Self.readBody(upTo: .max, from: &buffer) else { return nil }
                return .body(slice)
            case .chunkSize:
                guard let (lineLength, size) = try Self.chunkSize(in: buffer) else {
                    guard buffer.readableBytes <= Self.maxChunkLineBytes else {
                        throw Self.malformed("chunk size line too long")
                    }
                    return nil
                }
                buffer.moveReaderIndex(forwardBy: lineLength)
                state = size == 0 ? .trailers(scanned: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard let slice = Self.readBody(upTo: remaining, from: &buffer) else { return nil }
                let left = remaining - slice.readableBytes
                state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .body(slice)
            case .chunkDataEnd:
                guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
                if first == UInt8(ascii: "\n") {
                    buffer.moveReaderIndex(forwardBy: 1)
                } else if first == UInt8(ascii: "\r") {
                    guard let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self) else { return nil }
                    guard second == UInt8(ascii: "\n") else { throw Self.malformed("no line break after chunk data") }
                    buffer.moveReaderIndex(forwardBy: 2)
                } else {
                    throw Self.malformed("no line break after chunk data")
                }
                state = .chunkSize
            case .trailers(let scanned):
                // The trailer section ends at an empty line; the trailers themselves are dropped.
                let end: Int?
                if let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first == UInt8(ascii: "\n") {
                    end = 1
                } else if buffer.readableBytesView.starts(with: [UInt8(ascii: "\r"), UInt8(ascii: "\n")]) {
                    end = 2
                } else {
                    end = Self.blankLine(in: buffer, from: scanned)
                }
                guard let end else {
                    guard buffer.readableBytes <= Self.maxHeadBytes else { throw Self.malformed("trailers too large") }
                    state = .trailers(scanned: max(0, buffer.readableBytes - 3))
                    return nil
                }
                buffer.moveReaderIndex(forwardBy: end)
                state = .done
                return .end
            }
        }
    }

    /// What the headers say of the body's framing and of the connection, gathered as the head
    /// is read (no second pass over `HTTPHeaders`).
    struct Framing {
        /// Set when there is a `Transfer-Encoding`: whether its last coding is `chunked`.
        var chunked: Bool?
        var length: Int?
        var lengthIsValid = true
        /// `Connection`: `close` (false) wins over `keep-alive` (true).
        var connection: Bool?

        mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
            if HTTP1Syntax.equalsIgnoringCase(name, "transfer-encoding") {
                HTTP1ResponseParser.forEachToken(value) {
                    chunked = HTTP1Syntax.equalsIgnoringCase($0, "chunked")
                }
            } else if HTTP1Syntax.equalsIgnoringCase(name, "content-length") {
                var any = false
                HTTP1ResponseParser.forEachToken(value) { token in
                    any = true
                    guard let value = HTTP1Syntax.decimal(token), length == nil || length == value else {
                        lengthIsValid = false
                        return
                    }
                    length = value
                }
                if !any { lengthIsValid = false }
            } else if HTTP1Syntax.equalsIgnoringCase(name, "connection") {
                HTTP1ResponseParser.forEachToken(value) { token in
                    if HTTP1Syntax.equalsIgnoringCase(token, "close") {
                        connection = false
                    } else if HTTP1Syntax.equalsIgnoringCase(token, "keep-alive"), connection == nil {
                        connection = true
                    }
                }
            }
        }
    }

    /// The parts after a head: the end at once for an answer without a body.
    private mutating func frame(_ head: HTTP1ResponseHead, _ framing: Framing) throws(HTTP1ClientError) {
        keepAlive = framing.connection ?? (head.version.minor >= 1)
        let code = head.status.code
        if headRequest || code == 204 || code == 304 {
            state = .ending
            return
        }
        if let chunked = framing.chunked {
            // Both framings: a sender that got it wrong; this answer is the connection's last.
            if framing.length != nil || !framing.lengthIsValid { keepAlive = false }
            if chunked {
                state = .chunkSize
            } else {
                state = .untilClose
                keepAlive = false
            }
            return
        }
        guard framing.lengthIsValid else { throw Self.malformed("invalid content-length") }
        if let length = framing.length {
            state = length == 0 ? .ending : .fixed(remaining: length)
            return
        }
        state = .untilClose
        keepAlive = false
    }

    /// Calls `body` with each comma-separated element of `value`, without its surrounding
    /// spaces and tabs (empty elements skipped).
    private static func forEachToken(
        _ value: UnsafeRawBufferPointer, _ body: (Slice<UnsafeRawBufferPointer>) -> Void
    ) {
        let utf8 = value
        var start = utf8.startIndex
        while start < utf8.endIndex {
            let end = utf8[start...].firstIndex(of: UInt8(ascii: ",")) ?? utf8.endIndex
            var token = utf8[start..<end]
            while let f = token.first, f == UInt8(ascii: " ") || f == UInt8(ascii: "\t") { token = token.dropFirst() }
            while let l = token.last, l == UInt8(ascii: " ") || l == UInt8(ascii: "\t") { token = token.dropLast() }
            if !token.isEmpty { body(token) }
            start = end == utf8.endIndex ? end : utf8.index(after: end)
        }
    }

    // MARK: Lexing

    static func malformed(_ what: String) -> HTTP1ClientError { .malformedResponse(what) }

    /// The offset just past the first empty line (`\n\n` or `\n\r\n`) at or after `from`, if any.
    static func blankLine(in buffer: ByteBuffer, from: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            let n = bytes.count
            var i = from
            while i < n {
                guard let lf = bytes[i...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
                if lf + 1 < n {
                    let next = bytes[lf + 1]
                    if next == UInt8(ascii: "\n") { return lf + 2 }
                    if next == UInt8(ascii: "\r"), lf + 2 < n, bytes[lf + 2] == UInt8(ascii: "\n") { return lf + 3 }
                }
                i = lf + 1
            }
            return nil
        }
    }

    /// Up to `limit` bytes of body from the front of `buffer`, as a slice; nil when it is empty.
    private static func readBody(upTo limit: Int, from buffer: inout ByteBuffer) -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        return buffer.readSlice(length: min(limit, buffer.readableBytes))
    }

    /// The head's lines (status line first) up to and including the blank line.
    static func parseHead(
        _ bytes: UnsafeRawBufferPointer
    ) throws(HTTP1ClientError) -> (HTTPVersion, HTTPResponseStatus, fieldsStart: Int, Framing) {
        var lines = Lines(bytes: bytes)
        guard let statusLine = try lines.next() else { throw malformed("empty status line") }
        let (version, status) = try parseStatusLine(statusLine)
        let fieldsStart = lines.index
        var framing = Framing()
        while let line = try lines.next(), !line.isEmpty {
            guard line[0] != UInt8(ascii: " "), line[0] != UInt8(ascii: "\t") else {
                throw malformed("obsolete line folding")
            }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                throw malformed("header line without a colon")
            }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            guard !name.isEmpty, name.allSatisfy(HTTP1Syntax.isTokenByte) else {
                throw malformed("invalid header name")
            }
            var start = colon + 1
            var end = line.count
            while start < end, line[start] == UInt8(ascii: " ") || line[start] == UInt8(ascii: "\t") { start += 1 }
            while end > start, line[end - 1] == UInt8(ascii: " ") || line[end - 1] == UInt8(ascii: "\t") { end -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: line[start..<end])
            guard value.allSatisfy(HTTP1Syntax.isFieldValueByte) else {
                throw malformed("invalid character in a header value")
            }
            framing.add(name: name, value: value)
        }
        return (version, status, fieldsStart, framing)
    }

    /// `HTTP/1.x NNN reason`.
    private static func parseStatusLine(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTP1ClientError) -> (HTTPVersion, HTTPResponseStatus) {
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8),
            line[7] == UInt8(ascii: "0") || line[7] == UInt8(ascii: "1"),
            line[8] == UInt8(ascii: " ")
        else { throw malformed("invalid status line") }
        var code = 0
        for offset in 9..<12 {
            let digit = line[offset]
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { throw malformed("invalid status code") }
            code = code * 10 + Int(digit - UInt8(ascii: "0"))
        }
        guard code >= 100, line.count == 12 || line[12] == UInt8(ascii: " ") else {
            throw malformed("invalid status line")
        }
        let reason = UnsafeRawBufferPointer(rebasing: line[min(13, line.count)...])
        guard reason.allSatisfy(HTTP1Syntax.isFieldValueByte) else { throw malformed("invalid status line") }
        let status = HTTPResponseStatus(statusCode: code, reasonPhrase: String(decoding: reason, as: UTF8.self))
        return (HTTPVersion(major: 1, minor: line[7] == UInt8(ascii: "1") ? 1 : 0), status)
    }

    /// A chunk-size line at the front of `buffer`: its length with the line break, and the size.
    private static func chunkSize(in buffer: ByteBuffer) throws(HTTP1ClientError) -> (Int, Int)? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        var line = view[..<lf]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = hexValue(line[index]) {
            guard digits < 15 else { throw malformed("chunk size too large") }
            size = size << 4 | digit
            digits += 1
            index = line.index(after: index)
        }
        guard digits > 0 else { throw malformed("invalid chunk size") }
        // What may follow the size: spaces, then extensions (`;name=value`), which are ignored.
        let rest = line[index...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard rest.isEmpty || rest.first == UInt8(ascii: ";") else { throw malformed("invalid chunk size") }
        guard rest.allSatisfy(HTTP1Syntax.isFieldValueByte) else { throw malformed("invalid chunk extension") }
        return (lf - view.startIndex + 1, size)
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The lines of a head, without their line breaks; a CR anywhere else is an error.
    private struct Lines {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func next() throws(HTTP1ClientError) -> UnsafeRawBufferPointer? {
            guard let lf = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            var end = lf
            if end > index, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let line = UnsafeRawBufferPointer(rebasing: bytes[index..<end])
            index = lf + 1
            guard !line.contains(UInt8(ascii: "\r")) else { throw HTTP1ResponseParser.malformed("bare CR in the head") }
            return line
        }
    }
}
