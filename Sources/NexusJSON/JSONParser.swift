import NIOCore

extension JSONValue {
    /// The default nesting limit of the `parse` functions: arrays and objects nested deeper are rejected.
    public static let defaultMaxDepth = 256

    /// Parses exactly one JSON text (RFC 8259, strict) from UTF-8 bytes.
    ///
    /// Safe on untrusted input: every malformed input throws, nothing traps, and nesting is handled
    /// without recursion.
    /// - Whitespace may surround the value; anything else after it is an error. A leading UTF-8
    ///   byte order mark is ignored (RFC 8259 §8.1 allows it).
    /// - Numbers keep their literal text verbatim (`1.0`, `-0`, `1e400`, 30-digit integers).
    /// - Strings must be valid UTF-8 without raw control characters. A `\u` escape of a lone
    ///   surrogate decodes to U+FFFD (some encoders emit those) instead of failing.
    /// - Duplicate object keys: the last value wins, kept at the position of the first occurrence.
    ///   Keys compare like Swift strings, as `JSONObject` lookups do.
    /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted (`[[]]` is 2).
    ///   Parsing itself never recurses, but serializing, comparing and destroying a value do, once
    ///   per level: keep the limit in the hundreds.
    /// - Throws: `JSONParseError` with the position and a short reason fit for API clients.
    public static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int = JSONValue.defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        try parse(bytes, maxDepth: maxDepth, literalSource: nil)
    }

    /// Parses `bytes`; with a `literalSource` (the buffer whose readable bytes they are), long
    /// string values are kept as checked literals, slices of it.
    static func parse(
        _ bytes: UnsafeRawBufferPointer,
        maxDepth: Int,
        literalSource: ByteBuffer?,
        verbatimKeys: [String] = []
    ) throws(JSONParseError) -> JSONValue {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw JSONParseError(offset: 0, line: 1, column: 1, reason: "Unexpected end of input")
        }
        // Raw bytes are read as UInt8, the type every byte is compatible with.
        let start = base.assumingMemoryBound(to: UInt8.self)
        var parser = JSONParser(
            start: start, end: bytes.count, maxDepth: maxDepth, literalSource: literalSource,
            verbatimKeys: verbatimKeys)
        return try parser.parseDocument()
    }

    /// Parses the readable bytes of `buffer` in place (no copy); see `parse(_:maxDepth:)` on raw bytes.
    ///
    /// String values of `JSONString.literalThreshold` bytes or more come out as checked literals:
    /// slices of `buffer`, written back as they came (see `JSONString`).
    ///
    /// - Parameter verbatimKeys: object members with one of these keys keep an object value as
    ///   its checked text, a slice of `buffer` (see `JSONObject`), when it is compact and needs
    ///   nothing normalized (`VerbatimScanner`); as a tree otherwise. For values that pass
    ///   through unread, such as tool schemas.
    public static func parse(
        _ buffer: ByteBuffer,
        maxDepth: Int = JSONValue.defaultMaxDepth,
        verbatimKeys: [String] = []
    ) throws(JSONParseError) -> JSONValue {
        try buffer.withUnsafeReadableBytes { (bytes) throws(JSONParseError) -> JSONValue in
            try parse(bytes, maxDepth: maxDepth, literalSource: buffer, verbatimKeys: verbatimKeys)
        }
    }

    /// Parses UTF-8 bytes; see `parse(_:maxDepth:)` on raw bytes.
    public static func parse(
        _ bytes: [UInt8],
        maxDepth: Int = JSONValue.defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) -> JSONValue in try parse(raw, maxDepth: maxDepth) }
        }
        return try result.get()
    }

    /// Parses a string's UTF-8; see `parse(_:maxDepth:)` on raw bytes.
    public static func parse(
        _ string: String,
        maxDepth: Int = JSONValue.defaultMaxDepth
    ) throws(JSONParseError) -> JSONValue {
        var string = string
        let result = string.withUTF8 { utf8 in
            Result { () throws(JSONParseError) -> JSONValue in
                try parse(UnsafeRawBufferPointer(utf8), maxDepth: maxDepth)
            }
        }
        return try result.get()
    }
}

/// A single-pass parser over contiguous bytes. Containers are tracked on explicit stacks, so the
/// machine stack does not grow with the input's nesting.
struct JSONParser: ~Copyable {
    private let start: UnsafePointer<UInt8>
    /// Number of input bytes; every read checks `index < end` first.
    private let end: Int
    private var index = 0
    private let maxDepth: Int
    /// Decoding buffer for strings with escapes, reused for every such string of one parse.
    private var scratch = ByteAccumulator()
    /// The buffer whose readable bytes are the input, when long string values may be kept as
    /// slices of it (`JSONString`).
    private let literalSource: ByteBuffer?
    /// Keys whose object values are kept verbatim (only with a `literalSource`).
    private let verbatimKeys: [String]
    private var verbatimScanner = VerbatimScanner()

    init(
        start: UnsafePointer<UInt8>, end: Int, maxDepth: Int, literalSource: ByteBuffer? = nil,
        verbatimKeys: [String] = []
    ) {
        self.start = start
        self.end = end
        self.maxDepth = maxDepth
        self.literalSource = literalSource
        self.verbatimKeys = verbatimKeys
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        if end >= 3, start[0] == 0xEF, start[1] == 0xBB, start[2] == 0xBF { index = 3 }
        let value = try parseValueTree()
        skipWhitespace()
        guard index >= end else {
            throw error("\(unexpected(at: index)) after the JSON value", at: index)
        }
        return value
    }

    // MARK: Values and containers

    private enum Container {
        case array
        case object
    }

    /// Parses one value, containers included, iteratively: opening a container pushes it on the
    /// stacks; each finished value is appended to the innermost container, which may then close.
    private mutating func parseValueTree() throws(JSONParseError) -> JSONValue {
        var containers: [Container] = []
        var arrays: [[JSONValue]] = []
        var objects: [ObjectBuilder] = []
        // A stack gets room for API documents' usual nesting on its first push, instead of
        // growing from one element (fewer allocations for deep documents, none more for flat ones).

        nextValue: while true {
            skipWhitespace()
            guard index < end else { throw unexpectedEnd() }
            var value: JSONValue
            switch start[index] {
            case UInt8(ascii: "["):
                guard containers.count < maxDepth else { throw depthError() }
                index &+= 1
                skipWhitespace()
                if index < end, start[index] == UInt8(ascii: "]") {
                    index &+= 1
                    value = .array([])
                } else {
                    if containers.capacity == 0 { containers.reserveCapacity(16) }
                    if arrays.capacity == 0 { arrays.reserveCapacity(4) }
                    containers.append(.array)
                    arrays.append([])
                    continue nextValue
                }
            case UInt8(ascii: "{"):
                guard containers.count < maxDepth else { throw depthError() }
                if !verbatimKeys.isEmpty, containers.last == .object,
                    let object = verbatimObject(
                        for: objects[objects.count &- 1].pendingKey, depthLeft: maxDepth &- containers.count)
                {
                    value = .object(object)
                    break
                }
                index &+= 1
                skipWhitespace()
                if index < end, start[index] == UInt8(ascii: "}") {
                    index &+= 1
                    value = .object(JSONObject())
                } else {
                    let key = try parseMemberKey()
                    if containers.capacity == 0 { containers.reserveCapacity(16) }
                    if objects.capacity == 0 { objects.reserveCapacity(8) }
                    containers.append(.object)
                    objects.append(ObjectBuilder(pendingKey: key))
                    continue nextValue
                }
            default:
                value = try parseScalar()
            }

            // Hand the finished value to its container; close every container that ends here.
            while let container = containers.last {
                skipWhitespace()
                guard index < end else { throw unexpectedEnd() }
                let separator = start[index]
                switch container {
                case .array:
                    arrays[arrays.count &- 1].append(consume value)
                    if separator == UInt8(ascii: ",") {
                        index &+= 1
                        continue nextValue
                    }
                    guard separator == UInt8(ascii: "]") else {
                        throw error("Expected ',' or ']' but found \(found(at: index))", at: index)
                    }
                    index &+= 1
                    containers.removeLast()
                    value = .array(arrays.removeLast())
                case .object:
                    objects[objects.count &- 1].add(consume value)
                    if separator == UInt8(ascii: ",") {
                        index &+= 1
                        skipWhitespace()
                        objects[objects.count &- 1].pendingKey = try parseMemberKey()
                        continue nextValue
                    }
                    guard separator == UInt8(ascii: "}") else {
                        throw error("Expected ',' or '}' but found \(found(at: index))", at: index)
                    }
                    index &+= 1
                    containers.removeLast()
                    value = .object(objects.removeLast().build())
                }
            }
            return value
        }
    }

    /// The object at `index` kept verbatim, and `index` past it, when it is the value of one of
    /// `verbatimKeys` and `VerbatimScanner` takes it; nil, `index` unmoved, otherwise.
    private mutating func verbatimObject(for key: String?, depthLeft: Int) -> JSONObject? {
        guard let key, let literalSource, verbatimKeys.contains(key),
            let (objectEnd, count) = verbatimScanner.scanObject(start, from: index, end: end, maxDepth: depthLeft)
        else { return nil }
        let slice = literalSource.getSlice(at: literalSource.readerIndex &+ index, length: objectEnd &- index)!
        index = objectEnd
        return JSONObject(verbatim: JSONVerbatimObject(bytes: slice, count: count))
    }

    /// Parses a string, number, `true`, `false` or `null` starting at `index` (< `end`).
    private mutating func parseScalar() throws(JSONParseError) -> JSONValue {
        switch start[index] {
        case JSONBytes.quote:
            return .string(try parseStringValue())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try consumeLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try consumeLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try consumeLiteral("null")
            return .null
        default:
            throw error(unexpected(at: index), at: index)
        }
    }

    /// Parses `"key"` and the `:` after it (leading whitespace already skipped).
    private mutating func parseMemberKey() throws(JSONParseError) -> String {
        guard index < end else { throw unexpectedEnd() }
        guard start[index] == JSONBytes.quote else {
            throw error("Expected a double-quoted object key but found \(found(at: index))", at: index)
        }
        let key = try parseString()
        skipWhitespace()
        guard index < end else { throw unexpectedEnd() }
        guard start[index] == UInt8(ascii: ":") else {
            throw error("Expected ':' after object key but found \(found(at: index))", at: index)
        }
        index &+= 1
        return key
    }

    // MARK: Scalars

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < end {
            switch start[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index &+= 1
            default: return
            }
        }
    }

    private mutating func consumeLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        let expected = literal.utf8Start
        guard end &- index >= length else {
            throw error("Invalid literal, expected '\(literal)'", at: index)
        }
        for k in 0..<length where start[index &+ k] != expected[k] {
            throw error("Invalid literal, expected '\(literal)'", at: index)
        }
        index &+= length
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        switch JSONBytes.scanNumber(start, from: index, end: end) {
        case .valid(let numberEnd):
            let literal = UnsafeBufferPointer(start: start + index, count: numberEnd &- index)
            index = numberEnd
            return String(decoding: literal, as: UTF8.self)
        case .invalid(let reason, let offset):
            throw error(reason, at: offset)
        }
    }

    // MARK: Strings

    /// Parses a string value; `index` is on its opening quote. With a `literalSource`, a long
    /// string becomes a checked literal; anything else (and any error) takes `parseString`.
    private mutating func parseStringValue() throws(JSONParseError) -> JSONString {
        guard let literalSource else { return JSONString(try parseString()) }
        let contentStart = index &+ 1
        var sawNonASCII = false
        let special = JSONBytes.firstStringSpecial(start, from: contentStart, end: end, sawNonASCII: &sawNonASCII)
        if special < end, start[special] == JSONBytes.quote, special &- contentStart < JSONString.literalThreshold {
            // A short string without escapes: `parseString`'s fast path, without scanning again.
            index = special &+ 1
            let content = UnsafeBufferPointer(start: start + contentStart, count: special &- contentStart)
            return JSONString(
                try makeString(content, validating: sawNonASCII, sourceStart: contentStart, sourceEnd: special))
        }
        if let literal = checkedLiteral(
            contentStart: contentStart, from: special, sawNonASCII: sawNonASCII, in: literalSource)
        {
            return literal
        }
        return JSONString(try parseString())
    }

    /// The string whose content starts at `contentStart` as a checked literal, scanning on from
    /// `position` (the first `"`, `\` or control character), and `index` past it. Nil, `index`
    /// unmoved, for a string that is short, holds a `\u` escape of a lone surrogate (decoded to
    /// U+FFFD), or is invalid: `parseString` takes those, and reports the errors.
    private mutating func checkedLiteral(
        contentStart: Int, from position: Int, sawNonASCII: Bool, in source: ByteBuffer
    ) -> JSONString? {
        guard
            let (closingQuote, hasEscapes, sawNonASCII) = JSONBytes.checkString(
                start, from: position, end: end, sawNonASCII: sawNonASCII)
        else { return nil }
        let length = closingQuote &- contentStart
        guard length >= JSONString.literalThreshold else { return nil }
        if sawNonASCII, JSONBytes.firstInvalidUTF8(start, from: contentStart, end: closingQuote) != nil { return nil }
        index = closingQuote &+ 1
        let slice = source.getSlice(at: source.readerIndex &+ contentStart, length: length)!
        return JSONString(literal: slice, hasEscapes: hasEscapes)
    }

    /// The text of a literal's content checked by `checkedLiteral`: escapes are valid and
    /// surrogate escapes come in pairs, so nothing here can fail.
    static func decodeCheckedLiteral(_ content: UnsafeBufferPointer<UInt8>) -> String {
        guard let p = content.baseAddress else { return "" }
        let end = content.count
        var text = ByteAccumulator()
        var i = 0
        while i < end {
            let special = JSONBytes.firstStringSpecial(p, from: i, end: end)
            text.append(p + i, count: special &- i)
            guard special < end else { break }
            let letter = p[special &+ 1]
            if let decoded = JSONBytes.unescaped(letter) {
                text.append(decoded)
                i = special &+ 2
                continue
            }
            let unit = JSONBytes.hex4(p, at: special &+ 2, end: end) ?? 0xFFFD
            if (0xD800...0xDBFF).contains(unit), let low = JSONBytes.hex4(p, at: special &+ 8, end: end) {
                text.appendScalar(0x10000 &+ ((unit &- 0xD800) << 10 | (low &- 0xDC00)))
                i = special &+ 12
            } else {
                text.appendScalar(unit)
                i = special &+ 6
            }
        }
        return String(decoding: text.bytes, as: UTF8.self)
    }

    /// Parses a string literal; `index` is on its opening quote.
    private mutating func parseString() throws(JSONParseError) -> String {
        let openingQuote = index
        let contentStart = index &+ 1
        var sawNonASCII = false
        index = JSONBytes.firstStringSpecial(start, from: contentStart, end: end, sawNonASCII: &sawNonASCII)
        guard index < end else { throw error("Unterminated string", at: openingQuote) }
        guard start[index] == JSONBytes.quote else {
            return try parseEscapedString(
                contentStart: contentStart, openingQuote: openingQuote, sawNonASCII: sawNonASCII)
        }
        // Fast path: no escapes, the content is the string's UTF-8 as is.
        let content = UnsafeBufferPointer(start: start + contentStart, count: index &- contentStart)
        index &+= 1
        return try makeString(content, validating: sawNonASCII, sourceStart: contentStart, sourceEnd: index &- 1)
    }

    /// Slow path for strings with escapes (or errors); `index` is on the first `\` or control character.
    /// The content is decoded into `scratch` a block at a time (`decodeBlock`); what a block
    /// leaves (`\u` escapes, errors, the closing quote) is handled here. Decoded escapes are
    /// always valid UTF-8, so only raw non-ASCII bytes call for validation.
    private mutating func parseEscapedString(
        contentStart: Int,
        openingQuote: Int,
        sawNonASCII: Bool
    ) throws(JSONParseError) -> String {
        scratch.removeAll()
        var sawNonASCII = sawNonASCII
        // The first run was scanned already.
        scratch.append(start + contentStart, count: index &- contentStart)
        while true {
            guard index < end else { throw error("Unterminated string", at: openingQuote) }
            let byte = start[index]
            if byte == JSONBytes.quote { break }
            if JSONBytes.isStringSpecial(byte), byte != JSONBytes.backslash {
                throw error("Unescaped control character \(Self.codePoint(UInt32(byte))) in string", at: index)
            }
            let before = index
            decodeBlock(sawNonASCII: &sawNonASCII)
            // A block stops without moving only on an escape it leaves to `decodeEscape` (`\u`,
            // invalid, or cut off by the end of input).
            if index == before { index = try decodeEscape(at: index, openingQuote: openingQuote) }
        }
        let contentEnd = index
        index &+= 1
        return try makeString(scratch.bytes, validating: sawNonASCII, sourceStart: contentStart, sourceEnd: contentEnd)
    }

    /// Decodes string content from `index` into `scratch`, up to about 4 KB of input: plain
    /// bytes eight at a time, one-letter escapes (`\n`, `\"`, …) inline. Stops at the closing
    /// quote, a control character, a `\u` or invalid escape (for the caller), or the block's end.
    ///
    /// The output position lives in a local for the whole block: stored bytes cannot alias the
    /// accumulator's fields, which a store per run otherwise makes the compiler load again. The
    /// decoded text is never longer than its source, so the block's reservation always holds it.
    @inline(__always)
    private mutating func decodeBlock(sawNonASCII: inout Bool) {
        let blockEnd = min(end, index &+ 4096)
        let p = start
        var position = index
        var seen: UInt64 = 0
        scratch.append(upTo: (blockEnd &- position) &+ 16) { raw in
            let first = raw.assumingMemoryBound(to: UInt8.self)
            var out = first
            while position < blockEnd {
                #if _endian(little)
                if blockEnd &- position >= 8 {
                    let word = UnsafeRawPointer(p + position).loadUnaligned(as: UInt64.self)
                    let mask = JSONBytes.stringSpecialMask(word)
                    UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                    if mask == 0 {
                        seen |= word
                        out += 8
                        position &+= 8
                        continue
                    }
                    // The lowest flagged byte is exact (borrows only propagate upwards).
                    let length = mask.trailingZeroBitCount &>> 3
                    seen |= word & ((1 &<< UInt64(length &* 8)) &- 1)
                    out += length
                    position &+= length
                }
                #endif
                let byte = p[position]
                if !JSONBytes.isStringSpecial(byte) {
                    seen |= UInt64(byte)
                    out.pointee = byte
                    out += 1
                    position &+= 1
                    continue
                }
                guard byte == JSONBytes.backslash, position &+ 1 < end,
                    let decoded = JSONBytes.unescaped(p[position &+ 1])
                else { break }  // `\u`, invalid, or cut off: the caller's
                out.pointee = decoded
                out += 1
                position &+= 2
            }
            return out - first
        }
        index = position
        if seen & 0x8080_8080_8080_8080 != 0 { sawNonASCII = true }
    }

    /// Decodes the escape whose backslash is at `offset` into `scratch`; returns where it ends.
    @inline(__always)
    private mutating func decodeEscape(at offset: Int, openingQuote: Int) throws(JSONParseError) -> Int {
        guard offset &+ 1 < end else { throw error("Unterminated string", at: openingQuote) }
        let letter = start[offset &+ 1]
        if let decoded = JSONBytes.unescaped(letter) {
            scratch.append(decoded)
            return offset &+ 2
        }
        guard letter == UInt8(ascii: "u") else {
            throw error("Invalid escape sequence '\\\(escapedCharacter(at: offset &+ 1))' in string", at: offset)
        }
        let (scalar, next) = try decodeUnicodeEscape(at: offset)
        scratch.appendScalar(scalar)
        return next
    }

    /// Decodes `\uXXXX` at `offset`, joining a following low-surrogate escape; lone surrogates
    /// become U+FFFD. Returns the scalar value and where the escape ends.
    private func decodeUnicodeEscape(at offset: Int) throws(JSONParseError) -> (scalar: UInt32, next: Int) {
        guard let unit = hex4(at: offset &+ 2) else {
            throw error("Invalid \\u escape in string, expected 4 hex digits", at: offset)
        }
        let next = offset &+ 6
        switch unit {
        case 0xD800...0xDBFF:
            if end &- next >= 6, start[next] == JSONBytes.backslash, start[next &+ 1] == UInt8(ascii: "u"),
                let low = hex4(at: next &+ 2), (0xDC00...0xDFFF).contains(low)
            {
                return (0x10000 &+ ((unit &- 0xD800) << 10 | (low &- 0xDC00)), next &+ 6)
            }
            return (0xFFFD, next)
        case 0xDC00...0xDFFF:
            return (0xFFFD, next)
        default:
            return (unit, next)
        }
    }

    /// Makes a String from UTF-8 bytes; when `validating`, rejects invalid UTF-8 (reported within
    /// `sourceStart..<sourceEnd`). Pure ASCII needs no validation.
    ///
    /// `String(validating:as:)` validates and copies in one pass and fails instead of repairing,
    /// so nothing needs comparing afterwards.
    @inline(__always)
    private func makeString(
        _ content: UnsafeBufferPointer<UInt8>,
        validating: Bool,
        sourceStart: Int,
        sourceEnd: Int
    ) throws(JSONParseError) -> String {
        guard !content.isEmpty else { return "" }
        guard validating else { return String(decoding: content, as: UTF8.self) }
        guard let string = String(validating: content, as: UTF8.self) else {
            // Escapes are ASCII and decode to whole sequences, so the source holds the bad byte.
            throw invalidUTF8Error(from: sourceStart, to: sourceEnd)
        }
        return string
    }

    /// The value of four hex digits at `offset`, or nil.
    private func hex4(at offset: Int) -> UInt32? { JSONBytes.hex4(start, at: offset, end: end) }

    // MARK: Errors

    private func error(_ reason: String, at offset: Int) -> JSONParseError {
        JSONParseError(reason: reason, offset: offset, in: UnsafeBufferPointer(start: start, count: end))
    }

    private func unexpectedEnd() -> JSONParseError {
        error("Unexpected end of input", at: end)
    }

    private func depthError() -> JSONParseError {
        error("Nesting too deep (the limit is \(maxDepth) levels)", at: index)
    }

    private func invalidUTF8Error(from: Int, to: Int) -> JSONParseError {
        let offset = JSONBytes.firstInvalidUTF8(start, from: from, end: to) ?? from
        let byte = offset < end ? start[offset] : 0
        return error("Invalid UTF-8 byte 0x\(Self.hex2(byte)) in string", at: offset)
    }

    /// `Unexpected character 'x'`, `Unexpected control character U+0001`, … for the byte at `offset`.
    private func unexpected(at offset: Int) -> String {
        guard offset < end else { return "Unexpected end of input" }
        let description = found(at: offset)
        return description.hasPrefix("'") ? "Unexpected character \(description)" : "Unexpected \(description)"
    }

    /// A short description of what is at `offset`: `'}'`, `'é' (U+00E9)`, `control character U+0001`,
    /// `invalid UTF-8 byte 0xFF` or `end of input`.
    private func found(at offset: Int) -> String {
        guard offset < end else { return "end of input" }
        let byte = start[offset]
        switch byte {
        case 0x20...0x7E:
            return "'\(Character(Unicode.Scalar(byte)))'"
        case 0x00..<0x20, 0x7F:
            return "control character \(Self.codePoint(UInt32(byte)))"
        default:
            guard let (scalar, _) = JSONBytes.decodeScalar(start, at: offset, end: end) else {
                return "invalid UTF-8 byte 0x\(Self.hex2(byte))"
            }
            return "'\(scalar)' (\(Self.codePoint(scalar.value)))"
        }
    }

    /// The character after a backslash, as shown in an error: `x`, `é` or `U+0001`.
    private func escapedCharacter(at offset: Int) -> String {
        let byte = start[offset]
        if byte >= 0x20 && byte < 0x7F { return String(Unicode.Scalar(byte)) }
        if byte >= 0x80, let (scalar, _) = JSONBytes.decodeScalar(start, at: offset, end: end) { return String(scalar) }
        return Self.codePoint(UInt32(byte))
    }

    /// `U+0001`-style notation.
    private static func codePoint(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private static func hex2(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return hex.count == 1 ? "0" + hex : hex
    }
}

/// Collects an object's members, merging duplicate keys (last value, first position).
private struct ObjectBuilder {
    /// Above this many members, duplicates are found with a hash index instead of a linear scan,
    /// so a huge object cannot make parsing quadratic.
    private static let linearScanLimit = 12

    private var members: [JSONObject.Element] = []
    private var positions: [String: Int] = [:]
    /// The key whose value is being parsed; `add` moves it into the member it makes.
    var pendingKey: String?

    init(pendingKey: String) {
        self.pendingKey = pendingKey
        members.reserveCapacity(4)  // typical API objects are small; skips two regrowths
    }

    /// Adds `value` under `pendingKey` (moved, not copied; the last of duplicate keys wins).
    mutating func add(_ value: consuming JSONValue) {
        let key = pendingKey.take()!
        if members.count < Self.linearScanLimit {
            if let existing = linearPosition(of: key) {
                members[existing].value = value
            } else {
                members.append((key: key, value: value))
            }
            return
        }
        if positions.isEmpty {
            positions.reserveCapacity(members.count &* 2)
            for (position, member) in members.enumerated() { positions[member.key] = position }
        }
        if let existing = positions[key] {
            members[existing].value = value
        } else {
            positions[key] = members.count
            members.append((key: key, value: value))
        }
    }

    func build() -> JSONObject { JSONObject(members) }

    /// The position of the member named `key`. Compares keys in place: a `firstIndex(where:)`
    /// closure gets each member as a copy, a retain and a release of its key and value.
    private func linearPosition(of key: String) -> Int? {
        members.withUnsafeBufferPointer { members in
            for position in members.indices where members[position].key == key { return position }
            return nil
        }
    }
}
