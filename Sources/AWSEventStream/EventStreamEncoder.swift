import NIOCore

/// Writes ``EventStreamMessage``s as `application/vnd.amazon.eventstream` frames with correct CRCs.
///
/// Use the static ``encode(_:into:)`` directly, or put the encoder in a NIO pipeline via `MessageToByteHandler`
/// (it conforms to `MessageToByteEncoder`). Headers are written in the message's order, so encoding is
/// deterministic: the same message always yields the same bytes.
public struct EventStreamEncoder: MessageToByteEncoder, Sendable {
    /// Messages to encode.
    public typealias OutboundIn = EventStreamMessage

    /// Creates an encoder (it has no state).
    public init() {}

    /// `MessageToByteEncoder` conformance: appends the frame for `data` to `out`.
    ///
    /// - Throws: ``EventStreamError``, see ``encode(_:into:)``.
    public func encode(data: EventStreamMessage, out: inout ByteBuffer) throws {
        try Self.encode(data, into: &out)
    }

    /// Appends the frame for `message` to `buffer` (at its writer index).
    ///
    /// - Parameters:
    ///   - message: The message; its payload's readable bytes are written, the payload itself is not consumed.
    ///   - buffer: The destination. Left unchanged if encoding fails.
    /// - Throws: ``EventStreamError/headerNameTooLong(_:)`` (name over 255 UTF-8 bytes),
    ///   ``EventStreamError/headerValueTooLong(name:length:)`` (string/bytes value over 65 535 bytes),
    ///   ``EventStreamError/headersTooLong(length:maximum:)`` (headers over 128 KiB) or
    ///   ``EventStreamError/frameTooLarge(length:maximum:)`` (payload over 24 MiB, i.e. a frame over
    ///   ``EventStreamDecoder/defaultMaximumFrameSize``). All of these are what AWS decoders reject too.
    public static func encode(_ message: EventStreamMessage, into buffer: inout ByteBuffer) throws(EventStreamError) {
        var headersLength = 0
        for header in message.headers {
            let nameLength = header.name.utf8.count
            guard nameLength <= 255 else {
                throw .headerNameTooLong(header.name)
            }
            let valueLength: Int
            switch header.value {
            case .bool: valueLength = 0
            case .int8: valueLength = 1
            case .int16: valueLength = 2
            case .int32: valueLength = 4
            case .int64, .timestamp: valueLength = 8
            case .uuid: valueLength = 16
            case .bytes(let bytes):
                guard bytes.count <= Int(UInt16.max) else {
                    throw .headerValueTooLong(name: header.name, length: bytes.count)
                }
                valueLength = 2 + bytes.count
            case .string(let string):
                let count = string.utf8.count
                guard count <= Int(UInt16.max) else {
                    throw .headerValueTooLong(name: header.name, length: count)
                }
                valueLength = 2 + count
            }
            headersLength += 1 + nameLength + 1 + valueLength
        }
        guard headersLength <= EventStreamDecoder.maximumHeadersLength else {
            throw .headersTooLong(length: headersLength, maximum: EventStreamDecoder.maximumHeadersLength)
        }
        let payloadLength = message.payload.readableBytes
        guard payloadLength <= EventStreamDecoder.maximumPayloadLength else {
            throw .frameTooLarge(
                length: EventStreamDecoder.minimumFrameSize + headersLength + payloadLength,
                maximum: EventStreamDecoder.defaultMaximumFrameSize
            )
        }
        let totalLength = EventStreamDecoder.minimumFrameSize + headersLength + payloadLength

        buffer.reserveCapacity(minimumWritableBytes: totalLength)
        let start = buffer.writerIndex
        buffer.writeInteger(UInt32(truncatingIfNeeded: totalLength))
        buffer.writeInteger(UInt32(truncatingIfNeeded: headersLength))
        let preludeCRC = Self.crc(of: buffer, from: start, crc: 0)
        buffer.writeInteger(preludeCRC)

        for header in message.headers {
            buffer.writeInteger(UInt8(truncatingIfNeeded: header.name.utf8.count))
            buffer.writeString(header.name)
            buffer.writeInteger(header.value.typeCode)
            switch header.value {
            case .bool:
                break
            case .int8(let value):
                buffer.writeInteger(value)
            case .int16(let value):
                buffer.writeInteger(value)
            case .int32(let value):
                buffer.writeInteger(value)
            case .int64(let value), .timestamp(let value):
                buffer.writeInteger(value)
            case .uuid(let value):
                buffer.writeInteger(value.high)
                buffer.writeInteger(value.low)
            case .bytes(let bytes):
                buffer.writeInteger(UInt16(truncatingIfNeeded: bytes.count))
                buffer.writeBytes(bytes)
            case .string(let string):
                buffer.writeInteger(UInt16(truncatingIfNeeded: string.utf8.count))
                buffer.writeString(string)
            }
        }
        var payload = message.payload
        buffer.writeBuffer(&payload)
        // The message CRC covers everything before it; continue from the prelude CRC (= CRC of the first 8 bytes).
        let messageCRC = Self.crc(of: buffer, from: start + 8, crc: preludeCRC)
        buffer.writeInteger(messageCRC)
        assert(buffer.writerIndex - start == totalLength)
    }

    /// Returns the frame for `message` in a new buffer.
    ///
    /// - Throws: ``EventStreamError``, see ``encode(_:into:)``.
    public static func encode(_ message: EventStreamMessage) throws(EventStreamError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try Self.encode(message, into: &buffer)
        return buffer
    }

    /// CRC-32 (continued from `crc`) of the written bytes from absolute index `from` to the writer index.
    private static func crc(of buffer: ByteBuffer, from index: Int, crc: UInt32) -> UInt32 {
        buffer.withUnsafeReadableBytes { readable in
            // `index >= readerIndex` because it was a writer index at some point and readers never pass writers.
            let offset = index - buffer.readerIndex
            return EventStreamCRC32.update(crc, with: UnsafeRawBufferPointer(rebasing: readable[offset...]))
        }
    }
}
