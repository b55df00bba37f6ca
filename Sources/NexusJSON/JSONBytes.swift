/// Byte-level helpers shared by the parser and the serializer. All functions take a base pointer
/// and explicit bounds and never read outside `from..<end`.
enum JSONBytes {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// True for the bytes that end a run of plain string content: `"`, `\` and control characters.
    @inline(__always)
    static func isStringSpecial(_ byte: UInt8) -> Bool {
        byte == quote || byte == backslash || byte < 0x20
    }

    /// The index of the first `"`, `\` or control character (< 0x20) in `p[from..<end]`, or `end`.
    @inline(__always)
    static func firstStringSpecial(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var ignored = false
        return firstStringSpecial(p, from: from, end: end, sawNonASCII: &ignored)
    }

    /// The index of the first `"`, `\` or control character (< 0x20) in `p[from..<end]`, or `end`.
    /// Sets `sawNonASCII` when a byte before that index may be >= 0x80; it may also flag a byte
    /// just past it, so only "not set" is exact: the bytes scanned were all ASCII.
    ///
    /// Scans eight bytes at a time: string content is most of a request's bytes.
    @inline(__always)
    static func firstStringSpecial(
        _ p: UnsafePointer<UInt8>,
        from: Int,
        end: Int,
        sawNonASCII: inout Bool
    ) -> Int {
        var i = from
        var seen: UInt64 = 0
        defer { if seen & 0x8080_8080_8080_8080 != 0 { sawNonASCII = true } }
        while end &- i >= 8 {
            let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            seen |= word
            let mask = stringSpecialMask(word)
            if mask == 0 {
                i &+= 8
                continue
            }
            #if _endian(little)
            // The lowest flagged byte is exact (borrows only propagate upwards).
            return i &+ mask.trailingZeroBitCount &>> 3
            #else
            var k = i
            while !isStringSpecial(p[k]) { k &+= 1 }
            return k
            #endif
        }
        while i < end {
            let byte = p[i]
            if isStringSpecial(byte) { return i }
            seen |= UInt64(byte)
            i &+= 1
        }
        return end
    }

    /// The index of the first byte >= 0x80 in `p[from..<end]`, or `end`. Eight bytes at a time.
    @inline(__always)
    static func firstNonASCII(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        #if _endian(little)
        while end &- i >= 8 {
            let high = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080
            if high != 0 { return i &+ high.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        #endif
        while i < end, p[i] < 0x80 { i &+= 1 }
        return i
    }

    /// The value of the four hex digits at `p[offset...]`, or nil.
    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>, at offset: Int, end: Int) -> UInt32? {
        guard end &- offset >= 4 else { return nil }
        var value: UInt32 = 0
        for k in 0..<4 {
            guard let digit = hexValue(p[offset &+ k]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    /// The length of the text of a string literal's content that the parser checked (valid
    /// escapes, surrogates in pairs): its bytes less what escapes take over their text.
    static func decodedLength(ofCheckedLiteral content: UnsafeBufferPointer<UInt8>) -> Int {
        guard let p = content.baseAddress else { return 0 }
        let end = content.count
        var length = end
        var i = firstStringSpecial(p, from: 0, end: end)
        while i < end {
            if p[i &+ 1] != UInt8(ascii: "u") {
                length &-= 1
                i &+= 2
            } else {
                let unit = hex4(p, at: i &+ 2, end: end) ?? 0
                switch unit {
                case 0..<0x80: length &-= 5
                case 0x80..<0x800: length &-= 4
                case 0xD800...0xDBFF:
                    length &-= 8  // 12 bytes of a pair, 4 of text
                    i &+= 6
                default: length &-= 3
                }
                i &+= 6
            }
            i = firstStringSpecial(p, from: i, end: end)
        }
        return length
    }

    /// Checks a string's content on from `position`, the first `"`, `\` or control character
    /// after `contentStart` (see `firstStringSpecial`): escapes must be valid, `\u` surrogate
    /// escapes must come in pairs, and no control character may appear raw. Returns the index of
    /// the closing quote, whether the content holds escapes, and whether it may hold bytes
    /// >= 0x80 (whose UTF-8 the caller checks); nil when the string is invalid, unterminated, or
    /// escapes a lone surrogate (which the parser decodes to U+FFFD).
    @inline(__always)
    static func checkString(
        _ p: UnsafePointer<UInt8>, from position: Int, end: Int, sawNonASCII: Bool
    ) -> (closingQuote: Int, hasEscapes: Bool, sawNonASCII: Bool)? {
        var position = position
        var sawNonASCII = sawNonASCII
        var hasEscapes = false
        while true {
            guard position < end else { return nil }
            let byte = p[position]
            if byte == quote { return (position, hasEscapes, sawNonASCII) }
            guard byte == backslash, position &+ 1 < end else { return nil }
            hasEscapes = true
            let letter = p[position &+ 1]
            if unescaped(letter) != nil {
                position &+= 2
            } else {
                guard letter == UInt8(ascii: "u"), let unit = hex4(p, at: position &+ 2, end: end) else { return nil }
                switch unit {
                case 0xD800...0xDBFF:
                    let low = position &+ 6
                    guard end &- low >= 6, p[low] == backslash, p[low &+ 1] == UInt8(ascii: "u"),
                        let unit = hex4(p, at: low &+ 2, end: end), (0xDC00...0xDFFF).contains(unit)
                    else { return nil }
                    position = low &+ 6
                case 0xDC00...0xDFFF:
                    return nil
                default:
                    position &+= 6
                }
            }
            position = firstStringSpecial(p, from: position, end: end, sawNonASCII: &sawNonASCII)
        }
    }

    /// A word with the high bit of a byte set when that byte is `"`, `\` or < 0x20, zero when none is.
    @inline(__always)
    static func stringSpecialMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(quote))
        let backslashes = word ^ (ones &* UInt64(backslash))
        let isQuote = (quotes &- ones) & ~quotes
        let isBackslash = (backslashes &- ones) & ~backslashes
        let isControl = (word &- ones &* 0x20) & ~word
        return (isQuote | isBackslash | isControl) & highs
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The value of an ASCII hex digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }
}

// MARK: - String escaping

extension JSONBytes {
    /// The length of the escape sequence `writeEscape(for:to:)` writes for `byte`.
    @inline(__always)
    static func escapeLength(for byte: UInt8) -> Int {
        switch byte {
        case quote, backslash, 0x08, 0x09, 0x0A, 0x0C, 0x0D: 2
        default: 6
        }
    }

    /// The byte a one-letter escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`) stands for, given
    /// its letter; nil for `u` and anything invalid.
    @inline(__always)
    static func unescaped(_ letter: UInt8) -> UInt8? {
        switch letter {
        case quote: quote
        case backslash: backslash
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }

    /// Writes the escape sequence for `"`, `\` or a control character (`\n`, `\r`, `\t`, `\b`,
    /// `\f`, else `\u00xx` in lowercase hex) at `out`; returns its length.
    @inline(__always)
    static func writeEscape(for byte: UInt8, to out: UnsafeMutableRawPointer) -> Int {
        let letter: UInt8
        switch byte {
        case quote: letter = quote
        case backslash: letter = backslash
        case 0x08: letter = UInt8(ascii: "b")
        case 0x09: letter = UInt8(ascii: "t")
        case 0x0A: letter = UInt8(ascii: "n")
        case 0x0C: letter = UInt8(ascii: "f")
        case 0x0D: letter = UInt8(ascii: "r")
        default:
            let prefix: StaticString = "\\u00"
            let hexDigits: StaticString = "0123456789abcdef"
            out.copyMemory(from: prefix.utf8Start, byteCount: 4)
            out.storeBytes(of: hexDigits.utf8Start[Int(byte >> 4)], toByteOffset: 4, as: UInt8.self)
            out.storeBytes(of: hexDigits.utf8Start[Int(byte & 0x0F)], toByteOffset: 5, as: UInt8.self)
            return 6
        }
        out.storeBytes(of: backslash, as: UInt8.self)
        out.storeBytes(of: letter, toByteOffset: 1, as: UInt8.self)
        return 2
    }
}

// MARK: - Number grammar

extension JSONBytes {
    /// The outcome of matching the RFC 8259 number grammar.
    enum NumberScan: Equatable {
        /// A number spans up to (excluding) `end`.
        case valid(end: Int)
        /// The grammar failed at `offset`.
        case invalid(reason: String, offset: Int)
    }

    /// Matches `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?` starting at `from`.
    ///
    /// Stops at the first byte that cannot continue the number; what follows is the caller's business.
    static func scanNumber(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> NumberScan {
        var i = from
        if i < end, p[i] == UInt8(ascii: "-") { i &+= 1 }
        guard i < end, isDigit(p[i]) else {
            return .invalid(reason: "Invalid number: expected a digit after '-'", offset: i)
        }
        if p[i] == UInt8(ascii: "0") {
            i &+= 1
            if i < end, isDigit(p[i]) {
                return .invalid(reason: "Invalid number: leading zeros are not allowed", offset: from)
            }
        } else {
            i = skipDigits(p, from: i, end: end)
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i &+= 1
            guard i < end, isDigit(p[i]) else {
                return .invalid(reason: "Invalid number: expected a digit after '.'", offset: i)
            }
            i = skipDigits(p, from: i, end: end)
        }
        if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            i &+= 1
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i &+= 1 }
            guard i < end, isDigit(p[i]) else {
                return .invalid(reason: "Invalid number: expected a digit in the exponent", offset: i)
            }
            i = skipDigits(p, from: i, end: end)
        }
        return .valid(end: i)
    }

    @inline(__always)
    private static func skipDigits(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        while i < end, isDigit(p[i]) { i &+= 1 }
        return i
    }

    /// True when `utf8` is exactly one JSON number.
    static func isValidNumberLiteral(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress, !utf8.isEmpty else { return false }
        return scanNumber(base, from: 0, end: utf8.count) == .valid(end: utf8.count)
    }
}

// MARK: - UTF-8 (error path)

extension JSONBytes {
    /// Decodes the scalar starting at `offset`, or nil when the bytes there are not well-formed UTF-8
    /// (overlong forms, surrogates and values above U+10FFFF are rejected).
    static func decodeScalar(
        _ p: UnsafePointer<UInt8>, at offset: Int, end: Int
    ) -> (scalar: Unicode.Scalar, length: Int)? {
        guard offset < end else { return nil }
        let lead = p[offset]
        let length: Int
        var value: UInt32
        var lowest: UInt8 = 0x80  // bounds for the second byte
        var highest: UInt8 = 0xBF
        switch lead {
        case 0x00...0x7F: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0: length = 3; value = 0; lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xED: length = 3; value = 0x0D; highest = 0x9F
        case 0xF0: length = 4; value = 0; lowest = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(lead & 0x07)
        case 0xF4: length = 4; value = 4; highest = 0x8F
        default: return nil
        }
        guard end &- offset >= length else { return nil }
        for k in 1..<length {
            let byte = p[offset &+ k]
            let (low, high) = k == 1 ? (lowest, highest) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= low, byte <= high else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    /// The offset of the first byte of `p[from..<end]` that does not start a well-formed UTF-8
    /// sequence (by `decodeScalar`'s rules, the standard library's), or nil. ASCII runs are
    /// skipped eight bytes at a time: the parser checks long literals with it.
    static func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int? {
        var i = firstNonASCII(p, from: from, end: end)
        while i < end {
            guard let (_, length) = decodeScalar(p, at: i, end: end) else { return i }
            i = firstNonASCII(p, from: i &+ length, end: end)
        }
        return nil
    }
}
