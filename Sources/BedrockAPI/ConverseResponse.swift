import NexusJSON

/// Token usage as Converse reports it (`usage` of a response or of the stream's `metadata`).
public struct ConverseUsage: Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadInputTokens: Int
    public var cacheWriteInputTokens: Int
    /// `cacheDetails`: cache-write tokens by TTL (`"5m"`, `"1h"`).
    public var cacheWriteByTTL: [String: Int]

    public init(
        inputTokens: Int = 0, outputTokens: Int = 0, cacheReadInputTokens: Int = 0, cacheWriteInputTokens: Int = 0,
        cacheWriteByTTL: [String: Int] = [:]
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheWriteInputTokens = cacheWriteInputTokens
        self.cacheWriteByTTL = cacheWriteByTTL
    }

    /// Reads a `TokenUsage` object; missing numbers are 0 (gateways in front of Bedrock trim them).
    public init(json: JSONValue?) {
        self.init()
        guard let json else { return }
        inputTokens = json["inputTokens"]?.intValue ?? 0
        outputTokens = json["outputTokens"]?.intValue ?? 0
        cacheReadInputTokens = json["cacheReadInputTokens"]?.intValue ?? 0
        cacheWriteInputTokens = json["cacheWriteInputTokens"]?.intValue ?? 0
        for detail in json["cacheDetails"]?.arrayValue ?? [] {
            if let ttl = detail["ttl"]?.stringValue, let n = detail["inputTokens"]?.intValue {
                cacheWriteByTTL[ttl, default: 0] += n
            }
        }
    }

    public var jsonValue: JSONValue {
        var o = JSONObject(minimumCapacity: 6)
        o.append("inputTokens", .int(inputTokens))
        o.append("outputTokens", .int(outputTokens))
        o.append("totalTokens", .int(inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens))
        if cacheReadInputTokens > 0 || cacheWriteInputTokens > 0 {
            o.append("cacheReadInputTokens", .int(cacheReadInputTokens))
            o.append("cacheWriteInputTokens", .int(cacheWriteInputTokens))
        }
        if !cacheWriteByTTL.isEmpty {
            o.append(
                "cacheDetails",
                .array(cacheWriteByTTL.sorted { $0.key < $1.key }.map { ["ttl": .string($0.key), "inputTokens": .int($0.value)] }))
        }
        return .object(o)
    }
}

/// A parsed Converse response (`output.message`, `stopReason`, `usage`…).
public struct ConverseResponse: Sendable, Hashable {
    public var content: [ConverseBlock]
    public var stopReason: String
    public var usage: ConverseUsage
    public var additionalModelResponseFields: JSONValue?

    public init(
        content: [ConverseBlock], stopReason: String, usage: ConverseUsage,
        additionalModelResponseFields: JSONValue? = nil
    ) {
        self.content = content
        self.stopReason = stopReason
        self.usage = usage
        self.additionalModelResponseFields = additionalModelResponseFields
    }

    /// Parses a response body. Unknown members are ignored; a body without `output.message` or
    /// `stopReason` is an error (the upstream is not speaking Converse).
    public init(json: JSONValue) throws(ConverseDecodingError) {
        guard let message = json["output"]?["message"], let blocks = message["content"]?.arrayValue else {
            throw ConverseDecodingError("response has no output.message.content")
        }
        guard let stopReason = json["stopReason"]?.stringValue else {
            throw ConverseDecodingError("response has no stopReason")
        }
        var content: [ConverseBlock] = []
        content.reserveCapacity(blocks.count)
        for block in blocks {
            if let parsed = try ConverseBlock(responseJSON: block) { content.append(parsed) }
        }
        self.content = content
        self.stopReason = stopReason
        self.usage = ConverseUsage(json: json["usage"])
        self.additionalModelResponseFields = json["additionalModelResponseFields"]
    }

    public var jsonValue: JSONValue {
        var o = JSONObject(minimumCapacity: 5)
        o.append("output", ["message": ["role": "assistant", "content": .array(content.map(\.jsonValue))]])
        o.append("stopReason", .string(stopReason))
        o.append("usage", usage.jsonValue)
        o.append("metrics", ["latencyMs": 1])
        if let additionalModelResponseFields { o.append("additionalModelResponseFields", additionalModelResponseFields) }
        return .object(o)
    }
}

/// The upstream sent something that is not valid Converse.
public struct ConverseDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension ConverseBlock {
    /// Parses an output content block. Returns nil for blocks an assistant answer may carry but
    /// Anthropic's API has no place for (e.g. `citationsContent` is flattened by the caller).
    public init?(responseJSON json: JSONValue) throws(ConverseDecodingError) {
        if let text = json["text"]?.jsonStringValue {
            self = .text(text)
        } else if let toolUse = json["toolUse"] {
            guard let id = toolUse["toolUseId"]?.stringValue, let name = toolUse["name"]?.stringValue else {
                throw ConverseDecodingError("toolUse block without toolUseId or name")
            }
            self = .toolUse(id: id, name: name, input: toolUse["input"] ?? .object([:]))
        } else if let reasoning = json["reasoningContent"] {
            if let rt = reasoning["reasoningText"] {
                self = .reasoningText(
                    text: rt["text"]?.jsonStringValue ?? "", signature: rt["signature"]?.jsonStringValue)
            } else if let redacted = reasoning["redactedContent"]?.stringValue {
                self = .redactedContent(redacted)
            } else {
                throw ConverseDecodingError("reasoningContent block without reasoningText or redactedContent")
            }
        } else if let citations = json["citationsContent"]?["content"]?.arrayValue {
            self = .text(JSONString(citations.compactMap { $0["text"]?.stringValue }.joined()))
        } else {
            return nil
        }
    }
}
