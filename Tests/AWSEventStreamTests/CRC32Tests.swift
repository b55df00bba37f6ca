import AWSEventStream
import Testing

@Suite("CRC-32")
struct CRC32Tests {
    @Test("known vectors", arguments: [
        ("", UInt32(0)),
        ("a", 0xE8B7_BE43),
        ("abc", 0x3524_41C2),
        ("123456789", 0xCBF4_3926),
        ("The quick brown fox jumps over the lazy dog", 0x414F_A339),
    ])
    func knownVectors(input: String, expected: UInt32) {
        #expect(EventStreamCRC32.checksum(Array(input.utf8)) == expected)
    }

    @Test("slicing-by-8 agrees with the bitwise definition for every length and alignment")
    func matchesBitwiseReference() {
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1
                }
            }
            return ~crc
        }
        var rng = SeededGenerator(seed: 1)
        let data = rng.bytes(count: 300)
        for start in 0..<9 {
            for end in stride(from: start, through: data.count, by: 1) {
                let slice = Array(data[start..<end])
                #expect(EventStreamCRC32.checksum(data[start..<end]) == reference(slice))
            }
        }
    }

    @Test("update continues a checksum like zlib.crc32(data, crc)")
    func incremental() {
        let data = Array("123456789".utf8)
        for cut in 0...data.count {
            let first = EventStreamCRC32.checksum(data[..<cut])
            let full = data[cut...].withUnsafeBytes { EventStreamCRC32.update(first, with: $0) }
            #expect(full == 0xCBF4_3926)
        }
    }
}
