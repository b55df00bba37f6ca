import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental decoder for `application/vnd.amazon.eventstream` frames.
///
/// Conforms to `NIOSingleStepByteToMessageDecoder`, so it can run inside a NIO pipeline (`ByteToMessageHandler`) or be
/// driven by `NIOSingleStepByteToMessageProcessor` over arbitrarily split chunks. Outside NIO, use
/// ``EventStreamFrameReader``.
///
/// Each call to ``decode(buffer:)`` looks at the readable bytes of `buffer` and either consumes exactly one complete
/// frame and returns it, or returns `nil` (needs more data) without consuming anything, or throws. The decoder keeps
/// no partial data of its own, so nothing is copied while waiting for the rest of a frame; the returned message's
/// payload is a slice of `buffer` (shared storage).
///
/// Validation order: the prelude CRC is checked as soon as 12 bytes are available — before `total_length` is trusted,
/// so a corrupted length fails fast instead of waiting for megabytes that never come — then the length limits
/// (frame too small / too large, headers length), then, once the whole frame is buffered, the message CRC, and
/// finally the headers. On error nothing is consumed; the stream must be considered dead.
///
/// Any input is safe: malformed bytes make the decoder throw an ``EventStreamError``, never trap.
public struct EventStreamDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    /// Decoded frames.
    public typealias InboundOut = EventStreamMessage

    /// Length of the prelude: `total_length`, `headers_length`, `prelude_crc` (3 × `UInt32`).
    public static let preludeLength = 12
    /// The smallest valid frame: prelude plus message CRC, no headers, no payload.
    public static let minimumFrameSize = 16
    /// The protocol's maximum headers section length (128 KiB).
    public static let maximumHeadersLength = 128 * 1024
    /// The protocol's maximum payload length (24 MiB).
    public static let maximumPayloadLength = 24 * 1024 * 1024
    /// The default ``maximumFrameSize``: maximum payload + maximum headers + 16 bytes of framing.
    public static let defaultMaximumFrameSize = maximumPayloadLength + maximumHeadersLength + minimumFrameSize

    /// Frames whose `total_length` exceeds this are rejected with ``EventStreamError/frameTooLarge(length:maximum:)``
    /// as soon as their (checksum-verified) prelude is seen, without buffering them.
    public let maximumFrameSize: Int

    /// Creates a decoder.
    ///
    /// - Parameter maximumFrameSize: The largest accepted `total_length`, in bytes. Defaults to
    ///   ``defaultMaximumFrameSize`` (24 MiB + 128 KiB + 16).
    public init(maximumFrameSize: Int = EventStreamDecoder.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Decodes one frame from the front of `buffer`, if it is complete.
    ///
    /// - Parameter buffer: The accumulated input. On success its reader index moves past exactly one frame;
    ///   otherwise it is left untouched.
    /// - Returns: The decoded message, or `nil` if `buffer` does not yet hold a complete frame.
    /// - Throws: ``EventStreamError`` if the bytes cannot be the start of a valid frame.
    public mutating func decode(buffer: inout ByteBuffer) throws(EventStreamError) -> EventStreamMessage? {
        try Self.decodeFrame(from: &buffer, maximumFrameSize: self.maximumFrameSize)
    }

    /// Decodes one frame at end of input.
    ///
    /// Like ``decode(buffer:)``, but if no complete frame can be decoded and bytes remain, the stream was cut in the
    /// middle of a frame.
    ///
    /// - Returns: The decoded message, or `nil` when `buffer` is empty (clean end of stream).
    /// - Throws: ``EventStreamError/truncatedStream(bytesRemaining:)`` for leftover bytes, or any error of
    ///   ``decode(buffer:)``.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws(EventStreamError) -> EventStreamMessage? {
        if let message = try self.decode(buffer: &buffer) {
            return message
        }
        if buffer.readableBytes > 0 {
            throw .truncatedStream(bytesRemaining: buffer.readableBytes)
        }
        return nil
    }

    /// The shared frame-decoding logic (see the type's documentation for the validation order).
    static func decodeFrame(from buffer: inout ByteBuffer, maximumFrameSize: Int) throws(EventStreamError) -> EventStreamMessage? {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= Self.preludeLength,
            let rawTotalLength = buffer.getInteger(at: start, as: UInt32.self),
            let rawHeadersLength = buffer.getInteger(at: start + 4, as: UInt32.self),
            let preludeCRC = buffer.getInteger(at: start + 8, as: UInt32.self)
        else {
            return nil
        }
        let computedPreludeCRC = buffer.withUnsafeReadableBytes { bytes in
            EventStreamCRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<8]))
        }
        guard computedPreludeCRC == preludeCRC else {
            throw .preludeChecksumMismatch(expected: preludeCRC, actual: computedPreludeCRC)
        }

        // `Int(exactly:)` cannot fail on 64-bit platforms; on 32-bit ones an out-of-range value is "too large".
        let totalLength = Int(exactly: rawTotalLength) ?? Int.max
        let headersLength = Int(exactly: rawHeadersLength) ?? Int.max
        guard totalLength >= Self.minimumFrameSize else {
            throw .frameTooSmall(length: totalLength)
        }
        guard totalLength <= maximumFrameSize else {
            throw .frameTooLarge(length: totalLength, maximum: maximumFrameSize)
        }
        guard headersLength <= totalLength - Self.minimumFrameSize else {
            throw .invalidHeadersLength(headersLength: headersLength, frameLength: totalLength)
        }
        guard headersLength <= Self.maximumHeadersLength else {
            throw .headersTooLong(length: headersLength, maximum: Self.maximumHeadersLength)
        }
        guard buffer.readableBytes >= totalLength else {
            return nil
        }

        let parsed: Result<[EventStreamHeader], EventStreamError> = buffer.withUnsafeReadableBytes { bytes in
            let frame = UnsafeRawBufferPointer(rebasing: bytes[0..<totalLength])
            let messageCRC = UInt32(bigEndian: frame.loadUnaligned(fromByteOffset: totalLength - 4, as: UInt32.self))
            // CRC(bytes[0..<total-4]) continued from CRC(bytes[0..<8]), which the prelude CRC already is.
            let computedMessageCRC = EventStreamCRC32.update(
                preludeCRC,
                with: UnsafeRawBufferPointer(rebasing: frame[8..<(totalLength - 4)])
            )
            guard computedMessageCRC == messageCRC else {
                return .failure(.messageChecksumMismatch(expected: messageCRC, actual: computedMessageCRC))
            }
            let headerBytes = UnsafeRawBufferPointer(
                rebasing: frame[Self.preludeLength..<(Self.preludeLength + headersLength)]
            )
            return Self.parseHeaders(headerBytes)
        }
        let headers = try parsed.get()

        let payloadLength = totalLength - Self.minimumFrameSize - headersLength
        buffer.moveReaderIndex(forwardBy: Self.preludeLength + headersLength)
        guard let payload = buffer.readSlice(length: payloadLength) else {
            // Unreachable: `totalLength` readable bytes were checked above.
            buffer.moveReaderIndex(to: start)
            return nil
        }
        buffer.moveReaderIndex(forwardBy: 4)
        return EventStreamMessage(headers: headers, payload: payload)
    }

    /// The header names and values of every Bedrock frame.
    private static let knownStrings: [String] = [
        EventStreamHeaderName.eventType, EventStreamHeaderName.contentType, EventStreamHeaderName.messageType,
        EventStreamHeaderName.exceptionType, EventStreamHeaderName.errorCode, EventStreamHeaderName.errorMessage,
        "application/json", "event", "exception", "error",
        "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata",
    ]

    /// `knownStrings`' UTF-8 back to back, in memory allocated once and never freed, and where
    /// each one lies in it. Plain pointers and integers: comparing against them costs no
    /// reference counting (an array of byte arrays cost a retain and a release per entry
    /// compared, about 700 per 68-frame stream).
    nonisolated(unsafe) private static let knownBytes: (bytes: UnsafeRawPointer, spans: [(offset: Int, count: Int)]) = {
        let total = knownStrings.reduce(0) { $0 + $1.utf8.count }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 1)
        var spans: [(offset: Int, count: Int)] = []
        var offset = 0
        for string in knownStrings {
            let utf8 = Array(string.utf8)
            utf8.withUnsafeBytes { (storage + offset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            spans.append((offset, utf8.count))
            offset += utf8.count
        }
        return (UnsafeRawPointer(storage), spans)
    }()

    /// The shared `String` for bytes that spell one of `knownStrings`, or nil: frames repeat the
    /// same few names and values, which then cost a comparison instead of a new (validated,
    /// often heap-allocated) string each.
    static func knownString(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        let known = knownBytes
        let match = known.spans.withUnsafeBufferPointer { spans -> Int? in
            for index in spans.indices where spans[index].count == bytes.count {
                if memcmp(known.bytes + spans[index].offset, base, bytes.count) == 0 { return index }
            }
            return nil
        }
        return match.map { knownStrings[$0] }
    }

    /// Parses a complete headers section. Every read is bounds-checked against `bytes.count` first.
    static func parseHeaders(_ bytes: UnsafeRawBufferPointer) -> Result<[EventStreamHeader], EventStreamError> {
        var headers: [EventStreamHeader] = []
        if bytes.isEmpty {
            return .success(headers)
        }
        headers.reserveCapacity(4)
        let count = bytes.count
        var offset = 0

        func readString(length: Int) -> String? {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
            offset += length
            if let known = Self.knownString(slice) { return known }
            // Header names and values are nearly always ASCII: take the cheap path for those, and fully validate
            // the rest (`String(validating:)` is comparatively slow for short strings).
            let isASCII = slice.allSatisfy { $0 < 0x80 }
            return isASCII
                ? slice.withMemoryRebound(to: UInt8.self) { String(decoding: $0, as: UTF8.self) }
                : String(validating: slice, as: UTF8.self)
        }
        func readUInt16() -> UInt16 {
            defer { offset += 2 }
            return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }
        func readUInt32() -> UInt32 {
            defer { offset += 4 }
            return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        func readUInt64() -> UInt64 {
            defer { offset += 8 }
            return UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }

        while offset < count {
            let nameLength = Int(bytes[offset])
            offset += 1
            // Name plus the type byte.
            guard count - offset >= nameLength + 1 else {
                return .failure(.truncatedHeader)
            }
            guard let name = readString(length: nameLength) else {
                return .failure(.invalidUTF8InHeader)
            }
            let type = bytes[offset]
            offset += 1

            let fixedLength: Int
            switch type {
            case 0, 1: fixedLength = 0
            case 2: fixedLength = 1
            case 3, 6, 7: fixedLength = 2  // for 6 and 7: the u16 length prefix
            case 4: fixedLength = 4
            case 5, 8: fixedLength = 8
            case 9: fixedLength = 16
            default: return .failure(.invalidHeaderType(type))
            }
            guard count - offset >= fixedLength else {
                return .failure(.truncatedHeader)
            }

            let value: EventStreamHeaderValue
            switch type {
            case 0:
                value = .bool(true)
            case 1:
                value = .bool(false)
            case 2:
                value = .int8(Int8(bitPattern: bytes[offset]))
                offset += 1
            case 3:
                value = .int16(Int16(bitPattern: readUInt16()))
            case 4:
                value = .int32(Int32(bitPattern: readUInt32()))
            case 5:
                value = .int64(Int64(bitPattern: readUInt64()))
            case 8:
                value = .timestamp(Int64(bitPattern: readUInt64()))
            case 9:
                let high = readUInt64()
                let low = readUInt64()
                value = .uuid(EventStreamUUID(high: high, low: low))
            default:  // 6 or 7
                let length = Int(readUInt16())
                guard count - offset >= length else {
                    return .failure(.truncatedHeader)
                }
                if type == 6 {
                    value = .bytes(Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])))
                    offset += length
                } else {
                    guard let string = readString(length: length) else {
                        return .failure(.invalidUTF8InHeader)
                    }
                    value = .string(string)
                }
            }
            headers.append(EventStreamHeader(name: name, value: value))
        }
        return .success(headers)
    }
}
