import NIOCore
import Testing

@testable import NexusJSON

/// Long string values parsed from a `ByteBuffer` are kept as checked literals (`JSONString`).
/// Whatever the form, a value must mean what the same text parsed into `String`s means, and a
/// text the `String` path rejects must be rejected the same way.
@Suite("JSON strings kept as literals")
struct JSONStringTests {
    /// Padding that takes a string over `JSONString.literalThreshold`.
    static let padding = String(repeating: "abcdefgh", count: JSONString.literalThreshold / 8)

    /// Parses `json` from a `ByteBuffer` (literals) and from bytes (`String`s).
    static func parseBoth(
        _ json: [UInt8]
    ) -> (literal: Result<JSONValue, JSONParseError>, plain: Result<JSONValue, JSONParseError>) {
        let buffer = ByteBuffer(bytes: json)
        return (
            Result { () throws(JSONParseError) in try JSONValue.parse(buffer) },
            Result { () throws(JSONParseError) in try JSONValue.parse(json) }
        )
    }

    static func isLiteral(_ value: JSONValue) -> Bool {
        if case .string(let s) = value, case .literal = s.storage { return true }
        return false
    }

    /// Contents (between the quotes) of strings, valid and not.
    static let contents: [[UInt8]] = [
        Array("plain ASCII".utf8),
        Array(#"escapes \" \\ \/ \b \f \n \r \t"#.utf8),
        Array(#"\u0041\u00e9\u20ac\uD83D\uDE00 end"#.utf8),
        Array("héllo wörld 日本語 😀👩‍💻".utf8),
        Array("\u{2028}\u{2029}".utf8),
        Array(#"lone high \ud800 then text"#.utf8),
        Array(#"lone low \udc00"#.utf8),
        Array(#"high then high \ud800\ud800"#.utf8),
        Array(#"high at the end \ud83d"#.utf8),
        Array(#"bad escape \x"#.utf8),
        Array(#"short unicode \u12"#.utf8),
        Array(#"non-hex \u12G4"#.utf8),
        [0x61, 0x01, 0x62],  // raw control character
        [0x61, 0xFF, 0x62],  // invalid UTF-8
        [0x61, 0xC3],  // cut-off sequence
        [0xED, 0xA0, 0x80],  // an encoded surrogate
        [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
        [0xC0, 0xAF],  // overlong
        Array("trailing backslash \\".utf8),
    ]

    @Test("Long strings parse to the same values as `String`s, or fail with the same error", arguments: contents)
    func sameAsStrings(content: [UInt8]) throws {
        for (before, after) in [(Self.padding, ""), ("", Self.padding), ("", "")] {
            let string = Array(before.utf8) + content + Array(after.utf8)
            let document = Array(#"{"k":["#.utf8) + [0x22] + string + [0x22] + Array("]}".utf8)
            let (literal, plain) = Self.parseBoth(document)
            switch (literal, plain) {
            case (.success(let literal), .success(let plain)):
                #expect(literal == plain)
                let fromLiteral = try #require(literal["k"]?.arrayValue?.first?.jsonStringValue)
                let fromPlain = try #require(plain["k"]?.arrayValue?.first?.stringValue)
                #expect(fromLiteral.string == fromPlain)
                #expect(fromLiteral.utf8Count == fromPlain.utf8.count)
                #expect(fromLiteral.isBlank == fromPlain.allSatisfy(\.isWhitespace))
                #expect(fromLiteral.hashValue == JSONString(fromPlain).hashValue)
                // Written back, both mean the same.
                #expect(try JSONValue.parse(literal.jsonString) == plain)
                #expect(literal.jsonByteCount == literal.jsonBytes.count)
            case (.failure(let literal), .failure(let plain)):
                #expect(literal == plain)
            default:
                Issue.record("one parse failed and the other did not: \(literal) / \(plain)")
            }
        }
    }

    @Test("A long literal is written back exactly as it came, escapes included")
    func writtenAsItCame() throws {
        let text = #"{"text":"\u00e9t\u00e9 \/ \"quoted\" \uD83D\uDE00 \n\t"# + Self.padding + #""}"#
        let value = try JSONValue.parse(ByteBuffer(string: text))
        #expect(Self.isLiteral(try #require(value["text"])))
        #expect(value.jsonString == text)
        var buffer = ByteBuffer()
        value.write(into: &buffer)
        #expect(String(buffer: buffer) == text)
        // Parsed from a String, the same text is re-escaped minimally instead.
        let plain = try JSONValue.parse(text)
        #expect(!Self.isLiteral(try #require(plain["text"])))
        #expect(plain.jsonString != text)
        #expect(plain == value)
    }

    @Test("Short strings, keys and strings parsed from other inputs are `String`s")
    func shortStringsAreStrings() throws {
        let short = String(repeating: "x", count: JSONString.literalThreshold - 1)
        let long = String(repeating: "y", count: JSONString.literalThreshold)
        let value = try JSONValue.parse(ByteBuffer(string: #"{"a":"\#(short)","b":"\#(long)"}"#))
        #expect(!Self.isLiteral(try #require(value["a"])))
        #expect(Self.isLiteral(try #require(value["b"])))
        #expect(try !Self.isLiteral(#require(JSONValue.parse(#"{"b":"\#(long)"}"#)["b"])))
    }

    @Test(
        "A string with an escaped lone surrogate is decoded (to U+FFFD), not kept as a literal",
        arguments: [
            #"\ud800"#, #"\udc00"#, #"\ud800\ud800"#, #"\ud800x"#, #"\ud83d"#,
        ])
    func loneSurrogatesAreDecoded(escape: String) throws {
        let value = try JSONValue.parse(ByteBuffer(string: #""\#(Self.padding)\#(escape)""#))
        #expect(!Self.isLiteral(value))
        #expect(value.stringValue?.unicodeScalars.contains("\u{FFFD}") == true)
    }

    @Test("A literal stays valid after its buffer is changed or dropped")
    func literalOwnsItsBytes() throws {
        var buffer = ByteBuffer(string: #"["\#(Self.padding)"]"#)
        let value = try JSONValue.parse(buffer)
        buffer.clear()
        buffer.writeString(String(repeating: "z", count: 300))
        #expect(value.arrayValue?.first?.stringValue == Self.padding)
    }

    @Test(
        "Whitespace-only literals are blank; escapes and non-ASCII decide on the text",
        arguments: [
            (#" \n\t\r \f "#, true),
            (#" \u0020 "#, true),
            (" \u{00A0} \u{3000} ", true),
            (#" \b "#, false),
            (#" \/ "#, false),
            (" x ", false),
            (" é ", false),
        ])
    func blank(middle: String, blank: Bool) throws {
        let spaces = String(repeating: " ", count: JSONString.literalThreshold)
        let value = try JSONValue.parse(ByteBuffer(string: #""\#(spaces)\#(middle)\#(spaces)""#))
        let string = try #require(value.jsonStringValue)
        #expect(Self.isLiteral(value))
        #expect(string.isBlank == blank)
    }

    @Test("Random documents: literals mean what `String`s mean")
    func randomDocuments() throws {
        var random = SplitMix64(seed: 21)
        for seed in 0..<40 {
            let document = DocumentGenerator.document(targetSize: 4_000 + 500 * seed, seed: UInt64(seed))
            let bytes = document.jsonBytes
            let literal = try JSONValue.parse(ByteBuffer(bytes: bytes))
            let plain = try JSONValue.parse(bytes)
            #expect(literal == plain)
            #expect(try JSONValue.parse(literal.jsonBytes) == plain)
            // Escape some letters of strings as \u sequences, which the serializer never writes.
            var escaped: [UInt8] = []
            var inString = false
            var afterBackslash = false
            var hexDigitsLeft = 0
            for byte in bytes {
                if inString, !afterBackslash, hexDigitsLeft == 0, (0x61...0x7A).contains(byte),
                    random.next(upTo: 8) == 0
                {
                    escaped += Array("\\u00\(String(byte, radix: 16))".utf8)
                    continue
                }
                escaped.append(byte)
                if hexDigitsLeft > 0 {
                    hexDigitsLeft -= 1
                } else if afterBackslash {
                    afterBackslash = false
                    if byte == UInt8(ascii: "u") { hexDigitsLeft = 4 }
                } else if byte == UInt8(ascii: "\\") {
                    afterBackslash = inString
                } else if byte == UInt8(ascii: "\"") {
                    inString.toggle()
                }
            }
            let (fromBuffer, fromBytes) = Self.parseBoth(escaped)
            #expect(try fromBuffer.get() == fromBytes.get())
            #expect(try JSONValue.parse(fromBuffer.get().jsonBytes) == fromBytes.get())
        }
    }
}
