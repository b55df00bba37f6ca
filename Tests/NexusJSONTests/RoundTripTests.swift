import NIOCore
import Testing

@testable import NexusJSON

@Suite("Round trips")
struct RoundTripTests {
    @Test(
        "Compact documents survive parse and write byte for byte",
        arguments: [
            "null", "[]", "{}", "0", "-0", "1.0", "1e400", "\"\"", "[[[[]]]]",
            #"{"a":1,"b":[true,null],"c":{"d":"e"}}"#,
            #"["\"\\\n\r\t\b\f\u0000\u001f","/é😀"]"#,
            #"{"z":{"y":{"x":[1,2.5,-3e-7,12345678901234567890]}},"a":"b"}"#,
        ])
    func compactRoundTrip(text: String) throws {
        #expect(try JSONValue.parse(text).jsonString == text)
    }

    @Test("Pretty output parses back to the same value")
    func prettyRoundTrip() throws {
        let document = DocumentGenerator.document(targetSize: 20_000)
        #expect(try JSONValue.parse(document.prettyString()) == document)
        #expect(try JSONValue.parse(document.prettyString(indent: 0)) == document)
    }

    @Test("A ~1 MB generated document round-trips through bytes, strings and ByteBuffer")
    func largeDocument() throws {
        let document = DocumentGenerator.document(targetSize: 1_000_000)
        let bytes = document.jsonBytes
        #expect(bytes.count > 1_000_000)

        let parsed = try JSONValue.parse(bytes)
        #expect(parsed == document)
        #expect(parsed.jsonBytes == bytes)

        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        parsed.write(into: &buffer)
        #expect(buffer.readableBytes == bytes.count)
        #expect(try JSONValue.parse(buffer) == document)
        #expect(try JSONValue.parse(parsed.jsonString) == document)
    }

    @Test("Random scalar strings round-trip")
    func randomStrings() throws {
        var random = SplitMix64(seed: 1)
        for _ in 0..<500 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<random.next(upTo: 40) {
                let ranges: [ClosedRange<UInt32>] = [
                    0...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF,
                ]
                let range = ranges[random.next(upTo: ranges.count)]
                let value = range.lowerBound + UInt32(random.next(upTo: Int(range.upperBound - range.lowerBound) + 1))
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let value = JSONValue.object(JSONObject([(key: String(scalars), value: .string(String(scalars)))]))
            let parsed = try JSONValue.parse(value.jsonBytes)
            #expect(parsed.objectValue?.keys.first?.unicodeScalars.elementsEqual(scalars) == true)
            #expect(parsed.jsonBytes == value.jsonBytes)
        }
    }
}
