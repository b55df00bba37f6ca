import NIOCore
import Testing

@testable import NexusJSON

/// Long strings with dense escapes: the parser and the writer work on them a block of about
/// 4 KB at a time, eight bytes a step, with the output position in a local. These tests cross
/// every boundary that introduces (word, block, the free space of an exact-size window) and
/// check the bytes against a plain byte-by-byte reference.
@Suite("Long strings with escapes")
struct LongStringTests {
    /// The escaping the serializer promises, one byte at a time.
    static func referenceLiteral(_ text: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += Array(#"\""#.utf8)
            case 0x5C: out += Array(#"\\"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array(#"\u00"#.utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return out
    }

    /// Text of `length` scalars: mostly ASCII, with quotes, backslashes, newlines, other control
    /// characters and multi-byte scalars at a density of about one in `every`.
    static func text(length: Int, every: Int, random: inout SplitMix64) -> String {
        let specials: [Unicode.Scalar] = ["\"", "\\", "\n", "\t", "\u{0}", "\u{1F}", "\r", "é", "日", "😀", "/"]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            if random.next(upTo: every) == 0 {
                scalars.append(specials[random.next(upTo: specials.count)])
            } else {
                scalars.append(Unicode.Scalar(UInt8(0x20 + random.next(upTo: 0x5F))))  // printable ASCII
            }
        }
        return String(scalars)
    }

    static let lengths = [0, 1, 7, 8, 9, 63, 64, 65, 4_079, 4_095, 4_096, 4_097, 4_110, 8_192, 12_289, 40_000]

    @Test("Every output path writes the reference bytes", arguments: lengths)
    func writerMatchesReference(length: Int) throws {
        var random = SplitMix64(seed: UInt64(length))
        for every in [2, 5, 40, 100_000] {
            let text = Self.text(length: length, every: every, random: &random)
            let value = JSONValue.string(text)
            let expected = Self.referenceLiteral(text)
            #expect(value.jsonBytes == expected)  // an exact-size window
            #expect(Array(value.jsonString.utf8) == expected)
            var buffer = ByteBufferAllocator().buffer(capacity: 0)  // a window that must grow
            value.write(into: &buffer)
            #expect(buffer.readableBytesView.elementsEqual(expected))
            var escaped = ByteBufferAllocator().buffer(capacity: 0)
            JSONValue.writeEscapedString(text, into: &escaped)
            #expect(escaped.readableBytesView.elementsEqual(expected))
        }
    }

    @Test("The reference bytes parse back to the same text", arguments: lengths)
    func parserInvertsReference(length: Int) throws {
        var random = SplitMix64(seed: UInt64(length) &+ 99)
        for every in [2, 5, 40, 100_000] {
            let text = Self.text(length: length, every: every, random: &random)
            let parsed = try JSONValue.parse(Self.referenceLiteral(text))
            #expect(parsed.stringValue?.unicodeScalars.elementsEqual(text.unicodeScalars) == true)
        }
    }

    @Test("\\u escapes, surrogate pairs and \\/ among dense one-letter escapes, across blocks")
    func unicodeEscapesAcrossBlocks() throws {
        var json = "\""
        var expected = ""
        var position = 0
        while json.utf8.count < 9_000 {
            switch position % 7 {
            case 0: json += #"\u00e9"#; expected += "é"
            case 1: json += #"\ud83d\ude00"#; expected += "😀"
            case 2: json += #"\/"#; expected += "/"
            case 3: json += #"\n"#; expected += "\n"
            default: json += "abcdefg"; expected += "abcdefg"
            }
            position += 1
        }
        json += "\""
        #expect(try JSONValue.parse(json).stringValue == expected)
    }

    @Test("Invalid UTF-8 and raw control characters are found anywhere in a long escaped string")
    func errorsAnywhere() {
        for offset in [0, 1, 7, 8, 9, 4_094, 4_095, 4_096, 4_097, 5_000] {
            // Dense escapes before and after the bad byte.
            let prefix = Array(String(repeating: #"ab\ncd\"e"#, count: 700).utf8.prefix(offset))
            let suffix = Array(String(repeating: #"\tx"#, count: 50).utf8)
            for bad: UInt8 in [0xFF, 0x80, 0xC3, 0x01] {
                var bytes: [UInt8] = [0x22] + prefix + [bad] + suffix + [0x22]
                // A prefix cut inside an escape would make the bad byte the escape's letter.
                if prefix.last == 0x5C { bytes.insert(0x5C, at: prefix.count + 1) }
                #expect(throws: JSONParseError.self, "offset \(offset), byte \(bad)") {
                    try JSONValue.parse(bytes)
                }
            }
        }
    }
}
