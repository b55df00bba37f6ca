import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import Gateway

/// `FastRequestHead` takes only strictly well-formed `POST /v1/messages` heads; everything else
/// must come out `.notFast` (NIO's decoder then reads it), never as a head read differently.
@Suite struct FastRequestHeadTests {
    static let claudeCodeHead = """
        POST /v1/messages?beta=true HTTP/1.1\r
        host: 127.0.0.1:4000\r
        connection: keep-alive\r
        Accept: application/json\r
        X-Stainless-Lang: js\r
        anthropic-beta: claude-code-20250219,oauth-2025-04-20\r
        anthropic-beta: interleaved-thinking-2025-05-14\r
        anthropic-version: 2023-06-01\r
        content-type: application/json\r
        user-agent: claude-cli/2.1.0 (external, cli)\r
        X-Api-Key: \t sk-test \t\r
        Content-Length: 5\r
        \r
        hello
        """

    private func outcome(_ text: String) -> FastRequestHead.Outcome {
        FastRequestHead.parse(ByteBuffer(string: text))
    }

    @Test func aClaudeCodeHeadIsTakenWithTheHeadersTheResponderReads() throws {
        guard case .head(let head, let headLength, let bodyLength) = outcome(Self.claudeCodeHead) else {
            Issue.record("not taken")
            return
        }
        #expect(
            head
                == MessagesRequestHead(
                    version: .http1_1, keepAlive: true, apiKey: "sk-test", authorization: nil,
                    betaFields: ["claude-code-20250219,oauth-2025-04-20", "interleaved-thinking-2025-05-14"],
                    anthropicVersion: "2023-06-01"))
        #expect(bodyLength == 5)
        #expect(headLength == Self.claudeCodeHead.utf8.count - 5)
    }

    @Test func repeatedKeyFieldsAreJoinedAsOnTheOtherPaths() {
        guard
            case .head(let head, _, _) = outcome(
                "POST /v1/messages HTTP/1.1\r\nx-api-key: a\r\nAuthorization: Bearer b\r\nX-API-KEY: c\r\n"
                    + "authorization: d\r\ncontent-length: 0\r\n\r\n")
        else {
            Issue.record("not taken")
            return
        }
        #expect(head.apiKey == "a, c" && head.authorization == "Bearer b, d" && head.betaFields.isEmpty)
    }

    @Test func everyPrefixOfAFastHeadIsIncomplete() {
        let bytes = Array(Self.claudeCodeHead.utf8)
        let headLength = bytes.count - 5
        for cut in 0..<headLength {
            var buffer = ByteBuffer()
            buffer.writeBytes(bytes[..<cut])
            guard case .incomplete = FastRequestHead.parse(buffer) else {
                Issue.record("prefix of \(cut) bytes is not incomplete")
                return
            }
        }
    }

    @Test func connectionCloseIsKept() {
        guard
            case .head(let head, _, _) = outcome(
                "POST /v1/messages HTTP/1.1\r\nConnection: Close\r\ncontent-length: 0\r\n\r\n")
        else {
            Issue.record("not taken")
            return
        }
        #expect(!head.keepAlive)
    }

    @Test(arguments: [
        // Other routes and methods: the router's.
        "POST /v1/messages/count_tokens HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messagesx HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        "GET /v1/messages HTTP/1.1\r\n\r\n",
        "PUT /v1/messages HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/models HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        // HTTP/1.0, other versions, a malformed request line.
        "POST /v1/messages HTTP/1.0\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/2.0\r\ncontent-length: 2\r\n\r\n",
        "POST  /v1/messages HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages  HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages\u{1}x HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        "post /v1/messages HTTP/1.1\r\ncontent-length: 2\r\n\r\n",
        // Framing the fast path leaves to NIO: no length, chunked, several lengths, odd lengths.
        "POST /v1/messages HTTP/1.1\r\nhost: x\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: +2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: 2, 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: 1234567890123456789\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: \r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nupgrade: h2c\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nconnection: upgrade\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nconnection: keep-alive, te\r\ncontent-length: 2\r\n\r\n",
        // Malformed lines: bare LF, bare CR, folding, space before the colon, no colon, bad bytes.
        "POST /v1/messages HTTP/1.1\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: 2\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length: 2\r\n\n",
        "POST /v1/messages HTTP/1.1\r\nx-a: 1\rx\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nx-a: 1\r\n folded\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\ncontent-length : 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nx-a\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\n: 1\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nx-a: \u{0}\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nx-a: \u{7F}\r\ncontent-length: 2\r\n\r\n",
        "POST /v1/messages HTTP/1.1\r\nx(a): 1\r\ncontent-length: 2\r\n\r\n",
        // Not HTTP at all.
        "\u{16}\u{3}\u{1}\u{2}\u{0}\u{1}\u{0}\u{1}\u{fc}\u{3}\u{3}",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    ])
    func anythingElseIsNotFast(_ text: String) {
        guard case .notFast = outcome(text) else {
            Issue.record("taken or waiting: \(text.debugDescription)")
            return
        }
    }

    @Test func aHeadLargerThanTheLimitIsNotFast() {
        let padding = String(repeating: "a", count: FastRequestHead.maxHeadBytes)
        #expect(isNotFast(outcome("POST /v1/messages HTTP/1.1\r\nx-pad: \(padding)\r\ncontent-length: 2\r\n\r\n")))
        // …also before its end arrives.
        #expect(isNotFast(outcome("POST /v1/messages HTTP/1.1\r\nx-pad: \(padding)")))
    }

    private func isNotFast(_ outcome: FastRequestHead.Outcome) -> Bool {
        if case .notFast = outcome { return true }
        return false
    }

    /// Random mutations of a fast head: each comes out incomplete, not fast, or as a head whose
    /// length and body length NIO's own decoder agrees with.
    @Test func whatIsTakenAgreesWithNIOsDecoder() throws {
        var generator = SystemRandomNumberGenerator()
        let seed = Array(Self.claudeCodeHead.utf8)
        var taken = 0
        for _ in 0..<4000 {
            var input = seed
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<(input.count - 5), using: &generator)
                let bytes: [UInt8] = [
                    0, 9, 10, 13, 32, 44, 58, 65, 97, 127, 200, UInt8.random(in: 0...255, using: &generator),
                ]
                input[index] = bytes.randomElement(using: &generator)!
            }
            var buffer = ByteBuffer()
            buffer.writeBytes(input)
            guard case .head(let head, let headLength, let bodyLength) = FastRequestHead.parse(buffer) else { continue }
            taken += 1
            let nio = try decodeWithNIO(input)
            // The same route, body and connection, and the same fields for the responder as
            // `MessagesChannelHandler` gives it from NIO's head.
            #expect(MessagesChannelHandler.isMessages(nio.head))
            #expect(nio.bodyLength == bodyLength)
            #expect(nio.bodyDelivered == min(bodyLength, input.count - headLength))
            #expect(MessagesRequestHead(nio.head) == head)
        }
        #expect(taken > 100)
    }

    /// What NIO's server-side decoder reads from `bytes`: the first head, and how many body
    /// bytes it delivered.
    private func decodeWithNIO(
        _ bytes: [UInt8]
    ) throws -> (head: HTTPRequestHead, bodyDelivered: Int, bodyLength: Int) {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        try channel.writeInbound(buffer)
        var head: HTTPRequestHead?
        var body = 0
        var ended = false
        while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
            switch part {
            case .head(let h) where head == nil: head = h
            case .body(let b) where !ended: body += b.readableBytes
            case .end: ended = true
            default: break
            }
        }
        _ = try? channel.finish()
        let h = try #require(head)
        let length = Int(h.headers.first(name: "content-length") ?? "0") ?? -1
        return (h, body, length)
    }
}
