import HTTP1Syntax
import NIOCore
import NIOHTTP1

/// The head of an upstream answer: version, status and header fields.
public struct HTTP1ResponseHead: Sendable, Equatable {
    public var version: HTTPVersion
    public var status: HTTPResponseStatus
    public var headers: HTTP1Fields

    public init(version: HTTPVersion = .http1_1, status: HTTPResponseStatus, headers: HTTP1Fields = HTTP1Fields()) {
        self.version = version
        self.status = status
        self.headers = headers
    }
}

/// The header fields of an upstream answer, kept as the bytes they were read from and read on
/// demand.
///
/// Why not `HTTPHeaders`: that makes two strings per field and an array for every answer,
/// while a gateway reads one or two fields of a few (`content-type`, and the error fields of an
/// error answer). Here an answer's head costs no string and no allocation: `headers` is a slice
/// of the bytes read, which `HTTP1ResponseParser` checked (every line `name: value`, a token
/// for a name, no control character in a value).
///
/// Names compare case-insensitively; values come without surrounding spaces and tabs.
public struct HTTP1Fields: Sendable, Sequence, Equatable, CustomStringConvertible {
    public typealias Element = (name: String, value: String)

    /// Lines of `name: value`, each ending in LF or CRLF; an empty line ends them.
    private let lines: ByteBuffer

    /// Fields read by `HTTP1ResponseParser`, which checked `lines`.
    init(checkedLines lines: ByteBuffer) { self.lines = lines }

    /// No fields.
    public init() { self.lines = ByteBuffer() }

    /// `fields`, in order. Names must be tokens and values free of control characters (as
    /// `HTTPHeaders` leaves unchecked, so does this).
    public init(_ fields: some Sequence<(String, String)>) {
        var lines = ByteBuffer()
        for (name, value) in fields {
            lines.writeString(name)
            lines.writeStaticString(": ")
            lines.writeString(value)
            lines.writeStaticString("\r\n")
        }
        self.lines = lines
    }

    /// The value of the first field named `name`, if any.
    public func first(name: String) -> String? {
        var found: String?
        forEachField { fieldName, value in
            guard equals(fieldName, name) else { return true }
            found = String(decoding: value, as: UTF8.self)
            return false
        }
        return found
    }

    /// The values of every field named `name`, in order.
    public subscript(name: String) -> [String] {
        var values: [String] = []
        forEachField { fieldName, value in
            if equals(fieldName, name) { values.append(String(decoding: value, as: UTF8.self)) }
            return true
        }
        return values
    }

    /// The fields as `HTTPHeaders`.
    public var httpHeaders: HTTPHeaders {
        var headers = HTTPHeaders()
        for (name, value) in self { headers.add(name: name, value: value) }
        return headers
    }

    public func makeIterator() -> IndexingIterator<[Element]> {
        var all: [Element] = []
        forEachField { name, value in
            all.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            return true
        }
        return all.makeIterator()
    }

    public var description: String { map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    public static func == (lhs: HTTP1Fields, rhs: HTTP1Fields) -> Bool {
        lhs.elementsEqual(rhs) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Calls `body` with each field's name and value bytes, in order, while it returns true.
    private func forEachField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        lines.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count {
                let lf = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                var end = lf
                if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                guard end > start, let colon = bytes[start..<end].firstIndex(of: UInt8(ascii: ":")) else { return }
                var valueStart = colon + 1
                var valueEnd = end
                while valueStart < valueEnd, Self.isSpace(bytes[valueStart]) { valueStart += 1 }
                while valueEnd > valueStart, Self.isSpace(bytes[valueEnd - 1]) { valueEnd -= 1 }
                let name = UnsafeRawBufferPointer(rebasing: bytes[start..<colon])
                let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd])
                guard body(name, value) else { return }
                start = lf + 1
            }
        }
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// ASCII case-insensitive equality of a field name with `name`.
    private func equals(_ bytes: UnsafeRawBufferPointer, _ name: String) -> Bool {
        let other = name.utf8
        guard bytes.count == other.count else { return false }
        return zip(bytes, other).allSatisfy { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }
}
