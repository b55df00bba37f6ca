/// Everything that can go wrong while decoding or encoding an event stream.
///
/// Decoding errors are not recoverable: once a decoder has thrown, the stream is corrupt (or was cut) and the
/// connection should be abandoned. Each case has a one-line ``description`` suitable for logs and client-facing
/// error messages. For checksum mismatches `expected` is the value carried in the frame and `actual` the value
/// computed over the received bytes.
public enum EventStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The prelude CRC (bytes 8..<12) does not match the CRC-32 of the first 8 bytes; the lengths are untrustworthy.
    case preludeChecksumMismatch(expected: UInt32, actual: UInt32)
    /// The trailing message CRC does not match the CRC-32 of the rest of the frame.
    case messageChecksumMismatch(expected: UInt32, actual: UInt32)
    /// The frame's `total_length` is larger than the decoder's maximum frame size (or, when encoding, than the
    /// protocol allows).
    case frameTooLarge(length: Int, maximum: Int)
    /// The frame's `total_length` is below the 16-byte minimum (prelude + message CRC).
    case frameTooSmall(length: Int)
    /// The headers section is longer than the protocol's 128 KiB maximum.
    case headersTooLong(length: Int, maximum: Int)
    /// `headers_length` does not fit inside `total_length` (it exceeds `total_length - 16`).
    case invalidHeadersLength(headersLength: Int, frameLength: Int)
    /// A header carries a type byte outside 0…9.
    case invalidHeaderType(UInt8)
    /// A header's name, type or value runs past the end of the headers section.
    case truncatedHeader
    /// A header name or string value is not valid UTF-8.
    case invalidUTF8InHeader
    /// The input ended in the middle of a frame: `bytesRemaining` bytes could not form a complete frame.
    case truncatedStream(bytesRemaining: Int)
    /// Encoding only: a header name is longer than 255 UTF-8 bytes.
    case headerNameTooLong(String)
    /// Encoding only: a string or bytes header value is longer than 65 535 bytes.
    case headerValueTooLong(name: String, length: Int)

    /// A one-line human-readable explanation, e.g.
    /// `event stream prelude checksum mismatch (frame says 0x12345678, computed 0x9abcdef0)`.
    public var description: String {
        switch self {
        case .preludeChecksumMismatch(let expected, let actual):
            "event stream prelude checksum mismatch (frame says \(hex(expected)), computed \(hex(actual)))"
        case .messageChecksumMismatch(let expected, let actual):
            "event stream message checksum mismatch (frame says \(hex(expected)), computed \(hex(actual)))"
        case .frameTooLarge(let length, let maximum):
            "event stream frame of \(length) bytes exceeds the maximum of \(maximum) bytes"
        case .frameTooSmall(let length):
            "event stream frame length \(length) is below the 16-byte minimum"
        case .headersTooLong(let length, let maximum):
            "event stream headers of \(length) bytes exceed the maximum of \(maximum) bytes"
        case .invalidHeadersLength(let headersLength, let frameLength):
            "event stream headers length \(headersLength) does not fit in a frame of \(frameLength) bytes"
        case .invalidHeaderType(let type):
            "event stream header has invalid type \(type) (expected 0...9)"
        case .truncatedHeader:
            "event stream header is truncated (runs past the end of the headers section)"
        case .invalidUTF8InHeader:
            "event stream header name or string value is not valid UTF-8"
        case .truncatedStream(let bytesRemaining):
            "event stream ended in the middle of a frame (\(bytesRemaining) bytes left over)"
        case .headerNameTooLong(let name):
            "event stream header name \(String(reflecting: name)) is longer than 255 UTF-8 bytes"
        case .headerValueTooLong(let name, let length):
            "event stream header \(String(reflecting: name)) value of \(length) bytes exceeds 65535 bytes"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
