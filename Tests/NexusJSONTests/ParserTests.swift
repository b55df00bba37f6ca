import NIOCore
import Testing

@testable import NexusJSON

@Suite("Parsing valid JSON")
struct ParserTests {
    @Test("Scalars at the top level")
    func topLevelScalars() throws {
        #expect(try JSONValue.parse("null") == .null)
        #expect(try JSONValue.parse("true") == .bool(true))
        #expect(try JSONValue.parse("false") == .bool(false))
        #expect(try JSONValue.parse("42") == .number("42"))
        #expect(try JSONValue.parse("\"hi\"") == .string("hi"))
        #expect(try JSONValue.parse(" \t\r\n 7 \n\t") == .number("7"))
    }

    @Test("Nested containers keep order")
    func nested() throws {
        let value = try JSONValue.parse(#"{"z":1,"a":[true,null,{"m":"x","b":[]}],"e":{}}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["z", "a", "e"])
        #expect(value["a"] == [true, nil, ["m": "x", "b": []]])
        #expect(value["a"]?.arrayValue?[2].objectValue?.keys == ["m", "b"])
        #expect(value["e"] == .object(JSONObject()))
    }

    @Test("Whitespace everywhere it is allowed")
    func whitespace() throws {
        let text = " {\n\t\"a\" :\r\n [ 1 , 2 ] , \"b\" : { } , \"c\":[ ] } "
        #expect(try JSONValue.parse(text) == ["a": [1, 2], "b": .object(JSONObject()), "c": []])
    }

    @Test(
        "Number literals are kept verbatim",
        arguments: [
            "0", "-0", "1.0", "-0.0", "1e400", "-1e-400", "1E+2", "2.50e-3", "0.000",
            "12345678901234567890123456789", "-9223372036854775809", "3.141592653589793238462643383279",
        ])
    func numberLiterals(literal: String) throws {
        #expect(try JSONValue.parse(literal) == .number(literal))
        let array = try JSONValue.parse("[\(literal)]")
        #expect(array == .array([.number(literal)]))
        #expect(array.jsonString == "[\(literal)]")
    }

    @Test("Duplicate keys: last value wins at the first key's position")
    func duplicateKeys() throws {
        let value = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == 3)
        #expect(value.jsonString == #"{"a":3,"b":2}"#)
    }

    @Test("Duplicate keys in a large object (hash index path)")
    func duplicateKeysLargeObject() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" } + ["\"k5\":\"five\"", "\"k39\":null", "\"new\":true"]
        let value = try JSONValue.parse("{" + members.joined(separator: ",") + "}")
        let object = try #require(value.objectValue)
        #expect(object.count == 41)
        #expect(object.keys == (0..<40).map { "k\($0)" } + ["new"])
        #expect(object["k5"] == "five")
        #expect(object["k39"] == .null)
        #expect(object["k6"] == 6)
    }

    @Test("Strings with every simple escape")
    func simpleEscapes() throws {
        let value = try JSONValue.parse(#""\"\\\/\b\f\n\r\t""#)
        #expect(value == .string("\"\\/\u{08}\u{0C}\n\r\t"))
    }

    @Test(
        "Unicode escapes",
        arguments: [
            (#""\u0041\u00e9\u00E9""#, "Aéé"),
            (#""\u0000""#, "\u{0}"),
            (#""\u20AC""#, "€"),
            (#""\uD83D\uDE00""#, "😀"),
            (#""\ud83d\ude00x""#, "😀x"),
            (#""\uDBFF\uDFFF""#, "\u{10FFFF}"),
            (#""\uD800""#, "\u{FFFD}"),
            (#""\uDC00""#, "\u{FFFD}"),
            (#""a\uD800b""#, "a\u{FFFD}b"),
            (#""\uD800\u0041""#, "\u{FFFD}A"),
            (#""\uD800\n""#, "\u{FFFD}\n"),
            (#""\uD800\uD800\uDC00""#, "\u{FFFD}\u{10000}"),
            (#""\uDE00\uD83D""#, "\u{FFFD}\u{FFFD}"),
        ])
    func unicodeEscapes(input: String, expected: String) throws {
        #expect(try JSONValue.parse(input) == .string(expected))
    }

    @Test("Raw non-ASCII text, emoji and combining sequences keep their exact scalars")
    func rawUnicode() throws {
        let text = "héllo wörld 😀👩‍👩‍👧 日本語 e\u{301} \u{2028}"
        let value = try JSONValue.parse("\"" + text + "\"")
        let parsed = try #require(value.stringValue)
        #expect(Array(parsed.unicodeScalars) == Array(text.unicodeScalars))
    }

    @Test("Long strings take the word-at-a-time scan")
    func longStrings() throws {
        for length in [7, 8, 9, 15, 16, 17, 63, 64, 65, 1000] {
            let plain = String(repeating: "abcdefghé", count: length)
            #expect(try JSONValue.parse("\"\(plain)\"") == .string(plain))
            let withEscape = plain + "\\n" + plain
            #expect(try JSONValue.parse("\"\(withEscape)\"") == .string(plain + "\n" + plain))
        }
    }

    @Test("A leading byte order mark is ignored")
    func byteOrderMark() throws {
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == [1])
    }

    @Test("All entry points agree")
    func entryPoints() throws {
        let text = #"{"a":[1,"x",null]}"#
        let expected: JSONValue = ["a": [1, "x", nil]]
        #expect(try JSONValue.parse(text) == expected)
        #expect(try JSONValue.parse(Array(text.utf8)) == expected)
        let fromRaw = try Array(text.utf8).withUnsafeBytes { raw throws(JSONParseError) in try JSONValue.parse(raw) }
        #expect(fromRaw == expected)

        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeString("garbage")
        buffer.moveReaderIndex(forwardBy: 7)
        buffer.writeString(text)
        #expect(try JSONValue.parse(buffer) == expected)
        #expect(buffer.readableBytes == text.utf8.count, "parsing must not consume the buffer")
    }

    @Test("maxDepth counts nested containers")
    func depthLimitBoundary() throws {
        let deepest = try JSONValue.parse(String(repeating: "[", count: 256) + String(repeating: "]", count: 256))
        #expect(deepest.arrayValue?.count == 1)
        #expect(throws: JSONParseError.self) {
            try JSONValue.parse(String(repeating: "[", count: 257) + String(repeating: "]", count: 257))
        }
        #expect(try JSONValue.parse("[[1]]", maxDepth: 2) == [[1]])
        #expect(try JSONValue.parse("7", maxDepth: 0) == 7)
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[[1]]", maxDepth: 1) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a":{"b":1}}"#, maxDepth: 1) }
    }
}
