import NIOCore
import Testing

@testable import NexusJSON

@Suite("Writing member by member")
struct StreamWriterTests {
    private func written(estimate: Int = 64, _ body: (inout JSONStreamWriter) -> Void) -> String {
        var buffer = ByteBuffer()
        buffer.writeJSON(estimatedByteCount: estimate, body)
        return String(buffer: buffer)
    }

    @Test("The same text as the tree, commas included", arguments: [0, 16, 4096])
    func sameAsTheTree(estimate: Int) {
        let tool: JSONValue = ["path": "/tmp/a \"b\"\n", "n": [1, .number("2.5"), nil, true], "o": [:]]
        let tree: JSONValue = [
            "id": "msg_1", "empty": [], "none": [:], "list": [[], ["x": nil], "é\u{1}"],
            "flag": false, "count": -42, "input": tool, "absent": nil,
        ]
        let text = written(estimate: estimate) { json in
            json.beginObject()
            json.key("id")
            json.string("msg_1")
            json.key("empty")
            json.beginArray()
            json.endArray()
            json.key("none")
            json.beginObject()
            json.endObject()
            json.key("list")
            json.beginArray()
            json.beginArray()
            json.endArray()
            json.beginObject()
            json.key("x")
            json.null()
            json.endObject()
            json.string("é\u{1}")
            json.endArray()
            json.key("flag")
            json.bool(false)
            json.key("count")
            json.int(-42)
            json.key("input")
            json.value(tool)
            json.key("absent")
            json.string(orNull: nil)
            json.endObject()
        }
        #expect(text == tree.jsonString)
    }

    @Test("Top-level scalars, and a long text that outgrows the estimate")
    func scalarsAndSpills() {
        #expect(written { $0.int(7) } == "7")
        #expect(written { $0.string(orNull: "a") } == #""a""#)
        let long = String(repeating: "\"\\\u{7}x", count: 5000)
        #expect(written(estimate: 1) { $0.string(long) } == JSONValue.string(long).jsonString)
    }

    @Test("A written value reads back as a tree")
    func writtenValue() {
        let value = JSONValue.written { json in
            json.beginObject()
            json.key("a")
            json.int(1)
            json.endObject()
        }
        #expect(value == ["a": 1])
    }
}
