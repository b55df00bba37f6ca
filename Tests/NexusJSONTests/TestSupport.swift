@testable import NexusJSON

/// A small deterministic generator so generated documents are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound`.
    mutating func next(upTo bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Builds a document shaped like Messages API traffic (messages, content blocks, tool schemas)
/// of roughly `targetSize` bytes.
enum DocumentGenerator {
    static let fragments = [
        "Hello, world! ", "Please summarise the following text. ", "line one\nline two\n", "tab\tseparated\t",
        "quote \" and backslash \\ ", "path/to/file.swift ", "héllo wörld ", "日本語のテキスト ", "emoji 😀🎉👩‍💻 ",
        "control \u{1} \u{1F} ", "{\"embedded\": [1, 2]} ", "</script> ", "\u{2028}\u{2029} ",
    ]

    static func document(targetSize: Int, seed: UInt64 = 7) -> JSONValue {
        var random = SplitMix64(seed: seed)
        var messages: [JSONValue] = []
        var size = 0
        while size < targetSize {
            let message = self.message(&random)
            size += message.jsonBytes.count
            messages.append(message)
        }
        return [
            "model": "claude-sonnet-4-5",
            "max_tokens": 4096,
            "temperature": .number("0.7"),
            "system": .string(text(&random, words: 40)),
            "messages": .array(messages),
            "tools": [tool(&random), tool(&random)],
            "metadata": ["user_id": "u-123", "nested": [[[["deep": true]]]]],
        ]
    }

    private static func message(_ random: inout SplitMix64) -> JSONValue {
        var blocks: [JSONValue] = []
        for _ in 0...random.next(upTo: 3) {
            switch random.next(upTo: 3) {
            case 0:
                blocks.append(["type": "text", "text": .string(text(&random, words: 5 + random.next(upTo: 200)))])
            case 1:
                blocks.append([
                    "type": "tool_use", "id": .string("toolu_\(random.next())"), "name": "get_weather",
                    "input": ["city": "Zürich", "days": .int(random.next(upTo: 10)), "units": nil, "precise": true],
                ])
            default:
                blocks.append([
                    "type": "tool_result", "tool_use_id": "toolu_1",
                    "content": [["type": "text", "text": .string(text(&random, words: 30))]],
                    "scores": .array((0..<5).map { _ in number(&random) }),
                ])
            }
        }
        return ["role": random.next(upTo: 2) == 0 ? "user" : "assistant", "content": .array(blocks)]
    }

    private static func tool(_ random: inout SplitMix64) -> JSONValue {
        [
            "name": "get_weather",
            "description": .string(text(&random, words: 20)),
            "input_schema": [
                "type": "object",
                "properties": ["city": ["type": "string"], "days": ["type": "integer", "minimum": 1, "maximum": 14]],
                "required": ["city"],
            ],
        ]
    }

    static func number(_ random: inout SplitMix64) -> JSONValue {
        let literals = ["0", "-0", "1.0", "1e400", "-1.5E-10", "12345678901234567890123", "3.14159", "42", "-7"]
        return .number(literals[random.next(upTo: literals.count)])
    }

    private static func text(_ random: inout SplitMix64, words: Int) -> String {
        var result = ""
        for _ in 0..<words { result += fragments[random.next(upTo: fragments.count)] }
        return result
    }
}
