import NexusJSON

/// Takes signed thinking out of a Messages request, for an upstream that did not sign it.
///
/// A thinking block's signature is bound to the upstream that made it: Anthropic's API and
/// Bedrock each refuse the other's (`Invalid signature in thinking block`). A request that goes
/// to another upstream than the one that signed its history is sent without those `thinking`
/// and `redacted_thinking` blocks (`SignatureLedger` tells which), which every upstream accepts
/// for earlier turns. Only the latest assistant turn of a tool loop must keep its thinking while thinking is
/// on; when that turn lost some, thinking is turned off for this one request (the model answers
/// without it rather than not at all). The caller logs the `Report`.
public enum ThinkingScrubber {
    /// What was taken out.
    public struct Report: Sendable, Hashable, CustomStringConvertible {
        /// Thinking and redacted-thinking blocks removed.
        public var blocksRemoved: Int
        /// Whether `thinking` was turned off for this request.
        public var thinkingDisabled: Bool

        public var description: String {
            "removed \(blocksRemoved) signed thinking block(s)"
                + (thinkingDisabled ? "; thinking turned off for this request" : "")
        }
    }

    /// The request without the thinking blocks `remove` picks (all by default), or nil when it
    /// picks none.
    public static func scrub(
        _ body: JSONValue, removing remove: (JSONValue) -> Bool = { _ in true }
    ) -> (JSONValue, Report)? {
        guard case .object(var object) = body, let messages = object["messages"]?.arrayValue else { return nil }
        var removed = 0
        var lastAssistantLostThinking = false
        var kept: [JSONValue] = []
        kept.reserveCapacity(messages.count)
        // The index of the last user message whose content is not only tool results: the tool
        // loop in progress starts after it.
        let loopStart =
            messages.lastIndex(where: { message in
                guard message["role"]?.stringValue == "user" else { return false }
                guard let blocks = message["content"]?.arrayValue else { return true }
                return !blocks.allSatisfy { $0["type"]?.stringValue == "tool_result" }
            }) ?? -1
        for (index, message) in messages.enumerated() {
            guard message["role"]?.stringValue == "assistant", case .object(var turn) = message,
                let blocks = turn["content"]?.arrayValue
            else {
                kept.append(message)
                continue
            }
            let remaining = blocks.filter { block in
                let type = block["type"]?.stringValue
                return (type != "thinking" && type != "redacted_thinking") || !remove(block)
            }
            let count = blocks.count - remaining.count
            guard count > 0 else {
                kept.append(message)
                continue
            }
            removed += count
            if index > loopStart { lastAssistantLostThinking = true }
            // A turn that held nothing but thinking goes whole.
            guard !remaining.isEmpty else { continue }
            turn["content"] = .array(remaining)
            kept.append(.object(turn))
        }
        guard removed > 0 else { return nil }
        object["messages"] = .array(kept)
        var disabled = false
        if lastAssistantLostThinking, let type = object["thinking"]?["type"]?.stringValue, type != "disabled" {
            object["thinking"] = nil
            disabled = true
        }
        return (.object(object), Report(blocksRemoved: removed, thinkingDisabled: disabled))
    }

    /// Whether an upstream's error says a thinking signature was refused.
    public static func isSignatureError(_ message: String) -> Bool {
        let lower = message.lowercased()
        return lower.contains("signature") && lower.contains("thinking")
    }
}
