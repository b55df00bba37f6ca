import NIOCore

extension JSONValue {
    /// Appends the compact JSON text of this value to `buffer`: no whitespace, object keys in
    /// stored order, numbers as their literal text, strings escaped minimally (see
    /// `writeEscapedString(_:into:)`). A number whose text is not a valid JSON number (such as the
    /// `"null"` that `JSONValue.double(.nan)` produces) is written as `null`.
    ///
    /// The text goes straight into the buffer's storage, reserved from the cheap
    /// `JSONWriter.estimatedByteCount(of:)`: one allocation of about the right size, no
    /// intermediate copy (unless escapes outgrow the buffer's spare capacity).
    public func write(into buffer: inout ByteBuffer) {
        write(into: &buffer, estimatedByteCount: JSONWriter.estimatedByteCount(of: self))
    }

    /// Appends the compact JSON text of this value to `buffer`, with room for
    /// `estimatedByteCount` bytes made first instead of a walk of the tree to estimate it: for
    /// a caller that knows about how long the text is (a translation is about as long as what
    /// it translates). A low estimate costs a copy, never a wrong text.
    public func write(into buffer: inout ByteBuffer, estimatedByteCount: Int) {
        JSONWriter.write(into: &buffer, estimatedByteCount: estimatedByteCount) { writer in
            writer.write(self)
        }
    }

    /// Appends the compact JSON text of this value to `bytes`; see `write(into:)` on `ByteBuffer`.
    public func write(into bytes: inout [UInt8]) {
        bytes.append(contentsOf: jsonBytes)
    }

    /// The compact JSON text of this value as UTF-8 bytes.
    public var jsonBytes: [UInt8] {
        let length = jsonByteCount
        return [UInt8](unsafeUninitializedCapacity: length) { storage, initialized in
            var writer = JSONWriter(window: UnsafeMutableRawBufferPointer(storage))
            writer.write(self)
            precondition(writer.output.isInWindow && writer.output.count == length)
            initialized = length
        }
    }

    /// The compact JSON text of this value, for example `{"a":1,"b":[true,null]}`.
    public var jsonString: String {
        let length = jsonByteCount
        return String(unsafeUninitializedCapacity: length) { storage in
            var writer = JSONWriter(window: UnsafeMutableRawBufferPointer(storage))
            writer.write(self)
            precondition(writer.output.isInWindow && writer.output.count == length)
            return length
        }
    }

    /// The length in bytes of the compact JSON text (`jsonBytes.count`), computed without
    /// writing it or allocating.
    public var jsonByteCount: Int { JSONWriter.byteCount(of: self) }

    /// Appends `string` as a JSON string literal, quotes included, to `buffer`.
    ///
    /// Escapes `"` and `\` as `\"` and `\\`, control characters as `\n`, `\r`, `\t`, `\b`, `\f` or
    /// `\u00xx` (lowercase hex); everything else, `/` and non-ASCII included, is copied as UTF-8.
    /// For code that renders JSON by hand, such as server-sent events. Written straight into the
    /// buffer's storage, like `write(into:)`.
    public static func writeEscapedString(_ string: String, into buffer: inout ByteBuffer) {
        JSONWriter.write(into: &buffer, estimatedByteCount: JSONWriter.estimatedByteCount(ofString: string)) { writer in
            writer.writeString(string)
        }
    }
}

/// The compact serializer. It writes into a `ByteAccumulator` (cheap appends, strings escaped a
/// block at a time by `escapeBlock`), empty or on a window of the destination's memory,
/// which the public API uses to write there directly.
///
/// Recursion follows the value's nesting, which the parser bounds.
struct JSONWriter: ~Copyable {
    var output: ByteAccumulator

    /// A writer with a growable output.
    init() { output = ByteAccumulator() }

    /// A writer into `window`; see `ByteAccumulator.init(window:)`.
    init(window: UnsafeMutableRawBufferPointer) { output = ByteAccumulator(window: window) }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null:
            output.append("null")
        case .bool(let flag):
            output.append(flag ? "true" : "false")
        case .number(let literal):
            writeNumber(literal)
        case .string(let string):
            string.write(to: &self)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            // Elements and members are read in place (`members[position].key`), not bound to a
            // loop variable, which copies them: a retain and a release for each key and value.
            elements.withUnsafeBufferPointer { elements in
                for position in elements.indices {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    write(elements[position])
                }
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            if let verbatim = object.verbatim {
                output.append(verbatim.bytes)
                return
            }
            output.append(UInt8(ascii: "{"))
            object.storage.withUnsafeBufferPointer { members in
                for position in members.indices {
                    if position > 0 { output.append(UInt8(ascii: ",")) }
                    writeString(members[position].key)
                    output.append(UInt8(ascii: ":"))
                    write(members[position].value)
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
                var index = 0
                while index < utf8.count {
                    index = Self.escapeBlock(base, from: index, end: utf8.count, into: &output)
                }
            }
            output.append(JSONBytes.quote)
        }
    }

    /// Escapes from `p[from...]` into `output` as much as its free space holds (up to about
    /// 4 KB of input), and returns where it stopped.
    ///
    /// Within the block the output position lives in a local: stores through it cannot be
    /// taken for writes to the accumulator's own fields, which a store per run or per escape
    /// otherwise makes the compiler load again. Bytes between escapes go eight at a time. The
    /// block never asks for more than the free space, so a window sized to the text (`jsonBytes`)
    /// stays a window; with little space left, one byte goes at a time, reserved exactly.
    @inline(__always)
    private static func escapeBlock(
        _ p: UnsafePointer<UInt8>, from: Int, end: Int, into output: inout ByteAccumulator
    ) -> Int {
        // Each step stores at most 14 bytes: an 8-byte word and a 6-byte escape.
        let free = output.freeCapacity
        guard free >= 78 else {
            let byte = p[from]
            if JSONBytes.isStringSpecial(byte) {
                output.append(upTo: JSONBytes.escapeLength(for: byte)) { out in
                    JSONBytes.writeEscape(for: byte, to: out)
                }
            } else {
                output.append(byte)
            }
            return from &+ 1
        }
        let blockEnd = min(end, from &+ 4096)
        let room = min((blockEnd &- from) &+ 64, free)
        var index = from
        output.append(upTo: room) { raw in
            let start = raw.assumingMemoryBound(to: UInt8.self)
            var out = start
            let limit = start + (room &- 14)
            #if _endian(little)
            while blockEnd &- index >= 8, out < limit {
                let word = UnsafeRawPointer(p + index).loadUnaligned(as: UInt64.self)
                let mask = JSONBytes.stringSpecialMask(word)
                UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                if mask == 0 {
                    out += 8
                    index &+= 8
                    continue
                }
                let length = mask.trailingZeroBitCount &>> 3
                out += length
                out += JSONBytes.writeEscape(for: p[index &+ length], to: UnsafeMutableRawPointer(out))
                index &+= length &+ 1
            }
            #endif
            while index < blockEnd, out < limit {
                let byte = p[index]
                if JSONBytes.isStringSpecial(byte) {
                    out += JSONBytes.writeEscape(for: byte, to: UnsafeMutableRawPointer(out))
                } else {
                    out.pointee = byte
                    out += 1
                }
                index &+= 1
            }
            return out - start
        }
        return index
    }

    /// Runs `body` with a writer on `buffer`'s writable bytes (see `ByteBuffer.writeJSON`).
    static func write(
        into buffer: inout ByteBuffer, estimatedByteCount: Int, _ body: (inout JSONWriter) -> Void
    ) {
        buffer.writeJSON(estimatedByteCount: estimatedByteCount) { stream in body(&stream.base) }
    }

    /// The length of `value`'s compact text if no string needs escapes: a lower bound that takes
    /// no string scanning, only the tree walk.
    static func estimatedByteCount(of value: JSONValue) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let literal): return max(literal.utf8.count, 4)
        case .string(let string): return string.estimatedByteCount
        case .array(let elements):
            var total = 2 &+ max(elements.count &- 1, 0)
            elements.withUnsafeBufferPointer { elements in
                for position in elements.indices { total &+= estimatedByteCount(of: elements[position]) }
            }
            return total
        case .object(let object):
            if let verbatim = object.verbatim { return verbatim.bytes.readableBytes }
            var total = 2 &+ max(object.storage.count &- 1, 0) &+ object.storage.count
            object.storage.withUnsafeBufferPointer { members in
                for position in members.indices {
                    total &+=
                        estimatedByteCount(ofString: members[position].key)
                        &+ estimatedByteCount(of: members[position].value)
                }
            }
            return total
        }
    }

    @inline(__always)
    static func estimatedByteCount(ofString string: String) -> Int { string.utf8.count &+ 2 }

    /// The length of `value`'s compact text: what `write(_:)` appends.
    static func byteCount(of value: JSONValue) -> Int {
        switch value {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let literal):
            return withUTF8(of: literal) { utf8 in JSONBytes.isValidNumberLiteral(utf8) ? utf8.count : 4 }
        case .string(let string):
            return string.jsonByteCount
        case .array(let elements):
            // Brackets and the commas between elements.
            var total = 2 &+ max(elements.count &- 1, 0)
            elements.withUnsafeBufferPointer { elements in
                for position in elements.indices { total &+= byteCount(of: elements[position]) }
            }
            return total
        case .object(let object):
            if let verbatim = object.verbatim { return verbatim.bytes.readableBytes }
            // Braces, the commas between members and one colon per member.
            var total = 2 &+ max(object.storage.count &- 1, 0) &+ object.storage.count
            object.storage.withUnsafeBufferPointer { members in
                for position in members.indices {
                    total &+= byteCount(ofString: members[position].key) &+ byteCount(of: members[position].value)
                }
            }
            return total
        }
    }

    /// The length of `string` as a quoted, escaped literal: what `writeString(_:)` appends.
    static func byteCount(ofString string: String) -> Int {
        withUTF8(of: string) { utf8 in
            var total = 2 &+ utf8.count
            guard let base = utf8.baseAddress else { return total }
            let end = utf8.count
            var special = JSONBytes.firstStringSpecial(base, from: 0, end: end)
            while special < end {
                // The escape replaces the byte.
                total &+= JSONBytes.escapeLength(for: base[special]) &- 1
                special = JSONBytes.firstStringSpecial(base, from: special &+ 1, end: end)
            }
            return total
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
