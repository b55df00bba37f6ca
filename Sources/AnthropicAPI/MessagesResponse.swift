import NexusJSON

/// Token counts as Anthropic reports them.
public struct Usage: Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheCreationInputTokens: Int
    public var cacheReadInputTokens: Int
    /// Split of `cacheCreationInputTokens` by TTL, when upstream reports it.
    public var cacheCreation5m: Int?
    public var cacheCreation1h: Int?

    public init(
        inputTokens: Int = 0, outputTokens: Int = 0, cacheCreationInputTokens: Int = 0, cacheReadInputTokens: Int = 0,
        cacheCreation5m: Int? = nil, cacheCreation1h: Int? = nil
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheCreation5m = cacheCreation5m
        self.cacheCreation1h = cacheCreation1h
    }

    /// The `usage` object of a message (and of `message_delta`).
    public var jsonValue: JSONValue {
        var o = JSONObject(minimumCapacity: 6)
        o.append("input_tokens", .int(inputTokens))
        o.append("cache_creation_input_tokens", .int(cacheCreationInputTokens))
        o.append("cache_read_input_tokens", .int(cacheReadInputTokens))
        var creation = JSONObject(minimumCapacity: 2)
        creation.append("ephemeral_5m_input_tokens", .int(cacheCreation5m ?? (cacheCreation1h == nil ? cacheCreationInputTokens : 0)))
        creation.append("ephemeral_1h_input_tokens", .int(cacheCreation1h ?? 0))
        o.append("cache_creation", .object(creation))
        o.append("output_tokens", .int(outputTokens))
        o.append("service_tier", "standard")
        return .object(o)
    }
}

/// A content block of an assistant answer.
public enum ResponseBlock: Sendable, Hashable {
    case text(String)
    case toolUse(id: String, name: String, input: JSONValue)
    case thinking(thinking: String, signature: String)
    case redactedThinking(data: String)

    public var jsonValue: JSONValue {
        switch self {
        case .text(let text):
            return ["type": "text", "text": .string(text)]
        case .toolUse(let id, let name, let input):
            return ["type": "tool_use", "id": .string(id), "name": .string(name), "input": input]
        case .thinking(let thinking, let signature):
            return ["type": "thinking", "thinking": .string(thinking), "signature": .string(signature)]
        case .redactedThinking(let data):
            return ["type": "redacted_thinking", "data": .string(data)]
        }
    }
}

/// A complete (non-streaming) answer to `POST /v1/messages`.
public struct MessagesResponse: Sendable, Hashable {
    public var id: String
    /// The model name the client asked for (not the upstream id).
    public var model: String
    public var content: [ResponseBlock]
    public var stopReason: String?
    public var stopSequence: String?
    public var usage: Usage

    public init(
        id: String, model: String, content: [ResponseBlock], stopReason: String?, stopSequence: String?,
        usage: Usage
    ) {
        self.id = id
        self.model = model
        self.content = content
        self.stopReason = stopReason
        self.stopSequence = stopSequence
        self.usage = usage
    }

    public var jsonValue: JSONValue {
        var o = JSONObject(minimumCapacity: 9)
        o.append("id", .string(id))
        o.append("type", "message")
        o.append("role", "assistant")
        o.append("model", .string(model))
        o.append("content", .array(content.map(\.jsonValue)))
        o.append("stop_reason", stopReason.map(JSONValue.string) ?? .null)
        o.append("stop_sequence", stopSequence.map(JSONValue.string) ?? .null)
        o.append("usage", usage.jsonValue)
        return .object(o)
    }
}
