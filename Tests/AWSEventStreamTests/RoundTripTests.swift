import AWSEventStream
import NIOCore
import Testing

@Suite("Encode / decode round trips")
struct RoundTripTests {
    @Test("every header type round-trips")
    func everyType() throws {
        let message = EventStreamMessage(headers: everyHeaderType, payload: ByteBuffer(string: #"{"x":1}"#))
        let frame = encoded(message)
        #expect(Set(everyHeaderType.map(\.value.typeCode)) == Set(0...9))
        let decoded = try decodeWithReader([frame[...]])
        #expect(decoded == [message])
        #expect(decoded.first?.headers.map(\.name) == everyHeaderType.map(\.name))
    }

    @Test("empty message is the 16-byte minimum frame")
    func emptyMessage() throws {
        let frame = encoded(EventStreamMessage())
        #expect(frame.count == EventStreamDecoder.minimumFrameSize)
        #expect(try decodeWithReader([frame[...]]) == [EventStreamMessage()])
    }

    @Test("integer and length extremes round-trip")
    func extremes() throws {
        let headers: [EventStreamHeader] = [
            EventStreamHeader(name: String(repeating: "n", count: 255), value: .bool(true)),
            EventStreamHeader(name: "i8max", value: .int8(.max)),
            EventStreamHeader(name: "i16min", value: .int16(.min)),
            EventStreamHeader(name: "i32min", value: .int32(.min)),
            EventStreamHeader(name: "i64max", value: .int64(.max)),
            EventStreamHeader(name: "ts", value: .timestamp(-1)),
            EventStreamHeader(name: "s", value: .string(String(repeating: "\u{E9}", count: 32767))),  // 65534 bytes
            EventStreamHeader(name: "b", value: .bytes([UInt8](repeating: 7, count: 60000))),  // together < 128 KiB
            EventStreamHeader(name: "empty-s", value: .string("")),
            EventStreamHeader(name: "empty-b", value: .bytes([])),
            EventStreamHeader(name: "", value: .int8(0)),
        ]
        let message = EventStreamMessage(headers: headers, payload: ByteBuffer(bytes: [1, 2, 3]))
        #expect(try decodeWithReader([encoded(message)[...]]) == [message])
    }

    @Test("random messages round-trip and re-encode to identical bytes")
    func randomMessages() throws {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<500 {
            let message = rng.message()
            let frame = encoded(message)
            let decoded = try decodeWithReader([frame[...]])
            #expect(decoded == [message])
            if let first = decoded.first {
                #expect(encoded(first) == frame)
            }
        }
    }

    @Test("Bedrock-shaped conveniences use Bedrock's header order")
    func conveniences() throws {
        let event = EventStreamMessage.event(type: "contentBlockDelta", payload: ByteBuffer(string: "{}"))
        #expect(event.headers.map(\.name) == [":event-type", ":content-type", ":message-type"])
        #expect(event.eventType == "contentBlockDelta")
        #expect(event.contentType == "application/json")
        #expect(event.messageType == "event")
        #expect(event.exceptionType == nil)

        let exception = EventStreamMessage.exception(type: "throttlingException", payload: ByteBuffer(string: "{}"))
        #expect(exception.headers.map(\.name) == [":exception-type", ":content-type", ":message-type"])
        #expect(exception.exceptionType == "throttlingException")
        #expect(exception.messageType == "exception")

        let error = EventStreamMessage.error(code: "InternalFailure", message: "boom")
        #expect(error.messageType == "error")
        #expect(error.errorCode == "InternalFailure")
        #expect(error.errorMessage == "boom")

        for message in [event, exception, error] {
            #expect(try decodeWithReader([encoded(message)[...]]) == [message])
        }
    }

    @Test("header subscript gets the first match, sets in place, removes with nil")
    func subscriptSemantics() {
        var message = EventStreamMessage(headers: [
            EventStreamHeader(name: "a", value: .int8(1)),
            EventStreamHeader(name: "b", value: .int8(2)),
            EventStreamHeader(name: "a", value: .int8(3)),
        ])
        #expect(message["a"] == .int8(1))
        #expect(message["missing"] == nil)
        #expect(message.messageType == nil)
        message["b"] = .string("x")
        #expect(message.headers.map(\.name) == ["a", "b", "a"])
        #expect(message.string(forHeader: "b") == "x")
        message["c"] = .bool(false)
        #expect(message.headers.last == EventStreamHeader(name: "c", value: .bool(false)))
        message["a"] = nil
        #expect(message.headers.map(\.name) == ["b", "c"])
        // A non-string :message-type is not reported as a message type.
        message[":message-type"] = .int32(1)
        #expect(message.messageType == nil)
    }

    @Test("encoding appends after existing content and leaves it intact")
    func appendsToExistingBuffer() throws {
        var buffer = ByteBuffer(string: "prefix")
        buffer.moveReaderIndex(forwardBy: 3)  // CRCs must not include bytes before the frame
        let message = sampleStreamMessages[1]
        try EventStreamEncoder.encode(message, into: &buffer)
        #expect(buffer.readString(length: 3) == "fix")
        #expect(buffer.readableArray == encoded(message))

        var viaProtocol = ByteBuffer()
        try EventStreamEncoder().encode(data: message, out: &viaProtocol)
        #expect(viaProtocol.readableArray == encoded(message))
    }

    @Test("decoded payloads are slices of the input, not copies")
    func payloadIsSlice() throws {
        let frame = encoded(.event(type: "x", payload: ByteBuffer(string: "payload-bytes")))
        var input = ByteBuffer(bytes: frame)
        var decoder = EventStreamDecoder()
        let message = try #require(try decoder.decode(buffer: &input))
        #expect(input.readableBytes == 0)
        let inputBase = input.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        let payloadBase = message.payload.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
        // Same storage: the payload starts where it sits in the frame (before the 4-byte message CRC).
        let payloadOffset = frame.count - 4 - message.payload.readableBytes
        #expect(payloadBase == inputBase + UInt(payloadOffset))
        #expect(message.payload.readableBytesView.elementsEqual("payload-bytes".utf8))
    }

    @Test("UUID bytes and description")
    func uuid() {
        let uuid = EventStreamUUID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        #expect(uuid.description == "01234567-89ab-cdef-fedc-ba9876543210")
        #expect(EventStreamUUID(bytes: uuid.bytes) == uuid)
        #expect(EventStreamUUID(bytes: [1, 2, 3]) == nil)
    }
    @Test("known header names and values decode like any other, near misses too")
    func knownHeaderStrings() throws {
        let headers: [EventStreamHeader] = [
            EventStreamHeader(name: ":event-type", value: .string("contentBlockDelta")),
            EventStreamHeader(name: ":content-type", value: .string("application/jsoN")),
            EventStreamHeader(name: ":message-typ", value: .string("event")),
            EventStreamHeader(name: ":exception-type", value: .string("")),
            EventStreamHeader(name: "metadata", value: .string("contentBlockDeltä")),
        ]
        let message = EventStreamMessage(headers: headers, payload: ByteBuffer(string: "{}"))
        let decoded = try decodeWithReader([encoded(message)[...]])
        #expect(decoded == [message])
        #expect(decoded.first?.eventType == "contentBlockDelta")
    }
}
