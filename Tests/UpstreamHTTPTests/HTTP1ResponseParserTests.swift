import NIOCore
import NIOHTTP1
import Testing

@testable import UpstreamHTTP

/// What the parser made of an answer: the head, the body bytes joined, whether it ended, and
/// whether the connection may be reused.
private struct Parsed: Equatable {
    var status: Int?
    var headers: [String] = []
    var body = ""
    var ended = false
    var keepAlive = true
}

/// Feeds `pieces` one after the other (unconsumed bytes carried over, as the handler does).
private func parse(_ pieces: [[UInt8]], toHEAD: Bool = false, close: Bool = false) throws(HTTP1ClientError) -> Parsed {
    var parser = HTTP1ResponseParser()
    parser.expectAnswer(toHEAD: toHEAD)
    var parsed = Parsed()
    var carried = ByteBuffer()
    func take(_ part: HTTP1ResponseParser.Part) {
        switch part {
        case .head(let head):
            parsed.status = Int(head.status.code)
            parsed.headers = head.headers.map { "\($0.name)=\($0.value)" }
        case .body(let chunk): parsed.body += String(buffer: chunk)
        case .end: parsed.ended = true
        }
    }
    for piece in pieces {
        carried.writeBytes(piece)
        while let part = try parser.next(&carried) { take(part) }
    }
    if close, let part = try parser.endOfInput() { take(part) }
    parsed.keepAlive = parser.keepAlive
    return parsed
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Every way of cutting `text` in two, and byte by byte.
private func splits(_ text: String) -> [[[UInt8]]] {
    let all = bytes(text)
    var result = (0...all.count).map { [Array(all[..<$0]), Array(all[$0...])] }
    result.append(all.map { [$0] })
    return result
}

@Suite struct HTTP1ResponseParserTests {
    static let fixed = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhello"
    static let chunked =
        "HTTP/1.1 200 OK\r\ncontent-type: application/vnd.amazon.eventstream\r\ntransfer-encoding: chunked\r\n\r\n"
        + "5;ext=1\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nx-trailer: t\r\n\r\n"

    @Test func aFixedLengthAnswerReadsTheSameHoweverItIsCut() throws {
        let expected = Parsed(
            status: 200, headers: ["Content-Type=application/json", "Content-Length=5"], body: "hello", ended: true)
        for pieces in splits(Self.fixed) {
            #expect(try parse(pieces) == expected)
        }
    }

    @Test func aChunkedAnswerReadsTheSameHoweverItIsCut() throws {
        for pieces in splits(Self.chunked) {
            let parsed = try parse(pieces)
            #expect(parsed.body == "hello abcdefghijklmnopqrstuvwxy")
            #expect(parsed.ended && parsed.keepAlive && parsed.status == 200)
        }
    }

    @Test func bareLineFeedsAreAccepted() throws {
        let parsed = try parse([bytes("HTTP/1.1 200 OK\ncontent-length: 2\n\nhi")])
        #expect(parsed == Parsed(status: 200, headers: ["content-length=2"], body: "hi", ended: true))
        let chunks = try parse([bytes("HTTP/1.1 200 OK\ntransfer-encoding: chunked\n\n2\nhi\n0\n\n")])
        #expect(chunks.body == "hi" && chunks.ended)
    }

    @Test func aBodyWithoutLengthRunsToTheEndOfTheConnection() throws {
        let open = try parse([bytes("HTTP/1.1 200 OK\r\n\r\nsome"), bytes(" more")])
        #expect(open.body == "some more" && !open.ended)
        let closed = try parse([bytes("HTTP/1.1 200 OK\r\n\r\nsome")], close: true)
        #expect(closed.body == "some" && closed.ended && !closed.keepAlive)
    }

    @Test func anAnswerCutShortIsAClosedConnection() {
        #expect(throws: HTTP1ClientError.connectionClosed) {
            try parse([bytes("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf")], close: true)
        }
        #expect(throws: HTTP1ClientError.connectionClosed) { try parse([bytes("HTTP/1.1 200 O")], close: true) }
        #expect(throws: HTTP1ClientError.connectionClosed) {
            try parse([bytes("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel")], close: true)
        }
    }

    @Test func informationalHeadsAreSkipped() throws {
        let parsed = try parse([bytes("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")]
        )
        #expect(parsed == Parsed(status: 201, headers: ["content-length=0"], ended: true))
    }

    @Test func answersWithoutABodyEndAtTheirHead() throws {
        let noContent = try parse([bytes("HTTP/1.1 204 No Content\r\ncontent-length: 7\r\n\r\n")])
        #expect(noContent.ended && noContent.body.isEmpty)
        let toHEAD = try parse([bytes("HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n")], toHEAD: true)
        #expect(toHEAD.ended && toHEAD.body.isEmpty && toHEAD.keepAlive)
    }

    @Test func whenTheConnectionIsNotReused() throws {
        #expect(try !parse([bytes("HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")]).keepAlive)
        #expect(try !parse([bytes("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n")]).keepAlive)
        #expect(try parse([bytes("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n")]).keepAlive)
        // Both framings: chunked wins, and the connection is not trusted with another answer.
        let both = try parse([
            bytes("HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n")
        ])
        #expect(both.body == "hi" && both.ended && !both.keepAlive)
        // A coding other than chunked last: the body runs to the end of the connection.
        let gzip = try parse([bytes("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nzz")], close: true)
        #expect(gzip.body == "zz" && !gzip.keepAlive)
    }

    @Test func repeatedEqualContentLengthsAreOneLength() throws {
        let parsed = try parse([bytes("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nhi")])
        #expect(parsed.body == "hi" && parsed.ended)
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nhi", "invalid content-length"),
        ("HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\nhi", "invalid content-length"),
        ("HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n", "invalid content-length"),
        ("HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\n\r\n", "obsolete line folding"),
        ("HTTP/1.1 200 OK\r\nx-a: 1\rx-b: 2\r\n\r\n", "bare CR in the head"),
        ("HTTP/1.1 200 OK\r\nx a: 1\r\n\r\n", "invalid header name"),
        ("HTTP/1.1 200 OK\r\n: 1\r\n\r\n", "invalid header name"),
        ("HTTP/1.1 200 OK\r\nx-a 1\r\n\r\n", "header line without a colon"),
        ("HTTP/1.1 200 OK\r\nx-a: a\u{0}b\r\n\r\n", "invalid character in a header value"),
        ("HTTP/2 200 OK\r\n\r\n", "invalid status line"),
        ("HTTP/1.1 2000 OK\r\n\r\n", "invalid status line"),
        ("HTTP/1.1 20x OK\r\n\r\n", "invalid status code"),
        ("HTTP/1.1 099 Low\r\n\r\n", "invalid status line"),
        ("SSH-2.0-OpenSSH\r\n\r\n", "invalid status line"),
        ("HTTP/1.1 101 Switching Protocols\r\n\r\n", "unexpected 101 Switching Protocols"),
        ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", "invalid chunk size"),
        ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5 x\r\n", "invalid chunk size"),
        ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1000000000000000\r\n", "chunk size too large"),
        ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhiX", "no line break after chunk data"),
    ])
    func malformedAnswersFail(answer: String, why: String) {
        #expect(throws: HTTP1ClientError.malformedResponse(why)) { try parse([bytes(answer)]) }
    }

    @Test func aHeadTooLargeFailsWithoutWaitingForItsEnd() {
        let huge = "HTTP/1.1 200 OK\r\nx-a: " + String(repeating: "a", count: HTTP1ResponseParser.maxHeadBytes)
        #expect(throws: HTTP1ClientError.malformedResponse("head too large")) { try parse([bytes(huge)]) }
    }

    @Test func afterAFailureNothingMoreIsRead() throws {
        var parser = HTTP1ResponseParser()
        parser.expectAnswer(toHEAD: false)
        var buffer = ByteBuffer(string: "nonsense\r\n\r\n")
        #expect(throws: HTTP1ClientError.self) { try parser.next(&buffer) }
        var next = ByteBuffer(string: Self.fixed)
        #expect(try parser.next(&next) == nil)
        #expect(!parser.keepAlive)
    }

    /// Random bytes, and valid answers with bytes flipped, end in parts or an error: never a
    /// trap, a hang or a body longer than the bytes fed.
    @Test func arbitraryBytesNeverCrashTheParser() {
        var generator = SystemRandomNumberGenerator()
        let seeds = [bytes(Self.fixed), bytes(Self.chunked)]
        for round in 0..<3000 {
            var input: [UInt8]
            if round % 3 == 0 {
                input = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                input = seeds[round % 2]
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    input[Int.random(in: 0..<input.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            }
            let cut = Int.random(in: 0...input.count, using: &generator)
            if let parsed = try? parse([Array(input[..<cut]), Array(input[cut...])], close: true) {
                #expect(parsed.body.utf8.count <= input.count)
            }
        }
    }
}

@Suite struct HTTP1RequestEncodingTests {
    private static let nexus = HTTP1Target.parse(url: "https://nexus.example.com")!.target
    private static let local = HTTP1Target.parse(url: "http://127.0.0.1:4200")!.target
    private static let proxy = HTTP1ConnectionPool.Proxy(host: "proxy", port: 3128, authorization: "Basic cDpx")

    private func wire(
        _ target: HTTP1Target, method: HTTPMethod = .POST, path: String = "/model/m/converse",
        headers: HTTPHeaders = [:], body: String = "{}", proxy: HTTP1ConnectionPool.Proxy? = nil
    ) -> HTTP1WireRequest? {
        HTTP1RequestEncoding.wire(
            HTTP1Request(
                target: target, method: method, path: path, headers: HTTP1RequestFields(headers),
                body: ByteBuffer(string: body)),
            proxy: proxy)
    }

    @Test func theHeadHasHostTheCallersHeadersAndContentLengthThenASmallBody() throws {
        let headers: HTTPHeaders = [
            "content-type": "application/json", "Host": "ignored", "Content-Length": "99",
            "authorization": "Bearer k",
        ]
        let request = try #require(wire(Self.nexus, headers: headers))
        #expect(
            String(buffer: request.bytes)
                == "POST /model/m/converse HTTP/1.1\r\nhost: nexus.example.com\r\n"
                + "content-type: application/json\r\nauthorization: Bearer k\r\ncontent-length: 2\r\n\r\n{}")
        #expect(request.separateBody == nil && !request.isHEAD)
        let local = try #require(wire(Self.local, method: .HEAD, path: "/", body: ""))
        #expect(String(buffer: local.bytes) == "HEAD / HTTP/1.1\r\nhost: 127.0.0.1:4200\r\ncontent-length: 0\r\n\r\n")
        #expect(local.isHEAD)
        let v6 = try #require(
            wire(HTTP1Target.parse(url: "http://[::1]:80/")!.target, method: .GET, path: "/", body: ""))
        #expect(String(buffer: v6.bytes).hasPrefix("GET / HTTP/1.1\r\nhost: [::1]\r\n"))
    }

    @Test func aLargeBodyIsWrittenSeparately() throws {
        let body = String(repeating: "x", count: HTTP1RequestEncoding.copiedBodyLimit + 1)
        let request = try #require(wire(Self.nexus, body: body))
        #expect(String(buffer: request.bytes).hasSuffix("content-length: \(body.utf8.count)\r\n\r\n"))
        #expect(request.separateBody.map { String(buffer: $0) } == body)
    }

    @Test func throughAPlainHTTPProxyTheTargetIsAbsoluteAndTheProxyAuthorizationIsSent() throws {
        let headers: HTTPHeaders = ["proxy-authorization": "from the caller"]
        let plain = try #require(wire(Self.local, headers: headers, proxy: Self.proxy))
        #expect(
            String(buffer: plain.bytes)
                == "POST http://127.0.0.1:4200/model/m/converse HTTP/1.1\r\nhost: 127.0.0.1:4200\r\n"
                + "content-length: 2\r\nproxy-authorization: Basic cDpx\r\n\r\n{}")
        // Through a CONNECT tunnel (https), the proxy never sees the request: origin form.
        let tunnelled = try #require(wire(Self.nexus, proxy: Self.proxy))
        #expect(String(buffer: tunnelled.bytes).hasPrefix("POST /model/m/converse HTTP/1.1\r\n"))
        #expect(!String(buffer: tunnelled.bytes).contains("proxy-authorization"))
    }

    @Test func fieldsAreEncodedOnceAndTheirMirrorHidesTheirValues() throws {
        let fields: HTTP1RequestFields = ["accept": "application/json", "authorization": "Bearer secret-key"]
        #expect(fields.areValid)
        let request = try #require(
            HTTP1RequestEncoding.wire(
                HTTP1Request(target: Self.nexus, path: "/p", headers: fields, body: ByteBuffer()), proxy: nil))
        #expect(
            String(buffer: request.bytes).contains(
                "\r\naccept: application/json\r\nauthorization: Bearer secret-key\r\n"))
        var dumped = ""
        dump(fields, to: &dumped)
        #expect(!dumped.contains("secret-key") && !String(reflecting: fields).contains("secret-key"))
    }

    @Test func contentLengthAndPortAreWrittenInDecimal() throws {
        for length in [0, 1, 9, 10, 99, 100, 12_345, 1_000_000] {
            let request = try #require(wire(Self.local, body: String(repeating: "x", count: length)))
            #expect(String(buffer: request.bytes).contains("\r\ncontent-length: \(length)\r\n\r\n"))
        }
        let odd = try #require(wire(HTTP1Target.parse(url: "http://h:65535")!.target, body: ""))
        #expect(String(buffer: odd.bytes).contains("\r\nhost: h:65535\r\n"))
    }

    @Test func forbiddenCharactersAreNotSent() {
        for (name, value) in [
            ("authorization", "Bearer k\r\nx-injected: 1"), ("bad name", "v"), ("x", "a\u{0}"), ("", "v"),
        ] {
            var headers = HTTPHeaders()
            headers.add(name: name, value: value)
            #expect(!HTTP1RequestFields(headers).areValid)
            #expect(wire(Self.nexus, headers: headers) == nil)
        }
        for path in ["/a b", "/a\r\nx: 1", "/\u{7F}"] {
            #expect(wire(Self.nexus, path: path) == nil)
        }
    }
}

@Suite struct HTTP1FieldsTests {
    /// The fields of `head` as the parser reads them.
    private func fields(_ head: String) throws -> HTTP1Fields {
        var parser = HTTP1ResponseParser()
        parser.expectAnswer(toHEAD: true)
        var buffer = ByteBuffer(string: head)
        guard case .head(let parsed) = try #require(try parser.next(&buffer)) else {
            Issue.record("no head")
            return HTTP1Fields()
        }
        return parsed.headers
    }

    @Test func fieldsAreFoundByNameInAnyCaseWithoutTheirSpaces() throws {
        let read = try fields(
            "HTTP/1.1 429 Too Many Requests\r\nContent-Type:\tapplication/json  \r\nX-Amzn-ErrorType: "
                + "ThrottlingException:http://internal.amazon.com/\nretry-after: 2\r\nVia: a\r\nvia:b\r\nempty:\r\n\r\n"
        )
        #expect(read.first(name: "content-type") == "application/json")
        #expect(read.first(name: "x-amzn-errortype") == "ThrottlingException:http://internal.amazon.com/")
        #expect(read.first(name: "RETRY-AFTER") == "2")
        #expect(read["via"] == ["a", "b"])
        #expect(read.first(name: "empty") == "")
        #expect(read.first(name: "content-typ") == nil && read.first(name: "missing") == nil && read["x"] == [])
        #expect(read.map(\.name) == ["Content-Type", "X-Amzn-ErrorType", "retry-after", "Via", "via", "empty"])
        #expect(read.httpHeaders["via"] == ["a", "b"])
        // Names that differ only outside letters are different names.
        #expect(try fields("HTTP/1.1 200 OK\r\na-b: 1\r\n\r\n").first(name: "a\rb") == nil)
    }

    @Test func anAnswerWithoutFieldsHasNone() throws {
        let read = try fields("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(Array(read).isEmpty && read.first(name: "a") == nil && read == HTTP1Fields())
    }

    @Test func fieldsMadeFromPairsReadBackTheSame() {
        let made = HTTP1Fields([("Content-Type", "text/plain"), ("x-a", "1"), ("X-A", "2")])
        #expect(made.first(name: "content-type") == "text/plain" && made["x-a"] == ["1", "2"])
        #expect(made == HTTP1Fields([("Content-Type", "text/plain"), ("x-a", "1"), ("X-A", "2")]))
        #expect(made != HTTP1Fields([("Content-Type", "text/plain")]))
        #expect(made.description == "Content-Type: text/plain\nx-a: 1\nX-A: 2")
    }
}
