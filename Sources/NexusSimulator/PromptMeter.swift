import NexusJSON

/// Deterministic token counts for a prompt: one token per 4 bytes of its compact JSON (tools,
/// system, messages), at least 1; and the cacheable prefixes its cache points delimit.
struct PromptMeter {
    /// A prefix ending at a cache point.
    struct CachePrefix {
        var hash: Int
        var tokens: Int
        /// The cache point's TTL (`5m` when absent).
        var ttl: String
    }

    private(set) var bytes = 0
    private(set) var prefixes: [CachePrefix] = []
    private var hasher = Hasher()

    /// Measures the `toolConfig`, `system` and `messages` members of `body` for `model`
    /// (cache entries are per model).
    init(body: JSONValue, model: String) {
        hasher.combine(model)
        for tool in body["toolConfig"]?["tools"]?.arrayValue ?? [] { add(tool) }
        for block in body["system"]?.arrayValue ?? [] { add(block) }
        for message in body["messages"]?.arrayValue ?? [] {
            add(message["role"] ?? .null)
            for block in message["content"]?.arrayValue ?? [] { add(block) }
        }
    }

    /// The prompt's tokens.
    var tokens: Int { Self.tokens(bytes) }

    static func tokens(_ bytes: Int) -> Int { max(1, bytes / 4) }

    private mutating func add(_ element: JSONValue) {
        if let point = element["cachePoint"] {
            let copy = hasher
            prefixes.append(
                CachePrefix(hash: copy.finalize(), tokens: Self.tokens(bytes), ttl: point["ttl"]?.stringValue ?? "5m"))
            return
        }
        let encoded = element.jsonBytes
        bytes += encoded.count
        encoded.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// The usage of an answer with `outputTokens` to this prompt, consulting and updating the
    /// prefix cache of `state`: the longest known prefix is read, the rest up to the last cache
    /// point is written.
    func usage(outputTokens: Int, state: SimulatorState) -> JSONValue {
        let total = tokens
        var usage = JSONObject(minimumCapacity: 6)
        guard let last = prefixes.last else {
            usage.append("inputTokens", .int(total))
            usage.append("outputTokens", .int(outputTokens))
            usage.append("totalTokens", .int(total + outputTokens))
            return .object(usage)
        }
        let cached = min(last.tokens, total - 1)
        let hit = state.lookUpAndRecord(prefixes: prefixes.map(\.hash))
        let read = min(hit.map { prefixes[$0].tokens } ?? 0, cached)
        let written = cached - read
        let input = total - cached
        usage.append("inputTokens", .int(input))
        usage.append("outputTokens", .int(outputTokens))
        usage.append("totalTokens", .int(input + outputTokens + read + written))
        usage.append("cacheReadInputTokens", .int(read))
        usage.append("cacheWriteInputTokens", .int(written))
        if written > 0 {
            usage.append("cacheDetails", [["ttl": .string(last.ttl), "inputTokens": .int(written)]])
        }
        return .object(usage)
    }
}
