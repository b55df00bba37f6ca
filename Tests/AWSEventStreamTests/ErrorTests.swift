import AWSEventStream
import NIOCore
import Testing

/// Decodes a single complete input with a fresh decoder.
private func decodeOnce(_ bytes: [UInt8], maximumFrameSize: Int = EventStreamDecoder.defaultMaximumFrameSize)
    throws(EventStreamError) -> EventStreamMessage?
{
    var decoder = EventStreamDecoder(maximumFrameSize: maximumFrameSize)
    var buffer = ByteBuffer(bytes: bytes)
    return try decoder.decode(buffer: &buffer)
}

/// A frame with valid CRCs around arbitrary (possibly inconsistent) lengths, headers and payload.
func rawFrame(headers: [UInt8], payload: [UInt8] = [], totalLength: Int? = nil, headersLength: Int? = nil) -> [UInt8] {
    var frame = ByteBuffer()
    frame.writeInteger(UInt32(totalLength ?? (16 + headers.count + payload.count)))
    frame.writeInteger(UInt32(headersLength ?? headers.count))
    frame.writeInteger(EventStreamCRC32.checksum(frame.readableArray))
    frame.writeBytes(headers)
    frame.writeBytes(payload)
    frame.writeInteger(EventStreamCRC32.checksum(frame.readableArray))
    return frame.readableArray
}

private func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
}

@Suite("Decoding errors")
struct ErrorTests {
    static let frame = encoded(sampleStreamMessages[2])

    @Test("flipping any bit gives the checksum error of the part it hit, with the right values")
    func everyBitFlip() {
        let frame = Self.frame
        for index in 0..<frame.count {
            for bit in 0..<8 {
                var corrupt = frame
                corrupt[index] ^= 1 << bit
                let expected: EventStreamError
                if index < 12 {
                    expected = .preludeChecksumMismatch(
                        expected: readUInt32(corrupt, at: 8),
                        actual: EventStreamCRC32.checksum(corrupt[..<8])
                    )
                } else {
                    expected = .messageChecksumMismatch(
                        expected: readUInt32(corrupt, at: corrupt.count - 4),
                        actual: EventStreamCRC32.checksum(corrupt[..<(corrupt.count - 4)])
                    )
                }
                #expect(throws: expected, "byte \(index) bit \(bit)") { try decodeOnce(corrupt) }
            }
        }
    }

    @Test("a corrupt prelude fails with only the 12 prelude bytes available")
    func preludeCheckedFirst() {
        var prelude = Array(Self.frame[..<12])
        prelude[1] ^= 0x40  // total_length now claims ~4 MiB more
        let expected = EventStreamError.preludeChecksumMismatch(
            expected: readUInt32(prelude, at: 8),
            actual: EventStreamCRC32.checksum(prelude[..<8])
        )
        #expect(throws: expected) { try decodeOnce(prelude) }
    }

    @Test("an oversize total_length fails immediately, without buffering the frame")
    func frameTooLarge() throws {
        let huge = rawFrame(headers: [], totalLength: 100 * 1024 * 1024)
        let prelude = Array(huge[..<12])
        #expect(throws: EventStreamError.frameTooLarge(length: 100 * 1024 * 1024, maximum: EventStreamDecoder.defaultMaximumFrameSize)) {
            try decodeOnce(prelude)
        }
        let processor = NIOSingleStepByteToMessageProcessor(EventStreamDecoder())
        #expect(throws: EventStreamError.frameTooLarge(length: 100 * 1024 * 1024, maximum: EventStreamDecoder.defaultMaximumFrameSize)) {
            try processor.process(buffer: ByteBuffer(bytes: prelude)) { _ in }
        }

        // A configured maximum applies to otherwise valid frames.
        let frame = Self.frame
        #expect(throws: EventStreamError.frameTooLarge(length: frame.count, maximum: frame.count - 1)) {
            try decodeOnce(Array(frame[..<12]), maximumFrameSize: frame.count - 1)
        }
        #expect(try decodeOnce(frame, maximumFrameSize: frame.count) != nil)
        // The default admits the largest legal frame's prelude (need more data, no error).
        let largest = rawFrame(headers: [], totalLength: EventStreamDecoder.defaultMaximumFrameSize)
        #expect(try decodeOnce(Array(largest[..<12])) == nil)
    }

    @Test("inconsistent prelude lengths")
    func lengthErrors() {
        #expect(throws: EventStreamError.frameTooSmall(length: 15)) {
            try decodeOnce(rawFrame(headers: [], totalLength: 15))
        }
        #expect(throws: EventStreamError.frameTooSmall(length: 0)) {
            try decodeOnce(Array(rawFrame(headers: [], totalLength: 0)[..<12]))
        }
        #expect(throws: EventStreamError.invalidHeadersLength(headersLength: 5, frameLength: 20)) {
            try decodeOnce(rawFrame(headers: [], payload: [1, 2, 3, 4], headersLength: 5))
        }
        let tooLong = EventStreamDecoder.maximumHeadersLength + 1
        #expect(throws: EventStreamError.headersTooLong(length: tooLong, maximum: EventStreamDecoder.maximumHeadersLength)) {
            try decodeOnce(Array(rawFrame(headers: [], totalLength: tooLong + 16, headersLength: tooLong)[..<12]))
        }
    }

    @Test("malformed headers behind valid checksums", arguments: [
        ([0x01, 0x61, 0x0A], EventStreamError.invalidHeaderType(10)),
        ([0x01, 0x61, 0xFF], .invalidHeaderType(255)),
        ([0x05, 0x61], .truncatedHeader),  // name runs past the end
        ([0x01, 0x61], .truncatedHeader),  // no type byte
        ([0x01, 0x61, 0x02], .truncatedHeader),  // int8 without value
        ([0x01, 0x61, 0x03, 0x00], .truncatedHeader),
        ([0x01, 0x61, 0x04, 0x00, 0x00, 0x00], .truncatedHeader),
        ([0x01, 0x61, 0x05, 0x00, 0x00, 0x00, 0x00], .truncatedHeader),
        ([0x01, 0x61, 0x08, 0x00], .truncatedHeader),
        ([0x01, 0x61, 0x09] + [UInt8](repeating: 0, count: 15), .truncatedHeader),
        ([0x01, 0x61, 0x06, 0x00], .truncatedHeader),  // half a length prefix
        ([0x01, 0x61, 0x06, 0x00, 0x03, 0x01, 0x02], .truncatedHeader),
        ([0x01, 0x61, 0x07, 0xFF, 0xFF, 0x41], .truncatedHeader),
        ([0x01, 0xFF, 0x00], .invalidUTF8InHeader),
        ([0x01, 0x61, 0x07, 0x00, 0x02, 0xC3, 0x28], .invalidUTF8InHeader),
        ([0x01, 0x61, 0x07, 0x00, 0x03, 0xED, 0xA0, 0x80], .invalidUTF8InHeader),  // encoded surrogate
        ([0x01, 0x61, 0x00, 0x01, 0x62, 0x0B], .invalidHeaderType(11)),  // second header bad
    ] as [([UInt8], EventStreamError)])
    func malformedHeaders(headers: [UInt8], error: EventStreamError) {
        #expect(throws: error) { try decodeOnce(rawFrame(headers: headers, payload: [0x7B, 0x7D])) }
    }

    @Test("duplicate header names are kept in order (lookups see the first)")
    func duplicateHeaders() throws {
        let headers: [UInt8] = [0x01, 0x61, 0x00, 0x01, 0x61, 0x01]
        let message = try #require(try decodeOnce(rawFrame(headers: headers)))
        #expect(message.headers.count == 2)
        #expect(message["a"] == .bool(true))
    }

    @Test("after an error the reader keeps failing the same way")
    func readerStaysFailed() {
        var corrupt = Self.frame
        corrupt[20] ^= 1
        var reader = EventStreamFrameReader()
        reader.append(contentsOf: corrupt + encoded(EventStreamMessage()))
        var errors: [EventStreamError] = []
        for _ in 0..<3 {
            do {
                _ = try reader.next()
                Issue.record("expected an error")
            } catch {
                errors.append(error)
            }
        }
        #expect(errors.count == 3)
        #expect(Set(errors.map(\.description)).count == 1)
    }

    @Test("the encoder refuses frames AWS would reject and leaves the buffer untouched")
    func encoderLimits() {
        func expectEncodeFails(_ message: EventStreamMessage, _ error: EventStreamError) {
            var buffer = ByteBuffer(string: "keep")
            #expect(throws: error) { try EventStreamEncoder.encode(message, into: &buffer) }
            #expect(buffer == ByteBuffer(string: "keep"))
        }
        let longName = String(repeating: "x", count: 256)
        expectEncodeFails(
            EventStreamMessage(headers: [EventStreamHeader(name: longName, value: .bool(true))]),
            .headerNameTooLong(longName)
        )
        expectEncodeFails(
            EventStreamMessage(headers: [EventStreamHeader(name: "s", value: .string(String(repeating: "y", count: 65536)))]),
            .headerValueTooLong(name: "s", length: 65536)
        )
        expectEncodeFails(
            EventStreamMessage(headers: [EventStreamHeader(name: "b", value: .bytes([UInt8](repeating: 0, count: 70000)))]),
            .headerValueTooLong(name: "b", length: 70000)
        )
        let bigString = EventStreamHeaderValue.string(String(repeating: "z", count: 60000))
        let threeBig = (0..<3).map { EventStreamHeader(name: "h\($0)", value: bigString) }
        expectEncodeFails(
            EventStreamMessage(headers: threeBig),
            .headersTooLong(length: 3 * (1 + 2 + 1 + 2 + 60000), maximum: EventStreamDecoder.maximumHeadersLength)
        )
        let payload = ByteBuffer(repeating: 0, count: EventStreamDecoder.maximumPayloadLength + 1)
        expectEncodeFails(
            EventStreamMessage(payload: payload),
            .frameTooLarge(length: EventStreamDecoder.maximumPayloadLength + 17, maximum: EventStreamDecoder.defaultMaximumFrameSize)
        )
    }

    @Test("error descriptions are readable")
    func descriptions() {
        #expect(
            EventStreamError.preludeChecksumMismatch(expected: 0xAB, actual: 0x1234_5678).description
                == "event stream prelude checksum mismatch (frame says 0x000000ab, computed 0x12345678)"
        )
        #expect(
            EventStreamError.frameTooLarge(length: 30_000_000, maximum: 25_296_912).description
                == "event stream frame of 30000000 bytes exceeds the maximum of 25296912 bytes"
        )
        #expect(
            EventStreamError.truncatedStream(bytesRemaining: 7).description
                == "event stream ended in the middle of a frame (7 bytes left over)"
        )
        let all: [EventStreamError] = [
            .preludeChecksumMismatch(expected: 1, actual: 2), .messageChecksumMismatch(expected: 1, actual: 2),
            .frameTooLarge(length: 1, maximum: 0), .frameTooSmall(length: 3),
            .headersTooLong(length: 1, maximum: 0), .invalidHeadersLength(headersLength: 9, frameLength: 16),
            .invalidHeaderType(12), .truncatedHeader, .invalidUTF8InHeader, .truncatedStream(bytesRemaining: 1),
            .headerNameTooLong("n"), .headerValueTooLong(name: "n", length: 70000),
        ]
        for error in all {
            #expect(error.description.hasPrefix("event stream "))
            #expect(String(describing: error) == error.description)
        }
    }
}
