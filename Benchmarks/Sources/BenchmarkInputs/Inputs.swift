import AWSEventStream
import BedrockAPI
import Foundation
import NIOCore
import NexusJSON

/// The inputs of the benchmarks, built once, outside of any measurement.
///
/// Requests come from the Claude Code corpus in `Tests/TranslationTests/Fixtures/claude-code`
/// (found from this file's path, so the benchmarks run from any directory); everything else is
/// generated deterministically.
public enum Inputs {
    /// The repository root: four levels above this file.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }()

    public static let corpus = repositoryRoot.appendingPathComponent("Tests/TranslationTests/Fixtures/claude-code")

    /// A client request as the gateway receives it: the compact JSON body and the betas of its
    /// `anthropic-beta` header.
    public struct ClientRequest: Sendable {
        public var body: ByteBuffer
        public var betas: [String]
        public var json: JSONValue
    }

    public static func fixture(_ name: String) -> JSONValue {
        let path = corpus.appendingPathComponent(name).path
        guard let data = FileManager.default.contents(atPath: path) else {
            fatalError("missing corpus file \(path)")
        }
        do {
            return try JSONValue.parse([UInt8](data))
        } catch {
            fatalError("corpus file \(path) is not JSON: \(error)")
        }
    }

    public static func clientRequest(body: JSONValue, betaHeader: String?) -> ClientRequest {
        var buffer = ByteBuffer()
        body.write(into: &buffer)
        let betas = (betaHeader ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return ClientRequest(body: buffer, betas: betas, json: body)
    }

    public static func clientRequest(fixture name: String) -> ClientRequest {
        let file = fixture(name)
        guard let body = file["body"] else { fatalError("\(name) has no body") }
        return clientRequest(body: body, betaHeader: file["headers"]?["anthropic-beta"]?.stringValue)
    }

    /// A real 50 KB Claude Code request (49,701 bytes compact): the tool-result turn on the CLI's
    /// default model, 4 messages, the full tool list, system prompt, thinking, cache points.
    public static let request50KB = clientRequest(fixture: "default-model-tool-result-turn.json")

    /// A long Claude Code session of about 1 MB, grown from the corpus (see `longSession`).
    public static let request1MB = longSession(targetBytes: 1_000_000)

    /// The tool-result turn of `tool-result-turn.json` (Claude Sonnet 4.6, adaptive thinking,
    /// context management, betas), extended with realistic agentic turns until the body
    /// reaches `targetBytes`: each assistant turn has a signed empty thinking block (thinking
    /// `display: omitted`), a short text and a `tool_use` (Read, Bash, Grep, Edit in turn); each
    /// user turn a `tool_result` with the tool's output (numbered source lines, build logs,
    /// search hits, an edit confirmation) and a `<system-reminder>`. The `cache_control` marker
    /// moves to the last user block, as Claude Code does.
    public static func longSession(targetBytes: Int) -> ClientRequest {
        let file = fixture("tool-result-turn.json")
        guard var body = file["body"]?.objectValue, var messages = body["messages"]?.arrayValue else {
            fatalError("tool-result-turn.json has no messages")
        }
        let signature = messages[1]["content"]?.arrayValue?.first?["signature"]?.stringValue ?? "c2lnbmF0dXJl"
        // Drop the cache point of the last user block: it moves to the new last block.
        if var last = messages.last?.objectValue, var blocks = last["content"]?.arrayValue,
            var block = blocks.last?.objectValue
        {
            block = JSONObject(block.filter { $0.key != "cache_control" })
            blocks[blocks.count - 1] = .object(block)
            last["content"] = .array(blocks)
            messages[messages.count - 1] = .object(last)
        }

        var turn = 0
        func size() -> Int {
            var probe = body
            probe["messages"] = .array(messages)
            return JSONValue.object(probe).jsonBytes.count
        }
        var current = size()
        while current < targetBytes {
            turn += 1
            let id = "toolu_01bench" + String(repeating: "0", count: max(0, 8 - String(turn).count)) + String(turn)
            let (text, tool, input, output) = agentTurn(turn)
            let assistant: JSONValue = [
                "role": "assistant",
                "content": [
                    ["type": "thinking", "thinking": "", "signature": .string(signature)],
                    ["type": "text", "text": .string(text)],
                    ["type": "tool_use", "id": .string(id), "name": .string(tool), "input": input],
                ],
            ]
            let user: JSONValue = [
                "role": "user",
                "content": [
                    [
                        "tool_use_id": .string(id), "type": "tool_result",
                        "content": .string(output + "\n\n<system-reminder>\n<total_tokens>\(15_000_000 - turn * 4000) tokens left</total_tokens>\n</system-reminder>"),
                        "is_error": false,
                    ]
                ],
            ]
            messages.append(assistant)
            messages.append(user)
            current += assistant.jsonBytes.count + user.jsonBytes.count + 2
        }
        // The moving cache point on the last block.
        if var last = messages.last?.objectValue, var blocks = last["content"]?.arrayValue,
            var block = blocks.last?.objectValue
        {
            block["cache_control"] = ["type": "ephemeral"]
            blocks[blocks.count - 1] = .object(block)
            last["content"] = .array(blocks)
            messages[messages.count - 1] = .object(last)
        }
        body["messages"] = .array(messages)
        return clientRequest(body: .object(body), betaHeader: file["headers"]?["anthropic-beta"]?.stringValue)
    }

    /// One step of an agentic session: what the assistant says, the tool, its input, its output.
    static func agentTurn(_ turn: Int) -> (String, String, JSONValue, String) {
        let file = "/home/user/project/Sources/Module\(turn % 7)/File\(turn).swift"
        switch turn % 4 {
        case 1:
            return (
                "Let me read `\(file)` to see how the parser handles this case.", "Read",
                ["file_path": .string(file)], sourceListing(turn, lines: 180)
            )
        case 2:
            return (
                "Now I'll build the package and run the affected tests.", "Bash",
                [
                    "command": "swift build 2>&1 | tail -80 && swift test --filter ParserTests 2>&1 | tail -40",
                    "description": "Build and run the parser tests",
                ],
                buildLog(turn, lines: 110)
            )
        case 3:
            return (
                "I'll search for every caller of `decodeFrame` before changing its signature.", "Grep",
                ["pattern": "decodeFrame\\(", "path": "/home/user/project/Sources", "output_mode": "content", "-n": true],
                searchHits(turn, lines: 60)
            )
        default:
            let old = "    func decodeFrame(_ bytes: inout ByteBuffer) throws -> Frame? {\n        guard bytes.readableBytes >= 12 else { return nil }"
            let new = "    func decodeFrame(_ bytes: inout ByteBuffer, limit: Int) throws(DecodingError) -> Frame? {\n        guard bytes.readableBytes >= Self.preludeSize else { return nil }\n        guard bytes.readableBytes <= limit else { throw .tooLarge }"
            return (
                "The prelude check is wrong for frames over the limit; fixing it.", "Edit",
                ["file_path": .string(file), "old_string": .string(old), "new_string": .string(new), "replace_all": false],
                "The file \(file) has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\n"
                    + sourceListing(turn, lines: 24)
            )
        }
    }

    /// `cat -n`-style numbered Swift source: quotes, backslashes, tabs and some non-ASCII, the
    /// characters JSON escaping has to deal with.
    static func sourceListing(_ seed: Int, lines: Int) -> String {
        let templates = [
            "import NIOCore",
            "",
            "/// Decodes one frame of the stream — \"prelude\", headers, payload — and checks both CRCs.",
            "struct FrameDecoder\(seed): Sendable {",
            "    var maximumFrameSize: Int = 16 * 1024 * 1024",
            "    let label = \"decoder-\(seed)\"",
            "    func describe(_ value: Int) -> String { \"frame(\\(value)) ✓\" }",
            "    mutating func decode(_ buffer: inout ByteBuffer) throws -> Frame? {",
            "        guard let total = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }",
            "\t\tif total > maximumFrameSize { throw DecodingError.tooLarge(Int(total)) }",
            "        let path = \"C:\\\\temp\\\\frames\\\\\(seed).bin\"  // Windows-style path in a test",
            "        return Frame(length: Int(total), headers: [:], payload: buffer.readSlice(length: 0)!)",
            "    }",
            "}",
        ]
        var out = ""
        out.reserveCapacity(lines * 60)
        for n in 1...lines {
            let number = String(n)
            out += String(repeating: " ", count: max(0, 6 - number.count)) + number + "\t"
            out += templates[(n + seed) % templates.count]
            out += "\n"
        }
        return out
    }

    static func buildLog(_ seed: Int, lines: Int) -> String {
        var out = "Building for debugging...\n"
        for n in 1...lines {
            switch (n + seed) % 5 {
            case 0: out += "[\(n)/\(lines)] Compiling Module\(n % 7) File\(n).swift\n"
            case 1: out += "/home/user/project/Sources/Module\(n % 7)/File\(n).swift:\(n * 3):17: warning: variable 'x' was never mutated; consider changing to 'let' constant\n"
            case 2: out += "Test Case '-[ParserTests.ParserTests testFrame\(n)]' passed (0.00\(n % 10) seconds).\n"
            case 3: out += "    let x = \"value \\(n)\"\n        ^~~\n"
            default: out += "[\(n)/\(lines)] Emitting module Module\(n % 7)\n"
            }
        }
        out += "Build complete! (12.34s)\nExecuted \(lines) tests, with 0 failures (0 unexpected) in 0.412 (0.415) seconds"
        return out
    }

    static func searchHits(_ seed: Int, lines: Int) -> String {
        var out = ""
        for n in 1...lines {
            out += "/home/user/project/Sources/Module\(n % 7)/File\(n + seed).swift:\(n * 7):        let frame = try decoder.decodeFrame(&buffer) // \"hit \(n)\"\n"
        }
        return out
    }

    // MARK: ConverseStream

    /// Bedrock's padding member `"p"`: letters of varying length.
    static func padding(_ n: Int) -> JSONValue {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return .string(String(alphabet.prefix(1 + (n * 7) % alphabet.count)))
    }

    static func frame(_ event: ConverseStreamEvent, padding n: Int) -> ByteBuffer {
        let wire = event.wire
        var payload = wire.payload.objectValue ?? JSONObject()
        payload.append("p", padding(n))
        var bytes = ByteBuffer()
        JSONValue.object(payload).write(into: &bytes)
        do {
            return try EventStreamEncoder.encode(.event(type: wire.eventType, payload: bytes))
        } catch {
            fatalError("cannot encode \(event): \(error)")
        }
    }

    static let words = [
        "the", "gateway", "translates", "every", "request", "into", "Converse,", "and", "each", "streamed",
        "delta", "becomes", "an", "SSE", "event;", "tokens", "arrive", "one", "word", "at", "a", "time.",
        "\n\n```swift\nlet", "x", "=", "\"quoted\"", "//", "naïve", "café", "✓\n```\n",
    ]

    /// One streamed answer as Bedrock sends it: one frame per event, `deltas` text deltas of one
    /// word each (with the leading space), then stop, metadata.
    public static func converseStream(deltas: Int) -> [ByteBuffer] {
        var frames = [frame(.messageStart(role: "assistant"), padding: 0)]
        for i in 0..<deltas {
            frames.append(frame(.contentBlockDelta(index: 0, delta: .text(" " + words[i % words.count])), padding: i + 1))
        }
        frames.append(frame(.contentBlockStop(index: 0), padding: 3))
        frames.append(frame(.messageStop(stopReason: "end_turn", additionalModelResponseFields: nil), padding: 4))
        frames.append(
            frame(
                .metadata(usage: ConverseUsage(inputTokens: 12_345, outputTokens: deltas, cacheReadInputTokens: 11_000, cacheWriteInputTokens: 300)),
                padding: 5))
        return frames
    }

    /// The 64-delta stream of the streaming benchmark, one frame per chunk.
    public static let stream64 = converseStream(deltas: 64)

    /// At least 1 MiB of event-stream frames (a long text answer: start, deltas, stop, metadata),
    /// cut into 16 KiB chunks as a socket would deliver them, so frames straddle chunks.
    public static let stream1MB: [ByteBuffer] = {
        var deltas = 64
        var frames = converseStream(deltas: deltas)
        while frames.reduce(0, { $0 + $1.readableBytes }) < 1 << 20 {
            deltas *= 2
            frames = converseStream(deltas: deltas)
        }
        var all = ByteBuffer()
        for var f in frames {
            all.writeBuffer(&f)
            if all.readableBytes >= 1 << 20 { break }
        }
        // Finish on the frame that crossed 1 MiB (the loop above stopped right after it).
        var chunks: [ByteBuffer] = []
        while all.readableBytes > 0 {
            chunks.append(all.readSlice(length: min(16 * 1024, all.readableBytes))!)
        }
        return chunks
    }()

    // MARK: Converse (non-streaming)

    /// A non-streaming Converse answer of `tokens` words of text (markdown with code and
    /// non-ASCII, as models write), as the JSON bytes AI Nexus sends.
    public static func converseResponse(tokens: Int) -> ByteBuffer {
        var text = ""
        text.reserveCapacity(tokens * 7)
        for i in 0..<tokens {
            if i > 0 { text += " " }
            text += words[i % words.count]
        }
        let json: JSONValue = [
            "metrics": ["latencyMs": 8123],
            "output": ["message": ["content": [["text": .string(text)]], "role": "assistant"]],
            "stopReason": "end_turn",
            "usage": [
                "cacheReadInputTokens": 11_000, "cacheWriteInputTokens": 300, "inputTokens": 1_045,
                "outputTokens": .int(tokens), "totalTokens": .int(12_345 + tokens),
            ],
        ]
        var buffer = ByteBuffer()
        json.write(into: &buffer)
        return buffer
    }

    public static let response2000 = converseResponse(tokens: 2000)
}
