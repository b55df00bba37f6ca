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

    /// Writes the `usage` object of a message (and of `message_delta`).
    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("input_tokens")
        json.int(inputTokens)
        json.key("cache_creation_input_tokens")
        json.int(cacheCreationInputTokens)
        json.key("cache_read_input_tokens")
        json.int(cacheReadInputTokens)
        json.key("cache_creation")
        json.beginObject()
        json.key("ephemeral_5m_input_tokens")
        json.int(cacheCreation5m ?? (cacheCreation1h == nil ? cacheCreationInputTokens : 0))
        json.key("ephemeral_1h_input_tokens")
        json.int(cacheCreation1h ?? 0)
        json.endObject()
        json.key("output_tokens")
        json.int(outputTokens)
        json.key("service_tier")
        json.string("standard")
        json.endObject()
    }

    /// The `usage` object, as `write(to:)` writes it.
    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
}

/// A content block of an assistant answer.
public enum ResponseBlock: Sendable, Hashable {
    /// Text; a checked literal of the upstream's answer is written as it came (`JSONString`).
    case text(JSONString)
    case toolUse(id: String, name: String, input: JSONValue)
    case thinking(thinking: JSONString, signature: JSONString)
    case redactedThinking(data: String)

    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("type")
        switch self {
        case .text(let text):
            json.string("text")
            json.key("text")
            json.string(text)
        case .toolUse(let id, let name, let input):
            json.string("tool_use")
            json.key("id")
            json.string(id)
            json.key("name")
            json.string(name)
            json.key("input")
            json.value(input)
        case .thinking(let thinking, let signature):
            json.string("thinking")
            json.key("thinking")
            json.string(thinking)
            json.key("signature")
            json.string(signature)
        case .redactedThinking(let data):
            json.string("redacted_thinking")
            json.key("data")
            json.string(data)
        }
        json.endObject()
    }

    /// The block, as `write(to:)` writes it.
    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
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

    /// Writes the answer's JSON straight into the writer: the hot path builds no tree.
    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("id")
        json.string(id)
        json.key("type")
        json.string("message")
        json.key("role")
        json.string("assistant")
        json.key("model")
        json.string(model)
        json.key("content")
        json.beginArray()
        for block in content { block.write(to: &json) }
        json.endArray()
        json.key("stop_reason")
        json.string(orNull: stopReason)
        json.key("stop_sequence")
        json.string(orNull: stopSequence)
        json.key("usage")
        usage.write(to: &json)
        json.endObject()
    }

    /// The answer, as `write(to:)` writes it.
    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
}
