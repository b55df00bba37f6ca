import AnthropicAPI
import NIOCore
import NexusJSON
import Providers
import Testing

@Suite struct SSEEventReaderTests {
    func events(_ chunks: [String]) throws -> [(String, String)] {
        var reader = SSEEventReader()
        var out: [(String, String)] = []
        for chunk in chunks {
            reader.append(ByteBuffer(string: chunk))
            while let event = try reader.next() {
                #expect(event.kind == .other || event.name == "\(event.kind)".snakeCased, "\(event.name)")
                out.append((event.name, String(buffer: event.data)))
            }
        }
        return out
    }

    @Test func eventsAreReadWholeHoweverTheBytesAreSplit() throws {
        let text =
            "event: message_start\ndata: {\"type\":\"message_start\"}\n\n: a comment\n\nevent: ping\r\ndata: {}\r\n\r\nevent: content_block_delta\ndata: {\"a\":1}\n\n"
        let whole = try events([text])
        #expect(whole.map(\.0) == ["message_start", "ping", "content_block_delta"])
        #expect(whole.map(\.1) == [#"{"type":"message_start"}"#, "{}", #"{"a":1}"#])
        // Every split point, byte by byte.
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            let parts = [
                String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self),
            ]
            let split = try events(parts)
            #expect(split.map(\.0) == whole.map(\.0), "cut at \(cut)")
            #expect(split.map(\.1) == whole.map(\.1), "cut at \(cut)")
        }
    }

    @Test func dataLinesAreJoinedAndAnUnnamedEventIsAMessage() throws {
        let got = try events(["data: a\ndata:b\n\n"])
        #expect(got.count == 1 && got[0].0 == "message" && got[0].1 == "a\nb")
    }

    @Test func anEndlessEventIsAnError() {
        var reader = SSEEventReader(maximumEventSize: 16)
        reader.append(ByteBuffer(string: "data: 0123456789abcdefghij"))
        #expect(throws: SSEEventReader.ReadError.self) {
            var copy = reader
            _ = try copy.next()
        }
    }
}

@Suite struct ThinkingScrubberTests {
    func parse(_ text: String) throws -> JSONValue { try JSONValue.parse(ByteBuffer(string: text)) }

    @Test func earlierThinkingGoesAndThinkingStaysOn() throws {
        let body = try parse(
            """
            {"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[
            {"role":"user","content":"hi"},
            {"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"hello"}]},
            {"role":"user","content":"again"}]}
            """)
        let (scrubbed, report) = try #require(ThinkingScrubber.scrub(body))
        #expect(report.blocksRemoved == 1 && !report.thinkingDisabled)
        #expect(scrubbed["messages"]?.arrayValue?[1]["content"]?.arrayValue?.count == 1)
        #expect(scrubbed["thinking"]?["type"]?.stringValue == "enabled")
    }

    @Test func aToolLoopThatLosesItsThinkingTurnsThinkingOff() throws {
        let body = try parse(
            """
            {"model":"m","max_tokens":2000,"thinking":{"type":"adaptive"},"messages":[
            {"role":"user","content":"run it"},
            {"role":"assistant","content":[{"type":"redacted_thinking","data":"x"},{"type":"tool_use","id":"t1","name":"Bash","input":{}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}
            """)
        let (scrubbed, report) = try #require(ThinkingScrubber.scrub(body))
        #expect(report.blocksRemoved == 1 && report.thinkingDisabled)
        #expect(scrubbed["thinking"] == nil)
        #expect(scrubbed["messages"]?.arrayValue?[1]["content"]?.arrayValue?.first?["type"]?.stringValue == "tool_use")
    }

    @Test func aRequestWithoutThinkingIsLeftAlone() throws {
        #expect(ThinkingScrubber.scrub(try parse(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#)) == nil)
    }

    @Test func signatureErrorsAreRecognised() {
        #expect(ThinkingScrubber.isSignatureError("messages.1.content.0: Invalid `signature` in `thinking` block"))
        #expect(!ThinkingScrubber.isSignatureError("max_tokens: Field required"))
    }
}

@Suite struct SignatureLedgerTests {
    @Test func itRemembersWhoSignedWhatAndForgetsTheOldestFirst() {
        let ledger = SignatureLedger(capacity: 2)
        ledger.record("sig-a", upstream: "nexus")
        ledger.record("sig-b", upstream: "backup")
        #expect(ledger.origin(of: "sig-a") == "nexus" && ledger.origin(of: "sig-b") == "backup")
        #expect(ledger.origin(of: "sig-c") == nil)
        ledger.record("sig-c", upstream: "backup")
        #expect(ledger.origin(of: "sig-a") == nil && ledger.origin(of: "sig-c") == "backup")
        ledger.record("", upstream: "x")
        #expect(ledger.origin(of: "") == nil)
    }

    @Test func blocksNameTheirSignature() throws {
        let thinking = try JSONValue.parse(ByteBuffer(string: #"{"type":"thinking","thinking":"t","signature":"s1"}"#))
        let redacted = try JSONValue.parse(ByteBuffer(string: #"{"type":"redacted_thinking","data":"d1"}"#))
        let text = try JSONValue.parse(ByteBuffer(string: #"{"type":"text","text":"x"}"#))
        #expect(SignatureLedger.signature(of: thinking) == "s1")
        #expect(SignatureLedger.signature(of: redacted) == "d1")
        #expect(SignatureLedger.signature(of: text) == nil)
    }

    @Test func onlyTheBlocksPickedAreTakenOut() throws {
        let body = try JSONValue.parse(
            ByteBuffer(
                string: """
                    {"model":"m","thinking":{"type":"adaptive"},"messages":[
                    {"role":"user","content":"hi"},
                    {"role":"assistant","content":[{"type":"thinking","thinking":"a","signature":"mine"},{"type":"text","text":"1"}]},
                    {"role":"user","content":"again"},
                    {"role":"assistant","content":[{"type":"thinking","thinking":"b","signature":"theirs"},{"type":"text","text":"2"}]},
                    {"role":"user","content":"more"}]}
                    """))
        let (scrubbed, report) = try #require(
            ThinkingScrubber.scrub(body) { SignatureLedger.signature(of: $0) == "theirs" })
        #expect(report.blocksRemoved == 1 && !report.thinkingDisabled)
        let messages = scrubbed["messages"]?.arrayValue ?? []
        #expect(messages[1]["content"]?.arrayValue?.count == 2 && messages[3]["content"]?.arrayValue?.count == 1)
        #expect(ThinkingScrubber.scrub(body) { _ in false } == nil)
    }
}

extension String {
    /// `contentBlockDelta` → `content_block_delta`.
    fileprivate var snakeCased: String {
        var out = ""
        for c in self {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}
