import AnthropicAPI

/// Which `thinking` types a model accepts upstream.
public enum ThinkingSupport: String, Sendable, Hashable, CaseIterable {
    /// `enabled` (with a budget) and `adaptive`.
    case enabledAndAdaptive = "enabled+adaptive"
    /// Only `adaptive`: `enabled` requests are converted.
    case adaptiveOnly = "adaptive"
    /// Only `enabled`: `adaptive` requests are converted to a budget.
    case enabledOnly = "enabled"
    /// No extended thinking: thinking configs are dropped.
    case none
}

/// What one upstream model accepts: the per-model capability table that decides whether a field
/// is translated, passed through, converted or dropped.
public struct ModelProfile: Sendable, Hashable {
    /// The model id sent to AI Nexus (`claude-sonnet-4.6`).
    public var nexusID: String
    /// `opus`, `sonnet` or `haiku`: Anthropic model names of this family map here by default.
    public var family: String
    public var displayName: String
    public var thinking: ThinkingSupport
    /// Whether `output_config.effort` is forwarded.
    public var supportsEffort: Bool
    /// Whether `context_management` is forwarded (it also needs its beta).
    public var supportsContextManagement: Bool
    /// Whether `thinking.display` (`summarized`/`omitted`) is forwarded; Bedrock refuses it as an
    /// extraneous key on models that predate it.
    public var supportsThinkingDisplay: Bool
    /// `anthropic-beta` flags forwarded to this model; everything else is dropped.
    public var allowedBetas: Set<String>
    public var contextWindow: Int
    public var maxOutputTokens: Int

    public init(
        nexusID: String, family: String, displayName: String, thinking: ThinkingSupport, supportsEffort: Bool,
        supportsContextManagement: Bool = true, supportsThinkingDisplay: Bool = false, allowedBetas: Set<String> = ModelProfile.defaultBetas,
        contextWindow: Int = 200_000, maxOutputTokens: Int = 64_000
    ) {
        self.nexusID = nexusID
        self.family = family
        self.displayName = displayName
        self.thinking = thinking
        self.supportsEffort = supportsEffort
        self.supportsContextManagement = supportsContextManagement
        self.supportsThinkingDisplay = supportsThinkingDisplay
        self.allowedBetas = allowedBetas
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
    }

    /// Betas documented for Claude on Bedrock.
    public static let defaultBetas: Set<String> = [
        "interleaved-thinking-2025-05-14", "context-1m-2025-08-07", "context-management-2025-06-27",
        "effort-2025-11-24", "tool-search-tool-2025-10-19", "tool-examples-2025-10-29",
        "token-efficient-tools-2025-02-19", "fine-grained-tool-streaming-2025-05-14", "output-128k-2025-02-19",
        "computer-use-2025-01-24",
    ]

    /// First-party beta names that Bedrock knows under another name.
    public static let betaRenames: [String: String] = [
        "advanced-tool-use-2025-11-20": "tool-search-tool-2025-10-19"
    ]
}

/// Maps the model names clients send to AI Nexus models.
///
/// Resolution order: an explicit entry of the model map; a name that already is a Nexus id;
/// then the family found in the name (`opus`, `sonnet`, `haiku`). Anything else is a 404 that
/// names the known models.
public struct ModelCatalog: Sendable, Hashable {
    public var profiles: [ModelProfile]
    /// Explicit client name → Nexus id entries (`--model-map`), checked first.
    public var overrides: [String: String]

    public init(profiles: [ModelProfile] = ModelCatalog.defaultProfiles, overrides: [String: String] = [:]) {
        self.profiles = profiles
        self.overrides = overrides
    }

    public static let defaultProfiles: [ModelProfile] = [
        ModelProfile(
            nexusID: "claude-sonnet-4.6", family: "sonnet", displayName: "Claude Sonnet 4.6",
            thinking: .enabledAndAdaptive, supportsEffort: true, contextWindow: 200_000, maxOutputTokens: 64_000),
        ModelProfile(
            nexusID: "claude-opus-4.6", family: "opus", displayName: "Claude Opus 4.6",
            thinking: .enabledAndAdaptive, supportsEffort: true, contextWindow: 200_000, maxOutputTokens: 128_000),
        ModelProfile(
            nexusID: "claude-haiku-4.5", family: "haiku", displayName: "Claude Haiku 4.5",
            thinking: .enabledOnly, supportsEffort: false, contextWindow: 200_000, maxOutputTokens: 64_000),
    ]

    /// The profile for a Nexus id.
    public func profile(nexusID: String) -> ModelProfile? {
        profiles.first { $0.nexusID == nexusID }
    }

    /// Resolves a client's model name.
    public func resolve(_ name: String) throws(APIError) -> ModelProfile {
        if let target = overrides[name] {
            if let p = profile(nexusID: target) { return p }
            // A map entry to an id we have no profile for: pass it through with sonnet's abilities.
            var p = profiles.first ?? ModelCatalog.defaultProfiles[0]
            p.nexusID = target
            p.displayName = target
            return p
        }
        if let p = profile(nexusID: name) { return p }
        for family in ["opus", "sonnet", "haiku"] where Self.name(name, containsFamily: family) {
            if let p = profiles.first(where: { $0.family == family }) { return p }
        }
        let known = profiles.map(\.nexusID).joined(separator: ", ")
        throw APIError(
            .notFound,
            "model: \(name) is not available through AI Nexus. Known models: \(known) (any claude-*-opus/sonnet/haiku name maps to them)."
        )
    }

    /// Whether `name`, lowercased, contains `family` (lowercase ASCII letters).
    ///
    /// Model names are ASCII: those are compared byte by byte, ASCII-lowercased, which is what
    /// `lowercased().contains(_:)` means for them at a fraction of the cost of its substring
    /// searcher. Other names take that general path (Unicode case mapping, `Character` boundaries).
    static func name(_ name: String, containsFamily family: String) -> Bool {
        let found = name.utf8.withContiguousStorageIfAvailable { haystack in
            family.utf8.withContiguousStorageIfAvailable { asciiContains(haystack, lowercase: $0) } ?? nil
        }
        return (found ?? nil) ?? name.lowercased().contains(family)
    }

    /// Whether ASCII `haystack`, ASCII-lowercased, contains `needle`; nil if `haystack` is not ASCII.
    private static func asciiContains(
        _ haystack: UnsafeBufferPointer<UInt8>, lowercase needle: UnsafeBufferPointer<UInt8>
    ) -> Bool? {
        guard haystack.allSatisfy({ $0 < 0x80 }) else { return nil }
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) {
            var k = 0
            while k < needle.count, asciiLowercased(haystack[start + k]) == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        return false
    }

    @inline(__always)
    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }
}
