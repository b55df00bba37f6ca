import Synchronization

/// Random ids in Anthropic's style (`msg_01…`, `req_01…`): a prefix and 24 base-62 characters.
///
/// Ids must be unique, not secret: they come from a SplitMix64 sequence seeded once from the
/// system's generator, so making one costs no system call. An id takes its four steps of the
/// sequence with one atomic add (no lock, which two event loops would contend for).
public enum Identifier {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let state = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// The SplitMix64 output for the sequence's `state`.
    private static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `prefix`, `01`, then 22 base-62 characters, written straight into the string (one allocation).
    public static func make(_ prefix: StaticString) -> String {
        let head = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        return String(unsafeUninitializedCapacity: head.count + 24) { out in
            var position = 0
            for byte in head {
                out[position] = byte
                position += 1
            }
            out[position] = UInt8(ascii: "0")
            out[position + 1] = UInt8(ascii: "1")
            position += 2
            var remaining = 22
            // 22 characters take four words of six: the sequence's next four states.
            var step = state.wrappingAdd(4 &* gamma, ordering: .relaxed).oldValue
            alphabet.withUnsafeBufferPointer { alphabet in
                while remaining > 0 {
                    step &+= gamma
                    var word = mix(step)
                    for _ in 0..<min(remaining, 6) {
                        out[position] = alphabet[Int(word % 62)]
                        position += 1
                        word /= 62
                        remaining -= 1
                    }
                }
            }
            return position
        }
    }
}
