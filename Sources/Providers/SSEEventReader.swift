import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental reader of `text/event-stream` bodies: bytes in as they arrive, whole events out.
///
/// An event ends at a blank line (`\n\n`, `\r\n\r\n` or a mix). An event comes out as the bytes
/// it came in (`raw`, a slice of the received buffer: relaying it costs one copy) with its name
/// read off its `event:` line; its data is read only when asked for (`data`), as a relay needs
/// the data of few events. Bytes of an unfinished event stay buffered, never copied again.
public struct SSEEventReader: Sendable {
    /// One event.
    public struct Event: Sendable {
        /// The event's bytes as received, its terminating blank line included.
        public var raw: ByteBuffer
        /// The Messages API's name of the event, read without making a string.
        public var kind: Kind

        /// The `event:` field (`message` when there is none).
        public var name: String {
            let name = SSEEventReader.fields(of: raw).name
            return name.isEmpty ? "message" : name
        }

        /// The `data:` lines, joined by `\n`.
        public var data: ByteBuffer { SSEEventReader.fields(of: raw).data }
    }

    /// The events of the Messages API, and the rest.
    public enum Kind: Sendable, Equatable, CaseIterable {
        case messageStart, messageDelta, messageStop, contentBlockStart, contentBlockDelta, contentBlockStop, ping
        case error, other

        var wireName: StaticString {
            switch self {
            case .messageStart: "message_start"
            case .messageDelta: "message_delta"
            case .messageStop: "message_stop"
            case .contentBlockStart: "content_block_start"
            case .contentBlockDelta: "content_block_delta"
            case .contentBlockStop: "content_block_stop"
            case .ping: "ping"
            case .error: "error"
            case .other: ""
            }
        }

        /// The kind named by `bytes` (an `event:` field's value).
        static func named(_ bytes: UnsafeRawBufferPointer) -> Kind {
            for kind in allCases where kind != .other {
                let name = kind.wireName
                if bytes.count == name.utf8CodeUnitCount,
                    memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
                {
                    return kind
                }
            }
            return .other
        }
    }

    private var buffer = ByteBuffer()
    /// Where the search for the end of the current event resumes.
    private var scanned = 0
    /// Largest event accepted: more without a blank line is a broken stream.
    public let maximumEventSize: Int

    public init(maximumEventSize: Int = 16 * 1024 * 1024) { self.maximumEventSize = maximumEventSize }

    /// Bytes received but not yet read as an event.
    public var bufferedByteCount: Int { buffer.readableBytes }

    public mutating func append(_ chunk: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = chunk
            scanned = 0
        } else {
            var chunk = chunk
            buffer.writeBuffer(&chunk)
        }
    }

    public enum ReadError: Error, Sendable, Equatable { case eventTooLarge(Int) }

    /// The next whole event, or nil until more bytes arrive. Events with neither name nor data
    /// (comments, blank keep-alives) are skipped.
    public mutating func next() throws(ReadError) -> Event? {
        while true {
            guard let length = eventLength() else {
                if buffer.readableBytes > maximumEventSize { throw .eventTooLarge(buffer.readableBytes) }
                return nil
            }
            let raw = buffer.readSlice(length: length)!
            scanned = 0
            if buffer.readableBytes == 0 { buffer.clear() }
            if let kind = Self.kind(of: raw) { return Event(raw: raw, kind: kind) }
        }
    }

    /// The length of the first event with its terminating blank line, if one is buffered: each
    /// line end is found with `memchr`, then checked for a blank line after it.
    private mutating func eventLength() -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            // A blank line is at most `\n\r\n`: restarting two bytes back finds one split across
            // appends, and the bytes before held none.
            var i = max(0, scanned - 2)
            while i < bytes.count, let found = memchr(base + i, Int32(UInt8(ascii: "\n")), bytes.count - i) {
                let newline = base.distance(to: UnsafeRawPointer(found))
                var next = newline + 1
                if next < bytes.count, bytes[next] == UInt8(ascii: "\r") { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
                i = newline + 1
            }
            scanned = bytes.count
            return nil
        }
    }

    /// The event's kind: from its `event:` field when the event starts with one (as every event
    /// of the Messages API does: read in place), else from its fields; nil for an event with
    /// neither name nor data (a comment, a keep-alive).
    static func kind(of raw: ByteBuffer) -> Kind? {
        let prefix: StaticString = "event:"
        let fast: Kind? = raw.withUnsafeReadableBytes { bytes in
            let p = UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
            guard bytes.count > p.count, bytes.starts(with: p) else { return nil }
            var start = p.count
            if bytes[start] == UInt8(ascii: " ") { start += 1 }
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n"), bytes[end] != UInt8(ascii: "\r") { end += 1 }
            guard end > start else { return nil }
            return Kind.named(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        }
        if let fast { return fast }
        let (name, _, hasData) = fields(of: raw)
        guard !name.isEmpty || hasData else { return nil }
        return name.utf8.withContiguousStorageIfAvailable { Kind.named(UnsafeRawBufferPointer($0)) } ?? .other
    }

    /// Reads the fields of one raw event: its name, its data lines joined by `\n`, and whether it
    /// had any.
    static func fields(of raw: ByteBuffer) -> (name: String, data: ByteBuffer, hasData: Bool) {
        var name = ""
        var data: ByteBuffer?
        var joined: ByteBuffer?
        var raw = raw
        while raw.readableBytes > 0 {
            let lineEnd = raw.withUnsafeReadableBytes { $0.firstIndex(of: UInt8(ascii: "\n")) } ?? raw.readableBytes
            var line = raw.readSlice(length: lineEnd)!
            raw.moveReaderIndex(forwardBy: min(1, raw.readableBytes))
            if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            guard line.readableBytes > 0, line.getInteger(at: line.readerIndex, as: UInt8.self) != UInt8(ascii: ":")
            else {
                continue
            }
            let colon = line.withUnsafeReadableBytes { $0.firstIndex(of: UInt8(ascii: ":")) } ?? line.readableBytes
            let field = line.getString(at: line.readerIndex, length: colon) ?? ""
            line.moveReaderIndex(forwardBy: min(colon + 1, line.readableBytes))
            if line.getInteger(at: line.readerIndex, as: UInt8.self) == UInt8(ascii: " ") {
                line.moveReaderIndex(forwardBy: 1)
            }
            switch field {
            case "event":
                name = String(buffer: line)
            case "data":
                if data == nil {
                    data = line
                } else {
                    if joined == nil { joined = data }
                    joined!.writeInteger(UInt8(ascii: "\n"))
                    joined!.writeBuffer(&line)
                }
            default:
                break
            }
        }
        return (name, joined ?? data ?? ByteBuffer(), data != nil)
    }
}
