import NIOCore
import Testing

@testable import NexusJSON

/// Object values of the keys a parse names are kept as their checked text (`JSONObject`'s
/// verbatim form) when nothing in them needs normalizing. Whatever the form, a document must
/// mean what it means parsed into a tree, and a document the tree parse rejects must be
/// rejected with the same error.
@Suite("JSON objects kept verbatim")
struct JSONVerbatimTests {
    static let keys = ["input_schema"]

    /// `{"a":1,"input_schema":<object>,"b":2}`.
    static func document(_ object: String) -> [UInt8] { Array(#"{"a":1,"input_schema":\#(object),"b":2}"#.utf8) }

    /// Parses `json` with and without `keys`, both from a `ByteBuffer`.
    static func parseBoth(
        _ json: [UInt8], maxDepth: Int = JSONValue.defaultMaxDepth
    ) -> (verbatim: Result<JSONValue, JSONParseError>, tree: Result<JSONValue, JSONParseError>) {
        let buffer = ByteBuffer(bytes: json)
        return (
            Result { () throws(JSONParseError) in try JSONValue.parse(buffer, maxDepth: maxDepth, verbatimKeys: keys) },
            Result { () throws(JSONParseError) in try JSONValue.parse(buffer, maxDepth: maxDepth) }
        )
    }

    static let longText = String(repeating: "Reads a file from the local filesystem. ", count: 8)

    /// Objects kept verbatim.
    static let kept: [String] = [
        #"{}"#,
        #"{"type":"object"}"#,
        #"{"type":"object","properties":{"file_path":{"type":"string","description":"\#(longText)"},"#
            + #""limit":{"type":"integer","minimum":-1.5e3,"maximum":10E+2}},"required":["file_path"],"#
            + #""additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}"#,
        #"{"a":[],"b":[[1,2],[true,false,null]],"c":{},"d":[{}],"e":-0}"#,
        #"{"s":"é\u00e9 \ud83d\ude00 \/ \"q\" \\ \n\t\u0001 日本語"}"#,
        #"{"long":"\#(longText)\u0041\#(longText)é"}"#,
        #"{"input_schema":{"nested":true}}"#,
        #"{"k1":1,"k2":2,"k12":12,"k21":21}"#,
    ]

    /// Valid objects the scan leaves to the tree parse.
    static let declined: [String] = [
        #"{ "type":"object"}"#,
        #"{"type": "object"}"#,
        #"{"a":[1, 2]}"#,
        "{\"a\":1\n}",
        #"{"a":1,"b":2,"a":3}"#,
        #"{"p":{"x":1,"x":{}}}"#,
        #"{"é":1}"#,
        #"{"\u0061":1}"#,
        #"{"s":"lone \ud800 high"}"#,
        #"{"s":"lone \udc00 low"}"#,
        "{" + (0...VerbatimScanner.memberLimit).map { #""m\#($0)":\#($0)"# }.joined(separator: ",") + "}",
    ]

    /// Invalid objects: both parses must fail alike.
    static let invalid: [[UInt8]] =
        [
            #"{"a":}"#, #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":01}"#, #"{"a":tru}"#, #"{"a":"x\q"}"#, #"{"a":[1,2}"#,
            #"{"a":1"#, #"{"#, #"{"a":"\u12"}"#, #"{"a":-}"#, #"{"a":1.}"#, #"{"a":[1,]}"#, #"{,}"#, #"{"a":1}}"#,
            #"{"a":"unterminated}"#, #"{"a":nul}"#, #"{1:2}"#,
        ].map { Array($0.utf8) } + [
            Array(#"{"a":""#.utf8) + [0x01] + Array(#""}"#.utf8),  // raw control character
            Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8),  // invalid UTF-8
            Array(#"{"a":""#.utf8) + [0xC3] + Array(#""}"#.utf8),  // cut-off sequence
            Array(#"{""#.utf8) + [0xFF] + Array(#"":1}"#.utf8),  // invalid UTF-8 in a key
        ]

    @Test("Compact objects are kept as their text and mean what their trees mean", arguments: kept)
    func keptObjects(_ object: String) throws {
        let (verbatim, tree) = Self.parseBoth(Self.document(object))
        let value = try verbatim.get()
        let expected = try tree.get()
        let schema = try #require(value["input_schema"]?.objectValue)
        let expectedSchema = try #require(expected["input_schema"]?.objectValue)
        #expect(schema.isVerbatim)
        #expect(!expectedSchema.isVerbatim)
        #expect(value == expected)
        #expect(value.hashValue == expected.hashValue)
        #expect(schema.count == expectedSchema.count)
        #expect(schema.keys == expectedSchema.keys)
        #expect(schema.members.map(\.value) == expectedSchema.members.map(\.value))
        for (key, member) in expectedSchema { #expect(schema[key] == member) }
        // Written back exactly as it came, and counted exactly.
        #expect(JSONValue.object(schema).jsonString == object)
        #expect(JSONValue.object(schema).jsonByteCount == object.utf8.count)
        #expect(value.jsonByteCount == value.jsonBytes.count)
        #expect(try JSONValue.parse(value.jsonString) == expected)
    }

    @Test(
        "Objects with whitespace, duplicate or non-ASCII keys, lone surrogates or many members become trees",
        arguments: declined)
    func declinedObjects(_ object: String) throws {
        let (verbatim, tree) = Self.parseBoth(Self.document(object))
        let value = try verbatim.get()
        #expect(value == (try tree.get()))
        #expect(value["input_schema"]?.objectValue?.isVerbatim == false)
    }

    @Test("Invalid objects fail with the tree parse's error", arguments: invalid)
    func invalidObjects(_ object: [UInt8]) {
        let document = Array(#"{"input_schema":"#.utf8) + object + [UInt8(ascii: "}")]
        let (verbatim, tree) = Self.parseBoth(document)
        switch (verbatim, tree) {
        case (.failure(let verbatim), .failure(let tree)): #expect(verbatim == tree)
        default: Issue.record("expected both parses to fail: \(verbatim) / \(tree)")
        }
    }

    @Test("Only object values of the named keys are kept, and only from a ByteBuffer")
    func onlyNamedObjectValues() throws {
        let text =
            #"{"input_schema":{"a":1},"other":{"a":1},"list":[{"input_schema":{"b":2}}],"v":{"input_schema":[1]}}"#
        let value = try JSONValue.parse(ByteBuffer(string: text), verbatimKeys: Self.keys)
        #expect(value["input_schema"]?.objectValue?.isVerbatim == true)
        #expect(value["other"]?.objectValue?.isVerbatim == false)
        #expect(value["list"]?.arrayValue?.first?["input_schema"]?.objectValue?.isVerbatim == true)
        #expect(value["v"]?["input_schema"] == [1])
        #expect(value == (try JSONValue.parse(text)))
        // A verbatim object's members are trees: inner objects of the same key are not kept again.
        let outer = try #require(
            try JSONValue.parse(
                ByteBuffer(string: #"{"input_schema":{"input_schema":{}}}"#),
                verbatimKeys: Self.keys)["input_schema"]?.objectValue)
        #expect(outer.isVerbatim)
        #expect(outer["input_schema"]?.objectValue?.isVerbatim == false)
    }

    @Test("A verbatim object at the depth limit is kept; one level deeper fails as the tree parse does")
    func depthLimit() throws {
        // The outer object is level 1, the schema level 2, its innermost array level 4.
        let document = Array(#"{"input_schema":{"a":[[]]}}"#.utf8)
        let (kept, tree) = Self.parseBoth(document, maxDepth: 4)
        #expect(try kept.get()["input_schema"]?.objectValue?.isVerbatim == true)
        #expect(try kept.get() == tree.get())
        let (tooDeep, treeTooDeep) = Self.parseBoth(document, maxDepth: 3)
        switch (tooDeep, treeTooDeep) {
        case (.failure(let verbatim), .failure(let tree)): #expect(verbatim == tree)
        default: Issue.record("expected both parses to fail: \(tooDeep) / \(treeTooDeep)")
        }
    }

    @Test("Changing a verbatim object turns it into members first")
    func changesMaterialize() throws {
        let text = #"{"input_schema":{"type":"object","properties":{}}}"#
        var schema = try #require(
            try JSONValue.parse(ByteBuffer(string: text), verbatimKeys: Self.keys)["input_schema"]?.objectValue)
        var expected = try #require(try JSONValue.parse(text)["input_schema"]?.objectValue)
        schema["required"] = ["x"]
        expected["required"] = ["x"]
        #expect(!schema.isVerbatim)
        #expect(schema == expected)
        #expect(JSONValue.object(schema).jsonString == #"{"type":"object","properties":{},"required":["x"]}"#)
        var appended = try #require(
            try JSONValue.parse(ByteBuffer(string: text), verbatimKeys: Self.keys)["input_schema"]?.objectValue)
        appended.append("title", "T")
        #expect(JSONValue.object(appended).jsonString == #"{"type":"object","properties":{},"title":"T"}"#)
        var removed = try #require(
            try JSONValue.parse(ByteBuffer(string: text), verbatimKeys: Self.keys)["input_schema"]?.objectValue)
        removed["type"] = nil
        #expect(JSONValue.object(removed).jsonString == #"{"properties":{}}"#)
    }

    @Test("A verbatim object outlives changes to the buffer it came from")
    func outlivesItsBuffer() throws {
        var buffer = ByteBuffer(string: #"{"input_schema":{"type":"object"}}"#)
        let value = try JSONValue.parse(buffer, verbatimKeys: Self.keys)
        buffer.setString("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", at: buffer.readerIndex)
        #expect(value.jsonString == #"{"input_schema":{"type":"object"}}"#)
    }

    @Test("Random compact documents mean the same kept verbatim and as trees")
    func randomDocuments() throws {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<60 {
            let object = JSONValue.object(Self.randomObject(depth: 0, using: &generator))
            let text = object.jsonString
            let (verbatim, tree) = Self.parseBoth(Self.document(text))
            let value = try verbatim.get()
            #expect(value == (try tree.get()))
            #expect(value["input_schema"]?.objectValue?.isVerbatim == true)
            #expect(value["input_schema"]?.jsonString == text)
        }
    }

    static func randomObject(depth: Int, using generator: inout SplitMix64) -> JSONObject {
        var object = JSONObject()
        for k in 0..<Int(generator.next() % 6) {
            object.append("k\(k)_\(generator.next() % 100)", randomValue(depth: depth + 1, using: &generator))
        }
        return object
    }

    static func randomValue(depth: Int, using generator: inout SplitMix64) -> JSONValue {
        switch generator.next() % (depth > 4 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2:
            return .number(["0", "-1", "3.25", "1e-7", "12345678901234567890", "-0.5E+3"][Int(generator.next() % 6)])
        case 3:
            return .string(
                ["", "plain", "quote \" and \\", "tab\tnew\nline", "é日本😀", "\u{01}\u{1F}"][Int(generator.next() % 6)])
        case 4: return .string(String(repeating: "long text é \" ", count: Int(generator.next() % 20)))
        case 5:
            return .array((0..<Int(generator.next() % 4)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default: return .object(randomObject(depth: depth, using: &generator))
        }
    }
}
