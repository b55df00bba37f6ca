import BedrockAPI
import NexusJSON

/// A simulated answer rendered as an Anthropic message: `msg_…` id, the requested model id,
/// content blocks, `stop_reason`, `stop_sequence` and `usage`.
struct AnthropicMessage: Sendable {
    var id: String
    var model: String
    var content: [JSONValue]
    var stopReason: String
    var stopSequence: String?
    /// The Anthropic `usage` object.
    var usage: JSONObject

    /// Renders `answer` for `model`; `converseUsage` is the Converse-shaped usage of `PromptMeter`.
    init(answer: SimulatedAnswer, model: String, stopSequences: [String], converseUsage: JSONValue) {
        id = AnthropicIDs.messageID()
        self.model = model
        content = answer.blocks.compactMap(Self.block)
        switch answer.stopReason {
        case "content_filtered", "guardrail_intervened": stopReason = "refusal"
        default: stopReason = answer.stopReason
        }
        stopSequence = stopReason == "stop_sequence" ? (stopSequences.first ?? "") : nil
        usage = Self.usage(converseUsage)
    }

    static func block(_ block: ConverseBlock) -> JSONValue? {
        switch block {
        case .text(let text):
            return ["type": "text", "text": .string(text)]
        case .reasoningText(let text, _):
            return [
                "type": "thinking", "thinking": .string(text),
                "signature": .string(AnthropicSignature.sign(text.string)),
            ]
        case .redactedContent(let data):
            return ["type": "redacted_thinking", "data": .string(data)]
        case .toolUse(let id, let name, let input):
            let anthropicID = id.hasPrefix("tooluse_") ? "toolu_01" + id.dropFirst("tooluse_".count) : id
            return ["type": "tool_use", "id": .string(anthropicID), "name": .string(name), "input": input]
        default:
            return nil
        }
    }

    /// `{input_tokens, cache_creation_input_tokens, cache_read_input_tokens, cache_creation
    /// {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}, output_tokens, service_tier}`.
    static func usage(_ converse: JSONValue) -> JSONObject {
        let written = converse["cacheWriteInputTokens"]?.intValue ?? 0
        let ttl = converse["cacheDetails"]?.arrayValue?.first?["ttl"]?.stringValue ?? "5m"
        var usage = JSONObject()
        usage.append("input_tokens", .int(converse["inputTokens"]?.intValue ?? 0))
        usage.append("cache_creation_input_tokens", .int(written))
        usage.append("cache_read_input_tokens", .int(converse["cacheReadInputTokens"]?.intValue ?? 0))
        usage.append(
            "cache_creation",
            [
                "ephemeral_5m_input_tokens": .int(ttl == "1h" ? 0 : written),
                "ephemeral_1h_input_tokens": .int(ttl == "1h" ? written : 0),
            ])
        usage.append("output_tokens", .int(converse["outputTokens"]?.intValue ?? 0))
        usage.append("service_tier", "standard")
        return usage
    }

    /// The message object; `content`, `stop_reason`, `stop_sequence` and `output_tokens` can be
    /// replaced (the start of a stream has no content yet).
    func json(content: [JSONValue]? = nil, final: Bool = true) -> JSONValue {
        var object = JSONObject()
        object.append("id", .string(id))
        object.append("type", "message")
        object.append("role", "assistant")
        object.append("model", .string(model))
        object.append("content", .array(content ?? self.content))
        object.append("stop_reason", final ? .string(stopReason) : .null)
        object.append("stop_sequence", final ? (stopSequence.map { .string($0) } ?? .null) : .null)
        var usage = self.usage
        if !final { usage["output_tokens"] = .int(1) }
        object.append("usage", .object(usage))
        return .object(object)
    }
}
