import AWSEventStream
import NIOCore
import Testing

/// Recomputes both CRCs of a (possibly mutated) frame so that mutations reach the length checks and the header
/// parser instead of stopping at the checksum gate. Leaves `bytes` alone if it is too short.
private func fixCRCs(_ bytes: inout [UInt8]) {
    guard bytes.count >= 12 else { return }
    func put(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(i))) }
    }
    put(EventStreamCRC32.checksum(bytes[..<8]), at: 8)
    let total = Int(bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    if total >= 16, total <= bytes.count {
        put(EventStreamCRC32.checksum(bytes[..<(total - 4)]), at: total - 4)
    }
}

/// Decodes `input` (split into random chunks) through both front ends. Whatever happens must be a clean return or
/// an `EventStreamError`; every decoded frame must re-encode to exactly the bytes it came from.
private func exercise(_ input: [UInt8], rng: inout SeededGenerator) {
    let cuts = (0..<Int.random(in: 0...4, using: &rng)).map { _ in Int.random(in: 0...input.count, using: &rng) }.sorted()
    let chunks = split(input, at: cuts)
    let maximum = Bool.random(using: &rng) ? EventStreamDecoder.defaultMaximumFrameSize : Int.random(in: 0...512, using: &rng)

    var readerResult: Result<[EventStreamMessage], EventStreamError>
    do {
        readerResult = .success(try decodeWithReader(chunks, maximumFrameSize: maximum))
    } catch {
        readerResult = .failure(error)
    }

    var processorResult: Result<[EventStreamMessage], EventStreamError>
    do {
        processorResult = .success(try decodeWithProcessor(chunks, maximumFrameSize: maximum))
    } catch let error as EventStreamError {
        processorResult = .failure(error)
    } catch {
        Issue.record("non-EventStreamError thrown: \(error)")
        return
    }
    #expect(readerResult == processorResult)

    if case .success(let messages) = readerResult {
        #expect(messages.flatMap(encoded) == input)
    }
}

@Suite("Fuzzing: decoding never traps")
struct FuzzTests {
    @Test("random bytes")
    func randomBytes() {
        var rng = SeededGenerator(seed: 0xF00D)
        for _ in 0..<3000 {
            let input = rng.bytes(count: Int.random(in: 0...200, using: &rng))
            exercise(input, rng: &rng)
        }
    }

    @Test("random bytes behind a valid prelude and valid checksums")
    func randomBodies() {
        var rng = SeededGenerator(seed: 0xBEEF)
        for _ in 0..<3000 {
            let bodyLength = Int.random(in: 0...120, using: &rng)
            var frame = [UInt8](repeating: 0, count: 12) + rng.bytes(count: bodyLength) + [0, 0, 0, 0]
            let total = UInt32(frame.count)
            let headersLength = UInt32.random(in: 0...UInt32(bodyLength + 2), using: &rng)
            for i in 0..<4 {
                frame[i] = UInt8(truncatingIfNeeded: total >> (24 - 8 * UInt32(i)))
                frame[4 + i] = UInt8(truncatingIfNeeded: headersLength >> (24 - 8 * UInt32(i)))
            }
            fixCRCs(&frame)
            exercise(frame, rng: &rng)
        }
    }

    @Test("mutations of valid frames, with and without CRC fix-up")
    func mutations() {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        for _ in 0..<4000 {
            let messages = (0..<Int.random(in: 1...3, using: &rng)).map { _ in rng.message(maxHeaders: 5, maxPayload: 40) }
            var bytes = messages.flatMap(encoded)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<5, using: &rng) {
                case 0 where !bytes.isEmpty:  // overwrite a byte
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1 where !bytes.isEmpty:  // flip a bit
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 2:  // truncate
                    bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng))
                case 3:  // insert garbage
                    bytes.insert(contentsOf: rng.bytes(count: Int.random(in: 1...8, using: &rng)), at: Int.random(in: 0...bytes.count, using: &rng))
                default:  // delete a range
                    let start = Int.random(in: 0...bytes.count, using: &rng)
                    bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...8, using: &rng)))
                }
            }
            if Bool.random(using: &rng) {
                fixCRCs(&bytes)
            }
            exercise(bytes, rng: &rng)
        }
    }

    @Test("extreme prelude lengths with valid prelude CRC")
    func extremePreludes() {
        var rng = SeededGenerator(seed: 99)
        let interesting: [UInt32] = [0, 1, 11, 12, 15, 16, 17, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFF0, 0xFFFF_FFFF]
        for total in interesting {
            for headers in interesting {
                var frame = rawFrame(headers: [], totalLength: 16, headersLength: 0)
                for i in 0..<4 {
                    frame[i] = UInt8(truncatingIfNeeded: total >> (24 - 8 * UInt32(i)))
                    frame[4 + i] = UInt8(truncatingIfNeeded: headers >> (24 - 8 * UInt32(i)))
                }
                fixCRCs(&frame)
                exercise(frame, rng: &rng)
            }
        }
    }
}
