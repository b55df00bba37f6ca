/// A 16-byte UUID header value (header type 9), stored as two big-endian halves.
///
/// This deliberately avoids Foundation's `UUID`. Convert with `EventStreamUUID(bytes:)` / ``bytes`` if needed.
public struct EventStreamUUID: Sendable, Hashable, CustomStringConvertible {
    /// The first 8 bytes of the UUID, read big-endian.
    public var high: UInt64
    /// The last 8 bytes of the UUID, read big-endian.
    public var low: UInt64

    /// Creates a UUID from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates a UUID from exactly 16 bytes in wire (network) order; returns `nil` for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 {
                high = (high << 8) | UInt64(byte)
            } else {
                low = (low << 8) | UInt64(byte)
            }
        }
        self.init(high: high, low: low)
    }

    /// The 16 bytes in wire (network) order.
    public var bytes: [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) {
            result.append(UInt8(truncatingIfNeeded: self.high >> UInt64(shift)))
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            result.append(UInt8(truncatingIfNeeded: self.low >> UInt64(shift)))
        }
        return result
    }

    /// The canonical lowercase `8-4-4-4-12` hex form, e.g. `01234567-89ab-cdef-0123-456789abcdef`.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (index, byte) in self.bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                out.append(UInt8(ascii: "-"))
            }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The typed value of an event stream header.
///
/// Each case corresponds to one wire type byte: `bool(true)` is type 0 and `bool(false)` type 1 (neither has value
/// bytes), `int8` 2, `int16` 3, `int32` 4, `int64` 5, `bytes` 6 (`u16` length prefix, at most 65 535 bytes),
/// `string` 7 (`u16` length prefix, UTF-8, at most 65 535 bytes), `timestamp` 8 (`Int64` milliseconds since the Unix
/// epoch), `uuid` 9 (16 bytes).
public enum EventStreamHeaderValue: Sendable, Hashable {
    /// Header types 0 (`true`) and 1 (`false`).
    case bool(Bool)
    /// Header type 2: a signed byte.
    case int8(Int8)
    /// Header type 3: a big-endian `Int16`.
    case int16(Int16)
    /// Header type 4: a big-endian `Int32`.
    case int32(Int32)
    /// Header type 5: a big-endian `Int64`.
    case int64(Int64)
    /// Header type 6: raw bytes (at most 65 535).
    case bytes([UInt8])
    /// Header type 7: a UTF-8 string (at most 65 535 bytes once encoded). Most AWS headers use this type.
    case string(String)
    /// Header type 8: milliseconds since 1970-01-01T00:00:00Z.
    case timestamp(Int64)
    /// Header type 9: a 16-byte UUID.
    case uuid(EventStreamUUID)

    /// The wire type byte of this value (0…9).
    public var typeCode: UInt8 {
        switch self {
        case .bool(let value): value ? 0 : 1
        case .int8: 2
        case .int16: 3
        case .int32: 4
        case .int64: 5
        case .bytes: 6
        case .string: 7
        case .timestamp: 8
        case .uuid: 9
        }
    }

    /// The string payload if this is a `.string`, else `nil`.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

extension EventStreamHeaderValue: CustomStringConvertible {
    /// A short human-readable rendering for logs, e.g. `string("event")` or `bytes(12 bytes)`.
    public var description: String {
        switch self {
        case .bool(let value): "bool(\(value))"
        case .int8(let value): "int8(\(value))"
        case .int16(let value): "int16(\(value))"
        case .int32(let value): "int32(\(value))"
        case .int64(let value): "int64(\(value))"
        case .bytes(let value): "bytes(\(value.count) bytes)"
        case .string(let value): "string(\(String(reflecting: value)))"
        case .timestamp(let value): "timestamp(\(value) ms)"
        case .uuid(let value): "uuid(\(value))"
        }
    }
}

/// One header of an event stream message: a name (at most 255 UTF-8 bytes) and a typed value.
public struct EventStreamHeader: Sendable, Hashable {
    /// The header name, e.g. `:event-type`.
    public var name: String
    /// The header value.
    public var value: EventStreamHeaderValue

    /// Creates a header.
    public init(name: String, value: EventStreamHeaderValue) {
        self.name = name
        self.value = value
    }
}

/// Well-known header names used by AWS event streams (Bedrock ConverseStream among them).
public enum EventStreamHeaderName {
    /// `:message-type`: `event`, `exception` or `error`.
    public static let messageType = ":message-type"
    /// `:event-type`: the event's name for `event` messages, e.g. `contentBlockDelta`.
    public static let eventType = ":event-type"
    /// `:exception-type`: the modeled exception's name for `exception` messages, e.g. `throttlingException`.
    public static let exceptionType = ":exception-type"
    /// `:content-type`: the payload's media type, normally `application/json`.
    public static let contentType = ":content-type"
    /// `:error-code`: the error code of an `error` message (an unmodeled error).
    public static let errorCode = ":error-code"
    /// `:error-message`: the human-readable message of an `error` message.
    public static let errorMessage = ":error-message"
}
