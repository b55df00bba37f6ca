/// Deterministic signatures for the Anthropic face's thinking blocks. The secret differs from
/// the Converse face's `ReasoningSignature`, so a block signed by one face is refused by the
/// other, as real upstreams refuse each other's signatures.
enum AnthropicSignature {
    static let secret = "anthropic-simulator-signature-v1"

    /// The signature of `text`: base64, stable across processes (FNV-1a over secret and text).
    static func sign(_ text: String) -> String {
        let keyed = secret + ":" + text
        let first = fnv1a(keyed.utf8, seed: 0xcbf2_9ce4_8422_2325)
        let second = fnv1a(keyed.utf8, seed: 0x1b87_3593_cc9e_2d51)
        return Base64.encode(Array("\(secret):\(hex(first))\(hex(second))".utf8))
    }

    /// True when `signature` is this face's signature of `text`.
    static func isValid(_ signature: String, for text: String) -> Bool {
        signature == sign(text)
    }

    private static func fnv1a(_ bytes: String.UTF8View, seed: UInt64) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
