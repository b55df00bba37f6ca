import AWSEventStream
import NIOCore
import Testing

/// Checks against frames from the independent Python encoder (see BotocoreVectors.swift, which is generated and
/// verified against botocore by tests/python/eventstream/).
@Suite("Vectors from the independent encoder (verified with botocore)")
struct BotocoreVectorTests {
    @Test("decodes to the expected headers and payload", arguments: BotocoreVectors.positive)
    func decodesPositive(vector: BotocoreVector) throws {
        let frame = bytes(hex: vector.frameHex)
        let messages = try decodeWithReader([frame[...]])
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.headers == vector.headers)
        #expect(message.payload.readableArray == bytes(hex: vector.payloadHex))
    }

    @Test("the Swift encoder reproduces the frame byte for byte", arguments: BotocoreVectors.positive)
    func encoderMatches(vector: BotocoreVector) {
        let message = EventStreamMessage(headers: vector.headers, payload: ByteBuffer(bytes: bytes(hex: vector.payloadHex)))
        #expect(hexString(encoded(message)) == hexString(bytes(hex: vector.frameHex)))
    }

    @Test("the concatenated vectors decode as one stream, byte by byte")
    func stream() throws {
        let stream = BotocoreVectors.positive.flatMap { bytes(hex: $0.frameHex) }
        let chunks = (0..<stream.count).map { stream[$0..<($0 + 1)] }
        let messages = try decodeWithProcessor(chunks)
        #expect(messages.map(\.headers) == BotocoreVectors.positive.map(\.headers))
    }

    @Test("invalid frames fail with the expected error", arguments: BotocoreVectors.negative)
    func rejectsNegative(vector: BotocoreVector) throws {
        let expected = try #require(vector.error)
        let frame = bytes(hex: vector.frameHex)
        var decoder = EventStreamDecoder()
        var buffer = ByteBuffer(bytes: frame)
        #expect(throws: expected) { try decoder.decode(buffer: &buffer) }
        #expect(buffer.readableBytes == frame.count, "nothing is consumed on error")
    }
}
