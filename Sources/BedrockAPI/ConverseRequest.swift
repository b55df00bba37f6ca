import NexusJSON

/// A Converse content block (the members of botocore's `ContentBlock` union that we send or
/// receive). Blobs (`bytes`, `redactedContent`) are base64 strings, as on the JSON wire.
public enum ConverseBlock: Sendable, Hashable {
    case text(String)
    case image(format: String, bytes: String)
    case document(Document)
    case toolUse(id: String, name: String, input: JSONValue)
    case toolResult(id: String, content: [ToolResultContent], isError: Bool)
    case reasoningText(text: String, signature: String?)
    case redactedContent(String)
    /// A cache breakpoint: everything before it is a cacheable prefix.
    case cachePoint(ttl: String?)

    public struct Document: Sendable, Hashable {
        /// `pdf`, `txt`, `md`, `csv`, `html`, `doc(x)`, `xls(x)`.
        public var format: String
        public var name: String
        public var source: Source
        public var context: String?
        public var citations: Bool

        public enum Source: Sendable, Hashable {
            case bytes(String)
            case text(String)
            case content([String])
        }

        public init(format: String, name: String, source: Source, context: String? = nil, citations: Bool = false) {
            self.format = format
            self.name = name
            self.source = source
            self.context = context
            self.citations = citations
        }
    }

    public enum ToolResultContent: Sendable, Hashable {
        case text(String)
        case json(JSONValue)
        case image(format: String, bytes: String)
        case document(Document)
    }

    public var isCachePoint: Bool {
        if case .cachePoint = self { return true }
        return false
    }

    public var jsonValue: JSONValue {
        switch self {
        case .text(let text):
            return ["text": .string(text)]
        case .image(let format, let bytes):
            return ["image": Self.imageJSON(format: format, bytes: bytes)]
        case .document(let d):
            return ["document": d.jsonValue]
        case .toolUse(let id, let name, let input):
            return ["toolUse": ["toolUseId": .string(id), "name": .string(name), "input": input]]
        case .toolResult(let id, let content, let isError):
            var o = JSONObject(minimumCapacity: 3)
            o.append("toolUseId", .string(id))
            o.append("content", .array(content.map(\.jsonValue)))
            if isError { o.append("status", "error") }
            return ["toolResult": .object(o)]
        case .reasoningText(let text, let signature):
            var o = JSONObject(minimumCapacity: 2)
            o.append("text", .string(text))
            if let signature, !signature.isEmpty { o.append("signature", .string(signature)) }
            return ["reasoningContent": ["reasoningText": .object(o)]]
        case .redactedContent(let data):
            return ["reasoningContent": ["redactedContent": .string(data)]]
        case .cachePoint(let ttl):
            return ["cachePoint": Self.cachePointJSON(ttl: ttl)]
        }
    }

    static func imageJSON(format: String, bytes: String) -> JSONValue {
        ["format": .string(format), "source": ["bytes": .string(bytes)]]
    }

    public static func cachePointJSON(ttl: String?) -> JSONValue {
        if let ttl { return ["type": "default", "ttl": .string(ttl)] }
        return ["type": "default"]
    }
}

extension ConverseBlock.Document {
    public var jsonValue: JSONValue {
        var o = JSONObject(minimumCapacity: 5)
        o.append("format", .string(format))
        o.append("name", .string(name))
        switch source {
        case .bytes(let b): o.append("source", ["bytes": .string(b)])
        case .text(let t): o.append("source", ["text": .string(t)])
        case .content(let texts): o.append("source", ["content": .array(texts.map { ["text": .string($0)] })])
        }
        if let context { o.append("context", .string(context)) }
        if citations { o.append("citations", ["enabled": true]) }
        return .object(o)
    }
}

extension ConverseBlock.ToolResultContent {
    public var jsonValue: JSONValue {
        switch self {
        case .text(let t): ["text": .string(t)]
        case .json(let j): ["json": j]
        case .image(let format, let bytes): ["image": ConverseBlock.imageJSON(format: format, bytes: bytes)]
        case .document(let d): ["document": d.jsonValue]
        }
    }
}

/// A Converse message.
public struct ConverseMessage: Sendable, Hashable {
    /// `user` or `assistant`.
    public var role: String
    public var content: [ConverseBlock]

    public init(role: String, content: [ConverseBlock]) {
        self.role = role
        self.content = content
    }

    public var jsonValue: JSONValue {
        ["role": .string(role), "content": .array(content.map(\.jsonValue))]
    }
}

/// An entry of `system`.
public enum ConverseSystemBlock: Sendable, Hashable {
    case text(String)
    case cachePoint(ttl: String?)

    public var jsonValue: JSONValue {
        switch self {
        case .text(let t): ["text": .string(t)]
        case .cachePoint(let ttl): ["cachePoint": ConverseBlock.cachePointJSON(ttl: ttl)]
        }
    }
}

/// An entry of `toolConfig.tools`.
public enum ConverseTool: Sendable, Hashable {
    case spec(name: String, description: String?, inputSchema: JSONValue, strict: Bool?)
    case cachePoint(ttl: String?)

    public var jsonValue: JSONValue {
        switch self {
        case .spec(let name, let description, let schema, let strict):
            var o = JSONObject(minimumCapacity: 4)
            o.append("name", .string(name))
            if let description, !description.isEmpty { o.append("description", .string(description)) }
            o.append("inputSchema", ["json": schema])
            if let strict { o.append("strict", .bool(strict)) }
            return ["toolSpec": .object(o)]
        case .cachePoint(let ttl):
            return ["cachePoint": ConverseBlock.cachePointJSON(ttl: ttl)]
        }
    }
}

/// `toolConfig.toolChoice`.
public enum ConverseToolChoice: Sendable, Hashable {
    case auto, any
    case tool(String)

    public var jsonValue: JSONValue {
        switch self {
        case .auto: ["auto": .object([:])]
        case .any: ["any": .object([:])]
        case .tool(let name): ["tool": ["name": .string(name)]]
        }
    }
}

/// The body of `POST /model/{modelId}/converse` and `/converse-stream` (the model id travels in
/// the path).
public struct ConverseRequest: Sendable, Hashable {
    public var messages: [ConverseMessage]
    public var system: [ConverseSystemBlock]
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stopSequences: [String]
    public var tools: [ConverseTool]
    public var toolChoice: ConverseToolChoice?
    /// Model-native fields (`thinking`, `top_k`, `anthropic_beta`, …), passed through as JSON.
    public var additionalModelRequestFields: JSONObject
    public var additionalModelResponseFieldPaths: [String]

    public init(
        messages: [ConverseMessage] = [], system: [ConverseSystemBlock] = [], maxTokens: Int? = nil,
        temperature: Double? = nil, topP: Double? = nil, stopSequences: [String] = [], tools: [ConverseTool] = [],
        toolChoice: ConverseToolChoice? = nil, additionalModelRequestFields: JSONObject = [:],
        additionalModelResponseFieldPaths: [String] = []
    ) {
        self.messages = messages
        self.system = system
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stopSequences = stopSequences
        self.tools = tools
        self.toolChoice = toolChoice
        self.additionalModelRequestFields = additionalModelRequestFields
        self.additionalModelResponseFieldPaths = additionalModelResponseFieldPaths
    }

    /// The `toolConfig` object, or nil when there are no tools.
    public var toolConfigJSON: JSONValue? {
        guard !tools.isEmpty else { return nil }
        var tc = JSONObject(minimumCapacity: 2)
        tc.append("tools", .array(tools.map(\.jsonValue)))
        if let toolChoice { tc.append("toolChoice", toolChoice.jsonValue) }
        return .object(tc)
    }

    /// The Converse JSON body.
    public var jsonValue: JSONValue {
        var o = JSONObject(minimumCapacity: 7)
        o.append("messages", .array(messages.map(\.jsonValue)))
        if !system.isEmpty { o.append("system", .array(system.map(\.jsonValue))) }
        var inference = JSONObject(minimumCapacity: 4)
        if let maxTokens { inference.append("maxTokens", .int(maxTokens)) }
        if let temperature { inference.append("temperature", .double(temperature)) }
        if let topP { inference.append("topP", .double(topP)) }
        if !stopSequences.isEmpty { inference.append("stopSequences", .array(stopSequences.map(JSONValue.string))) }
        if !inference.isEmpty { o.append("inferenceConfig", .object(inference)) }
        if let toolConfig = toolConfigJSON { o.append("toolConfig", toolConfig) }
        if !additionalModelRequestFields.isEmpty {
            o.append("additionalModelRequestFields", .object(additionalModelRequestFields))
        }
        if !additionalModelResponseFieldPaths.isEmpty {
            o.append(
                "additionalModelResponseFieldPaths", .array(additionalModelResponseFieldPaths.map(JSONValue.string)))
        }
        return .object(o)
    }

    /// The body of `POST /model/{modelId}/count-tokens` for the same conversation.
    public var countTokensJSON: JSONValue {
        var c = JSONObject(minimumCapacity: 4)
        c.append("messages", .array(messages.map(\.jsonValue)))
        if !system.isEmpty { c.append("system", .array(system.map(\.jsonValue))) }
        if let toolConfig = toolConfigJSON { c.append("toolConfig", toolConfig) }
        if !additionalModelRequestFields.isEmpty {
            c.append("additionalModelRequestFields", .object(additionalModelRequestFields))
        }
        return ["input": ["converse": .object(c)]]
    }
}
