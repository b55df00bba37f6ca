/// Deterministic signatures for the Anthropic face's thinking blocks. The secret differs from
/// the Converse face's `ReasoningSignature`, so a block signed by one face is refused by the
/// other, as real upstreams refuse each other's signatures.
enum AnthropicSignature {
    static let secret = "anthropic-simulator-signature-v1"

    /// The signature of `text`: base64, stable across processes (FNV-1a over secret and text).
    static func sign(_ text: String) -> String {
        FNVSignature.sign(secret + ":" + text, seeds: (0xcbf2_9ce4_8422_2325, 0x1b87_3593_cc9e_2d51), label: secret)
    }

    /// True when `signature` is this face's signature of `text`.
    static func isValid(_ signature: String, for text: String) -> Bool {
        signature == sign(text)
    }
}
