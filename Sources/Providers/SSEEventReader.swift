import NIOCore

/// An incremental reader of `text/event-stream` bodies: bytes in as they arrive, whole events out.
///
/// An event ends at a blank line (`\n\n`, `\r\n\r\n` or a mix). Of its lines, `event:` names it
/// and `data:` lines (joined by `\n`) are its data; comments (`:`) and other fields are skipped,
/// as the SSE specification says. Bytes of an unfinished event stay buffered, never copied
/// again: the reader keeps one buffer and reads whole events off its front.
public struct SSEEventReader: Sendable {
    /// One event. `data` is a slice of the received bytes when it had a single `data:` line.
    public struct Event: Sendable {
        public var name: String
        public var data: ByteBuffer
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

    /// The next whole event, or nil until more bytes arrive.
    public mutating func next() throws(ReadError) -> Event? {
        while true {
            guard let length = eventLength() else {
                if buffer.readableBytes > maximumEventSize { throw .eventTooLarge(buffer.readableBytes) }
                return nil
            }
            let raw = buffer.readSlice(length: length)!
            scanned = 0
            if buffer.readableBytes == 0 { buffer.clear() }
            if let event = Self.parse(raw) { return event }
        }
    }

    /// The length of the first event with its terminating blank line, if one is buffered.
    private mutating func eventLength() -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            // A blank line is at most `\n\r\n`: restarting two bytes back finds one split across
            // appends, and the bytes before held none.
            var i = max(0, scanned - 2)
            var previousWasNewline = false
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: "\n") {
                    if previousWasNewline { return i + 1 }
                    previousWasNewline = true
                } else if byte != UInt8(ascii: "\r") {
                    previousWasNewline = false
                }
                i += 1
            }
            scanned = bytes.count
            return nil
        }
    }

    /// Reads the fields of one raw event; nil for an event with neither name nor data.
    static func parse(_ raw: ByteBuffer) -> Event? {
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
                if var first = data {
                    if joined == nil {
                        joined = first
                        first = ByteBuffer()
                    }
                    joined!.writeInteger(UInt8(ascii: "\n"))
                    joined!.writeBuffer(&line)
                } else {
                    data = line
                }
            default:
                break
            }
        }
        guard !name.isEmpty || data != nil else { return nil }
        return Event(name: name.isEmpty ? "message" : name, data: joined ?? data ?? ByteBuffer())
    }
}
