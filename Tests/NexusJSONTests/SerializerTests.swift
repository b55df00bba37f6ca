import NIOCore
import Testing

@testable import NexusJSON

@Suite("Serializing")
struct SerializerTests {
    @Test("Compact output, keys in stored order")
    func compact() {
        let value: JSONValue = ["a": 1, "b": [true, nil], "z": ["y": "x", "a": []], "e": .object(JSONObject())]
        #expect(value.jsonString == #"{"a":1,"b":[true,null],"z":{"y":"x","a":[]},"e":{}}"#)
        #expect(value.jsonBytes == Array(value.jsonString.utf8))
        #expect(JSONValue.null.jsonString == "null")
        #expect(JSONValue.bool(false).jsonString == "false")
        #expect(JSONValue.string("").jsonString == #""""#)
        #expect(JSONValue.array([]).jsonString == "[]")
    }

    @Test("Numbers are written as their literal text")
    func numbers() {
        #expect(JSONValue.number("1.0").jsonString == "1.0")
        #expect(JSONValue.number("-0").jsonString == "-0")
        #expect(JSONValue.number("1e400").jsonString == "1e400")
        #expect(JSONValue.int(-42).jsonString == "-42")
        #expect(JSONValue.double(2.5).jsonString == "2.5")
        #expect(JSONValue.double(1e300).jsonString == "1e+300")
    }

    @Test(
        "Literals that are not JSON numbers are written as null",
        arguments: [
            JSONValue.double(.nan), .double(.infinity), .number(""), .number("abc"), .number("01"), .number("1 "),
        ])
    func invalidNumbers(value: JSONValue) {
        #expect(value.jsonString == "null")
        #expect(JSONValue.array([value]).jsonString == "[null]")
    }

    @Test("Each control character is escaped", arguments: 0..<0x20)
    func controlCharacters(code: Int) throws {
        let short: [Int: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        let hex = String(code, radix: 16)
        let escape = short[code] ?? #"\u00"# + (hex.count == 1 ? "0" + hex : hex)
        let scalar = try #require(Unicode.Scalar(code))
        let value = JSONValue.string("a\(scalar)b")
        #expect(value.jsonString == "\"a\(escape)b\"")
        #expect(try JSONValue.parse(value.jsonString) == value)
    }

    @Test("Only quote, backslash and control characters are escaped")
    func minimalEscaping() throws {
        let text = "\"\\/ é 😀 \u{7F} \u{2028} </script>"
        let value = JSONValue.string(text)
        #expect(value.jsonString == #""\"\\/ é 😀 "# + "\u{7F} \u{2028} </script>\"")
        #expect(try JSONValue.parse(value.jsonString) == value)
    }

    @Test("Escaping at every position of long strings (word-at-a-time path)")
    func escapingPositions() throws {
        for length in 0..<40 {
            for special in ["\"", "\\", "\n", "\u{0}"] {
                var text = String(repeating: "x", count: length)
                text += special + String(repeating: "é", count: length % 9)
                let value = JSONValue.string(text)
                let json = value.jsonString
                #expect(json.utf8.count == text.utf8.count + (special == "\u{0}" ? 7 : 3))
                #expect(try JSONValue.parse(json) == value)
            }
        }
    }

    @Test("Keys are escaped too")
    func keys() {
        let object = JSONValue.object(JSONObject([(key: "a\"b\n", value: 1)]))
        #expect(object.jsonString == #"{"a\"b\n":1}"#)
    }

    @Test("Writing into a ByteBuffer appends")
    func byteBuffer() {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeString("data: ")
        let event: JSONValue = ["type": "ping", "n": [1, 2]]
        event.write(into: &buffer)
        #expect(String(buffer: buffer) == #"data: {"type":"ping","n":[1,2]}"#)

        var bytes: [UInt8] = Array("x=".utf8)
        JSONValue.array([true]).write(into: &bytes)
        #expect(bytes == Array("x=[true]".utf8))
    }

    @Test("writeEscapedString writes a quoted literal")
    func writeEscapedString() {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeString(#"{"text":"#)
        JSONValue.writeEscapedString("line\n\"quoted\" \u{1} ü", into: &buffer)
        JSONValue.writeEscapedString("", into: &buffer)
        buffer.writeString("}")
        #expect(String(buffer: buffer) == #"{"text":"line\n\"quoted\" \u0001 ü""# + #""""# + "}")
    }

    @Test("Every output path writes the same bytes")
    func outputPathsAgree() {
        for seed in UInt64(0)..<20 {
            let document = DocumentGenerator.document(targetSize: 2_000, seed: seed)
            let bytes = document.jsonBytes
            #expect(Array(document.jsonString.utf8) == bytes)
            var appended: [UInt8] = [1, 2]
            document.write(into: &appended)
            #expect(appended == [1, 2] + bytes)
            var buffer = ByteBufferAllocator().buffer(capacity: 0)
            document.write(into: &buffer)
            #expect(buffer.readableBytesView.elementsEqual(bytes))
        }
    }

    @Test(
        "writeEscapedString agrees with the serializer",
        arguments: ["", "plain", "a\"b\\c\n\u{0}\u{1F}\u{7F}/é😀", String(repeating: "x\ty", count: 500)])
    func escapedStringAgrees(text: String) {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        JSONValue.writeEscapedString(text, into: &buffer)
        #expect(String(buffer: buffer) == JSONValue.string(text).jsonString)
    }

    @Test("Pretty printing")
    func pretty() {
        let value: JSONValue = ["a": 1, "b": [true, nil, "x\n"], "c": ["d": []], "e": .object(JSONObject())]
        let expected = """
            {
              "a": 1,
              "b": [
                true,
                null,
                "x\\n"
              ],
              "c": {
                "d": []
              },
              "e": {}
            }
            """
        #expect(value.prettyString() == expected)
        #expect(JSONValue.array([1, [2]]).prettyString(indent: 4) == "[\n    1,\n    [\n        2\n    ]\n]")
        #expect(JSONValue.number("1.50").prettyString() == "1.50")
    }
    /// Values whose sizing and writing must agree: every escape kind, non-ASCII (U+2028/2029 are
    /// copied as is), invalid number literals (written as `null`), nesting and empty containers,
    /// text with more escapes than `write(into: ByteBuffer)` reserves room for.
    static let sizedValues: [JSONValue] = [
        .null, true, false, 0, .number("-1.5"), .number("1e400"), .number("01"), .number("null"), .number(""),
        "", "plain", "\"", "\\", "a\u{0}b\u{1F}c\u{7F}", "\u{8}\u{9}\u{A}\u{C}\u{D}", "é日本\u{1F600}",
        "\u{2028}x\u{2029}", .string(String(repeating: "0123456789\"\n", count: 40)),
        // Escapes beyond the ByteBuffer writer's margin: written elsewhere, then copied in.
        .string(String(repeating: "\u{1}", count: 300)), [.string(String(repeating: "\"", count: 5000)), "x"],
        [], [:], [1, [2, [3, []]], ["k": nil]],
        .object(JSONObject([(key: "a\"b\n\u{1}", value: "v"), (key: "é", value: [true, false])])),
    ]

    @Test("jsonByteCount is the length of the written text", arguments: sizedValues)
    func byteCount(_ value: JSONValue) throws {
        let bytes = value.jsonBytes
        #expect(value.jsonByteCount == bytes.count)
        #expect(Array(value.jsonString.utf8) == bytes)
        // Into a ByteBuffer without spare capacity, after existing content.
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        buffer.writeString("x")
        value.write(into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("x".utf8) + bytes)
        #expect(try JSONValue.parse(bytes).jsonBytes == bytes)
    }

    @Test(
        "writeEscapedString writes what a string value serializes to", arguments: sizedValues.compactMap(\.stringValue))
    func escapedStringMatchesValue(_ text: String) {
        var buffer = ByteBufferAllocator().buffer(capacity: 1)
        buffer.writeString("[")
        JSONValue.writeEscapedString(text, into: &buffer)
        #expect(String(buffer: buffer) == "[" + JSONValue.string(text).jsonString)
    }

    @Test("Escape lengths match the escapes written", arguments: 0..<0x80)
    func escapeLengths(code: Int) {
        let byte = UInt8(code)
        guard JSONBytes.isStringSpecial(byte) else { return }
        var out = [UInt8](repeating: 0, count: 6)
        let written = out.withUnsafeMutableBytes { JSONBytes.writeEscape(for: byte, to: $0.baseAddress!) }
        #expect(written == JSONBytes.escapeLength(for: byte))
    }

    @Test("Any size estimate gives the same text after what the buffer held", arguments: [0, 1, 7, 64, 4096, 1 << 20])
    func estimates(estimate: Int) {
        let long = String(repeating: "é\"\u{1}x", count: 300)
        let value: JSONValue = ["text": .string(long), "list": .array((0..<50).map { .int($0) }), "k": ["\n": nil]]
        var buffer = ByteBuffer(string: "prefix:")
        value.write(into: &buffer, estimatedByteCount: estimate)
        #expect(String(buffer: buffer) == "prefix:" + value.jsonString)
    }
}
