import AWSEventStream
import NIOCore
import Testing

@Suite("Chunked input")
struct SplitTests {
    static let stream: [UInt8] = sampleStreamMessages.flatMap(encoded)

    @Test("the whole stream in one chunk")
    func oneChunk() throws {
        #expect(try decodeWithProcessor([Self.stream[...]]) == sampleStreamMessages)
        #expect(try decodeWithReader([Self.stream[...]]) == sampleStreamMessages)
    }

    @Test("split at every byte offset, through the NIO processor and the reader")
    func everySplitPoint() throws {
        for offset in 0...Self.stream.count {
            let chunks = split(Self.stream, at: [offset])
            #expect(try decodeWithProcessor(chunks) == sampleStreamMessages, "split at \(offset)")
            #expect(try decodeWithReader(chunks) == sampleStreamMessages, "split at \(offset)")
        }
    }

    @Test("one byte at a time")
    func oneByteAtATime() throws {
        let chunks = (0..<Self.stream.count).map { Self.stream[$0..<($0 + 1)] }
        #expect(try decodeWithProcessor(chunks) == sampleStreamMessages)
        #expect(try decodeWithReader(chunks) == sampleStreamMessages)
    }

    @Test("random chunkings, including empty chunks")
    func randomChunks() throws {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            let cuts = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                Int.random(in: 0...Self.stream.count, using: &rng)
            }.sorted()
            let chunks = split(Self.stream, at: cuts)
            #expect(try decodeWithProcessor(chunks) == sampleStreamMessages)
            #expect(try decodeWithReader(chunks) == sampleStreamMessages)
        }
    }

    @Test("the processor reports need-more for every proper prefix of a frame, and truncation at the end")
    func truncatedFrame() throws {
        let frame = encoded(sampleStreamMessages[2])
        for length in 1..<frame.count {
            let processor = NIOSingleStepByteToMessageProcessor(EventStreamDecoder())
            var messages: [EventStreamMessage] = []
            try processor.process(buffer: ByteBuffer(bytes: Array(frame[..<length]))) { messages.append($0) }
            #expect(messages.isEmpty)
            #expect(processor.unprocessedBytes == length)
            #expect(throws: EventStreamError.truncatedStream(bytesRemaining: length)) {
                try processor.finishProcessing(seenEOF: true) { messages.append($0) }
            }

            var reader = EventStreamFrameReader()
            reader.append(ByteBuffer(bytes: Array(frame[..<length])))
            #expect(try reader.next() == nil)
            #expect(reader.bufferedByteCount == length)
            #expect(throws: EventStreamError.truncatedStream(bytesRemaining: length)) {
                try reader.next(endOfInput: true)
            }
        }
    }

    @Test("a complete stream followed by a partial frame yields the frames, then reports truncation")
    func completeThenTruncated() throws {
        let partial = Array(encoded(sampleStreamMessages[0]).prefix(5))
        var reader = EventStreamFrameReader()
        reader.append(contentsOf: Self.stream + partial)
        var messages: [EventStreamMessage] = []
        #expect(throws: EventStreamError.truncatedStream(bytesRemaining: 5)) {
            while let message = try reader.next(endOfInput: true) {
                messages.append(message)
            }
        }
        #expect(messages == sampleStreamMessages)
    }

    @Test("empty input is a clean end of stream")
    func emptyInput() throws {
        #expect(try decodeWithProcessor([]) == [])
        var reader = EventStreamFrameReader()
        #expect(try reader.next() == nil)
        #expect(try reader.next(endOfInput: true) == nil)
    }

    @Test("a long stream does not keep the consumed bytes around")
    func readerReclaimsMemory() throws {
        let frame = encoded(sampleStreamMessages[1])
        var reader = EventStreamFrameReader()
        var count = 0
        for _ in 0..<2000 {
            // Split every frame so that a partial frame is always pending when the next chunk arrives.
            reader.append(ByteBuffer(bytes: Array(frame[..<10])))
            reader.append(ByteBuffer(bytes: Array(frame[10...])))
            while try reader.next() != nil { count += 1 }
        }
        #expect(count == 2000)
        #expect(reader.bufferedByteCount == 0)
    }
}
