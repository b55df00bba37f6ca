import NIOCore

/// A pull-style event stream reader for code that is not a NIO pipeline (e.g. an HTTP client body loop).
///
/// Feed body chunks with ``append(_:)`` and drain frames with ``next(endOfInput:)`` until it returns `nil`:
///
/// ```swift
/// var reader = EventStreamFrameReader()
/// for try await chunk in body {
///     reader.append(chunk)
///     while let message = try reader.next() { handle(message) }
/// }
/// while let message = try reader.next(endOfInput: true) { handle(message) }  // throws if the body was cut
/// ```
///
/// It uses the same logic as ``EventStreamDecoder``: partial frames stay in one accumulation buffer (a chunk that
/// arrives while nothing is buffered is adopted without copying) and payloads are slices of it. After an error the
/// reader is stuck: every further call throws the same error.
public struct EventStreamFrameReader: Sendable {
    private var buffer: ByteBuffer
    private var decoder: EventStreamDecoder

    /// Creates a reader.
    ///
    /// - Parameter maximumFrameSize: The largest accepted frame, see ``EventStreamDecoder/maximumFrameSize``.
    public init(maximumFrameSize: Int = EventStreamDecoder.defaultMaximumFrameSize) {
        self.buffer = ByteBuffer()
        self.decoder = EventStreamDecoder(maximumFrameSize: maximumFrameSize)
    }

    /// The number of received bytes not yet returned as frames.
    public var bufferedByteCount: Int { self.buffer.readableBytes }

    /// Appends the readable bytes of `chunk` to the input.
    public mutating func append(_ chunk: ByteBuffer) {
        if self.buffer.readableBytes == 0 {
            self.buffer = chunk
            return
        }
        self.reclaimConsumedBytes()
        var chunk = chunk
        self.buffer.writeBuffer(&chunk)
    }

    /// Appends raw bytes to the input.
    public mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        self.reclaimConsumedBytes()
        self.buffer.writeBytes(bytes)
    }

    /// Drops the consumed prefix once it dominates the buffer, so a long stream does not grow it forever.
    private mutating func reclaimConsumedBytes() {
        if self.buffer.readerIndex > 4096, self.buffer.readerIndex >= self.buffer.readableBytes {
            self.buffer.discardReadBytes()
        }
    }

    /// Returns the next complete frame, if any.
    ///
    /// - Parameter endOfInput: Pass `true` once no more data will be appended: leftover bytes that do not form a
    ///   complete frame then throw instead of returning `nil`.
    /// - Returns: The next message, or `nil` if more data is needed (or, with `endOfInput`, the input is exhausted).
    /// - Throws: ``EventStreamError`` on malformed input, or ``EventStreamError/truncatedStream(bytesRemaining:)``
    ///   when `endOfInput` is `true` and a partial frame is left.
    public mutating func next(endOfInput: Bool = false) throws(EventStreamError) -> EventStreamMessage? {
        if endOfInput {
            return try self.decoder.decodeLast(buffer: &self.buffer, seenEOF: true)
        }
        return try self.decoder.decode(buffer: &self.buffer)
    }
}
