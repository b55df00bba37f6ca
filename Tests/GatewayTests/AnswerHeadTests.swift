import NIOCore
import NIOHTTP1
import Testing

@testable import Gateway

/// `AnswerHead` writes what NIO's encoder would write for the same head: the fast front and
/// `MessagesChannelHandler` answer alike.
@Suite struct AnswerHeadTests {
    private func wire(_ head: AnswerHead) -> String {
        var bytes = ByteBuffer()
        head.write(into: &bytes)
        return String(buffer: bytes)
    }

    @Test func aWholeAnswerHasItsFieldsInOrderAndItsLength() {
        var head = AnswerHead(version: .http1_1, status: .ok)
        head.add("content-type", "application/json")
        head.add("x-nexus-retries", 0)
        head.add("content-length", 1234)
        #expect(!head.isChunked)
        #expect(
            wire(head)
                == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-nexus-retries: 0\r\n"
                + "content-length: 1234\r\n\r\n")
        let nio = head.httpResponseHead
        #expect(nio.status == .ok && nio.version == .http1_1)
        #expect(
            nio.headers.map { "\($0.name)=\($0.value)" }
                == ["content-type=application/json", "x-nexus-retries=0", "content-length=1234"])
    }

    @Test func aBodyOfUnknownLengthIsChunkedUnlessTheStatusHasNoBody() {
        var stream = AnswerHead(version: .http1_1, status: .ok)
        stream.add("cache-control", "no-cache")
        #expect(stream.isChunked)
        #expect(wire(stream) == "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n")
        #expect(!AnswerHead(version: .http1_1, status: .noContent).isChunked)
        #expect(!AnswerHead(version: .http1_1, status: .notModified).isChunked)
    }

    @Test func anErrorAnswerKeepsTheFieldsItWasMadeWith() {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "Content-Length", value: "2")
        headers.add(name: "retry-after", value: "7")
        let head = AnswerHead(
            version: .http1_0, HTTPResponseHead(version: .http1_1, status: .tooManyRequests, headers: headers))
        #expect(!head.isChunked && head.version == .http1_0)
        #expect(
            wire(head)
                == "HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nContent-Length: 2\r\n"
                + "retry-after: 7\r\n\r\n")
        #expect(head.httpResponseHead.headers["retry-after"] == ["7"])
    }
}
