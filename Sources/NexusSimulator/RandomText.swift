/// The random-looking strings Bedrock puts on the wire: request ids, tool use ids, event padding.
enum RandomText {
    private static let alphanumerics = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)

    /// `count` random letters and digits.
    static func alphanumeric(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<max(0, count) {
            bytes.append(alphanumerics[Int(generator.next(upperBound: UInt(alphanumerics.count)))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A lowercase UUID-shaped request id, as in `x-amzn-RequestId`.
    static func requestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        for index in 0..<32 {
            if index == 8 || index == 12 || index == 16 || index == 20 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(hex[Int(generator.next(upperBound: UInt(16)))])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A Bedrock-style tool use id: `tooluse_` and 22 letters or digits.
    static func toolUseID() -> String { "tooluse_" + alphanumeric(22) }

    /// The padding Bedrock adds to every stream event (`"p"`): a prefix of `a…zA…Z0…9` of random length.
    static func padding() -> String {
        var generator = SystemRandomNumberGenerator()
        let length = 1 + Int(generator.next(upperBound: UInt(alphanumerics.count)))
        return String(decoding: alphanumerics[..<length], as: UTF8.self)
    }
}

/// Deterministic signatures for the simulator's reasoning blocks, so that a thinking block sent
/// back altered (text or signature) or without its signature is refused like Bedrock refuses it.
enum ReasoningSignature {
    /// The signature of `text`: base64 like Bedrock's, stable across processes (FNV-1a, not `Hasher`).
    static func sign(_ text: String) -> String {
        FNVSignature.sign(text, seeds: (0xcbf2_9ce4_8422_2325, 0x8422_2325_cbf2_9ce4), label: "nexus-simulator-signature-v1")
    }

    /// True when `signature` is the simulator's signature of `text`.
    static func isValid(_ signature: String, for text: String) -> Bool {
        signature == sign(text)
    }
}

/// A signature of a text as the simulator's faces make them: two FNV-1a hashes with different
/// seeds, in hex after a label, base64-encoded. Each face keys it differently.
enum FNVSignature {
    static func sign(_ text: String, seeds: (UInt64, UInt64), label: String) -> String {
        let first = fnv1a(text.utf8, seed: seeds.0)
        let second = fnv1a(text.utf8, seed: seeds.1)
        return Base64.encode(Array("\(label):\(hex(first))\(hex(second))".utf8))
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
