import AWSEventStream
import NIOCore

/// Parses hex (whitespace ignored). Test data only: invalid input is a bug in the test and traps.
func bytes(hex: String) -> [UInt8] {
    let digits = hex.utf8.filter { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("invalid hex digit \(c)")
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index < digits.endIndex {
        out.append(nibble(digits[index]) << 4 | nibble(digits[index + 1]))
        index += 2
    }
    return out
}

/// Lowercase hex of `bytes`.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

extension ByteBuffer {
    /// A buffer holding `bytes`.
    init(bytes: [UInt8]) {
        self.init()
        self.writeBytes(bytes)
    }

    /// The readable bytes as an array.
    var readableArray: [UInt8] { self.getBytes(at: self.readerIndex, length: self.readableBytes) ?? [] }
}

/// Encodes `message`; test messages are always encodable.
func encoded(_ message: EventStreamMessage) -> [UInt8] {
    do {
        return try EventStreamEncoder.encode(message).readableArray
    } catch {
        preconditionFailure("cannot encode test message: \(error)")
    }
}

/// Feeds `chunks` through `NIOSingleStepByteToMessageProcessor` and collects the messages, then finishes the stream
/// (which throws `truncatedStream` for leftovers).
func decodeWithProcessor(
    _ chunks: [ArraySlice<UInt8>],
    maximumFrameSize: Int = EventStreamDecoder.defaultMaximumFrameSize
) throws -> [EventStreamMessage] {
    let processor = NIOSingleStepByteToMessageProcessor(EventStreamDecoder(maximumFrameSize: maximumFrameSize))
    var messages: [EventStreamMessage] = []
    for chunk in chunks {
        try processor.process(buffer: ByteBuffer(bytes: chunk)) { messages.append($0) }
    }
    try processor.finishProcessing(seenEOF: true) { messages.append($0) }
    return messages
}

/// Feeds `chunks` through `EventStreamFrameReader`, draining after every chunk, then reads to the end of input.
func decodeWithReader(
    _ chunks: [ArraySlice<UInt8>],
    maximumFrameSize: Int = EventStreamDecoder.defaultMaximumFrameSize
) throws(EventStreamError) -> [EventStreamMessage] {
    var reader = EventStreamFrameReader(maximumFrameSize: maximumFrameSize)
    var messages: [EventStreamMessage] = []
    for chunk in chunks {
        reader.append(ByteBuffer(bytes: chunk))
        while let message = try reader.next() {
            messages.append(message)
        }
    }
    while let message = try reader.next(endOfInput: true) {
        messages.append(message)
    }
    return messages
}

/// Splits `bytes` into chunks at the given (sorted, in-range) offsets.
func split(_ bytes: [UInt8], at offsets: [Int]) -> [ArraySlice<UInt8>] {
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    for offset in offsets {
        chunks.append(bytes[start..<offset])
        start = offset
    }
    chunks.append(bytes[start...])
    return chunks
}

/// A small deterministic PRNG (SplitMix64) so failures are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }

    /// A random string mixing ASCII, 2-, 3- and 4-byte UTF-8 scalars, at most `maxScalars` long.
    mutating func string(maxScalars: Int) -> String {
        let count = Int.random(in: 0...maxScalars, using: &self)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<count {
            let range: ClosedRange<UInt32>
            switch Int.random(in: 0..<8, using: &self) {
            case 0: range = 0x80...0x7FF
            case 1: range = 0x800...0xD7FF
            case 2: range = 0x1_0000...0x1_FFFF
            default: range = 0x20...0x7E
            }
            if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &self)) {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// A random header value of any type.
    mutating func headerValue() -> EventStreamHeaderValue {
        switch Int.random(in: 0..<10, using: &self) {
        case 0: return .bool(true)
        case 1: return .bool(false)
        case 2: return .int8(Int8.random(in: .min ... .max, using: &self))
        case 3: return .int16(Int16.random(in: .min ... .max, using: &self))
        case 4: return .int32(Int32.random(in: .min ... .max, using: &self))
        case 5: return .int64(Int64.random(in: .min ... .max, using: &self))
        case 6: return .bytes(self.bytes(count: Int.random(in: 0...40, using: &self)))
        case 7: return .string(self.string(maxScalars: 30))
        case 8: return .timestamp(Int64.random(in: .min ... .max, using: &self))
        default: return .uuid(EventStreamUUID(high: self.next(), low: self.next()))
        }
    }

    /// A random message with up to `maxHeaders` uniquely named headers of random types.
    mutating func message(maxHeaders: Int = 8, maxPayload: Int = 300) -> EventStreamMessage {
        let headerCount = Int.random(in: 0...maxHeaders, using: &self)
        var headers: [EventStreamHeader] = []
        for index in 0..<headerCount {
            let name = "h\(index)-" + self.string(maxScalars: 10)
            headers.append(EventStreamHeader(name: name, value: self.headerValue()))
        }
        let payload = self.bytes(count: Int.random(in: 0...maxPayload, using: &self))
        return EventStreamMessage(headers: headers, payload: ByteBuffer(bytes: payload))
    }
}

/// Headers exercising every wire type (0…9).
let everyHeaderType: [EventStreamHeader] = [
    EventStreamHeader(name: "true", value: .bool(true)),
    EventStreamHeader(name: "false", value: .bool(false)),
    EventStreamHeader(name: "i8", value: .int8(-128)),
    EventStreamHeader(name: "i16", value: .int16(-12345)),
    EventStreamHeader(name: "i32", value: .int32(Int32.max)),
    EventStreamHeader(name: "i64", value: .int64(Int64.min)),
    EventStreamHeader(name: "bytes", value: .bytes([0, 1, 2, 0xFF])),
    EventStreamHeader(name: "string", value: .string("caf\u{E9} \u{1F600}")),
    EventStreamHeader(name: "timestamp", value: .timestamp(1_700_000_000_123)),
    EventStreamHeader(name: "uuid", value: .uuid(EventStreamUUID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210))),
]

/// A realistic multi-frame ConverseStream-like stream.
let sampleStreamMessages: [EventStreamMessage] = [
    .event(type: "messageStart", payload: ByteBuffer(string: #"{"role":"assistant"}"#)),
    .event(
        type: "contentBlockDelta",
        payload: ByteBuffer(string: #"{"contentBlockIndex":0,"delta":{"text":"Hello, world"}}"#)
    ),
    EventStreamMessage(headers: everyHeaderType, payload: ByteBuffer(string: "{}")),
    EventStreamMessage(),
    .event(type: "messageStop", payload: ByteBuffer(string: #"{"stopReason":"end_turn"}"#)),
    .exception(type: "throttlingException", payload: ByteBuffer(string: #"{"message":"slow down"}"#)),
    .error(code: "InternalFailure", message: "boom"),
]
