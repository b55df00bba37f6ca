import NIOCore

extension JSONValue {
    /// Appends the compact JSON text of this value to `buffer`: no whitespace, object keys in
    /// stored order, numbers as their literal text, strings escaped minimally (see
    /// `writeEscapedString(_:into:)`). A number whose text is not a valid JSON number (such as the
    /// `"null"` that `JSONValue.double(.nan)` produces) is written as `null`.
    public func write(into buffer: inout ByteBuffer) {
        var writer = JSONWriter()
        writer.write(self)
        buffer.writeBytes(UnsafeRawBufferPointer(writer.output.bytes))
    }

    /// Appends the compact JSON text of this value to `bytes`; see `write(into:)` on `ByteBuffer`.
    public func write(into bytes: inout [UInt8]) {
        var writer = JSONWriter()
        writer.write(self)
        bytes.append(contentsOf: writer.output.bytes)
    }

    /// The compact JSON text of this value as UTF-8 bytes.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        writer.write(self)
        return Array(writer.output.bytes)
    }

    /// The compact JSON text of this value, for example `{"a":1,"b":[true,null]}`.
    public var jsonString: String {
        var writer = JSONWriter()
        writer.write(self)
        return String(decoding: writer.output.bytes, as: UTF8.self)
    }

    /// Appends `string` as a JSON string literal, quotes included, to `buffer`.
    ///
    /// Escapes `"` and `\` as `\"` and `\\`, control characters as `\n`, `\r`, `\t`, `\b`, `\f` or
    /// `\u00xx` (lowercase hex); everything else, `/` and non-ASCII included, is copied as UTF-8.
    /// For code that renders JSON by hand, such as server-sent events.
    public static func writeEscapedString(_ string: String, into buffer: inout ByteBuffer) {
        var writer = JSONWriter()
        writer.writeString(string)
        buffer.writeBytes(UnsafeRawBufferPointer(writer.output.bytes))
    }
}

/// The compact serializer. It writes into a `ByteAccumulator` (cheap appends, strings copied in
/// runs between the bytes that need escaping), which the public API copies out once.
///
/// Recursion follows the value's nesting, which the parser bounds.
struct JSONWriter: ~Copyable {
    var output = ByteAccumulator()

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null:
            output.append("null")
        case .bool(let flag):
            output.append(flag ? "true" : "false")
        case .number(let literal):
            writeNumber(literal)
        case .string(let string):
            writeString(string)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { elements in
                for (position, element) in elements.enumerated() {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    write(element)
                }
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            object.storage.withUnsafeBufferPointer { members in
                for (position, member) in members.enumerated() {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    writeString(member.key)
                    output.append(UInt8(ascii: ":"))
                    write(member.value)
                }
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Writes the literal text, or `null` when it is not a JSON number.
    mutating func writeNumber(_ literal: String) {
        Self.withUTF8(of: literal) { utf8 in
            if let digits = utf8.baseAddress, JSONBytes.isValidNumberLiteral(utf8) {
                output.append(digits, count: utf8.count)
            } else {
                output.append("null")
            }
        }
    }

    /// Writes a quoted string literal: runs without special bytes are copied in bulk; `"`, `\`
    /// and control characters are escaped.
    mutating func writeString(_ string: String) {
        Self.withUTF8(of: string) { utf8 in
            output.append(JSONBytes.quote)
            if let base = utf8.baseAddress {
                let end = utf8.count
                var runStart = 0
                while true {
                    let special = JSONBytes.firstStringSpecial(base, from: runStart, end: end)
                    output.append(base + runStart, count: special &- runStart)
                    guard special < end else { break }
                    output.append(upTo: JSONBytes.maxEscapeLength) { out in
                        JSONBytes.writeEscape(for: base[special], to: out)
                    }
                    runStart = special &+ 1
                }
            }
            output.append(JSONBytes.quote)
        }
    }

    /// A string's UTF-8 without copying the string value (native strings are contiguous).
    @inline(__always)
    private static func withUTF8<R>(of string: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = string.utf8.withContiguousStorageIfAvailable(body) { return result }
        var string = string
        return string.withUTF8(body)
    }
}
