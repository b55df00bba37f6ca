import NexusJSON

/// A Converse content block (the members of botocore's `ContentBlock` union that we send or
/// receive). Blobs (`bytes`, `redactedContent`) are base64 strings, as on the JSON wire.
public enum ConverseBlock: Sendable, Hashable {
    /// Text; a checked literal of the client's request is written as it came (`JSONString`).
    case text(JSONString)
    case image(format: String, bytes: String)
    case document(Document)
    case toolUse(id: String, name: String, input: JSONValue)
    case toolResult(id: String, content: [ToolResultContent], isError: Bool)
    case reasoningText(text: JSONString, signature: JSONString?)
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
        case text(JSONString)
        case json(JSONValue)
        case image(format: String, bytes: String)
        case document(Document)
    }

    public var isCachePoint: Bool {
        if case .cachePoint = self { return true }
        return false
    }

    /// A text block from a `String`.
    @inlinable public static func text(_ text: String) -> ConverseBlock { .text(JSONString(text)) }

    /// A reasoning block from `String`s.
    @inlinable public static func reasoningText(text: String, signature: String?) -> ConverseBlock {
        .reasoningText(text: JSONString(text), signature: signature.map { JSONString($0) })
    }

    /// Writes the block as Converse's `ContentBlock` union: one member named for its kind.
    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        switch self {
        case .text(let text):
            json.key("text")
            json.string(text)
        case .image(let format, let bytes):
            json.key("image")
            Self.writeImage(format: format, bytes: bytes, to: &json)
        case .document(let document):
            json.key("document")
            document.write(to: &json)
        case .toolUse(let id, let name, let input):
            json.key("toolUse")
            json.beginObject()
            json.key("toolUseId")
            json.string(id)
            json.key("name")
            json.string(name)
            json.key("input")
            json.value(input)
            json.endObject()
        case .toolResult(let id, let content, let isError):
            json.key("toolResult")
            json.beginObject()
            json.key("toolUseId")
            json.string(id)
            json.key("content")
            json.beginArray()
            for item in content { item.write(to: &json) }
            json.endArray()
            if isError {
                json.key("status")
                json.string("error")
            }
            json.endObject()
        case .reasoningText(let text, let signature):
            json.key("reasoningContent")
            json.beginObject()
            json.key("reasoningText")
            json.beginObject()
            json.key("text")
            json.string(text)
            if let signature, !signature.isEmpty {
                json.key("signature")
                json.string(signature)
            }
            json.endObject()
            json.endObject()
        case .redactedContent(let data):
            json.key("reasoningContent")
            json.beginObject()
            json.key("redactedContent")
            json.string(data)
            json.endObject()
        case .cachePoint(let ttl):
            json.key("cachePoint")
            Self.writeCachePoint(ttl: ttl, to: &json)
        }
        json.endObject()
    }

    /// The block, as `write(to:)` writes it.
    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }

    static func writeImage(format: String, bytes: String, to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("format")
        json.string(format)
        json.key("source")
        json.beginObject()
        json.key("bytes")
        json.string(bytes)
        json.endObject()
        json.endObject()
    }

    static func writeCachePoint(ttl: String?, to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("type")
        json.string("default")
        if let ttl {
            json.key("ttl")
            json.string(ttl)
        }
        json.endObject()
    }
}

extension ConverseBlock.Document {
    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("format")
        json.string(format)
        json.key("name")
        json.string(name)
        json.key("source")
        json.beginObject()
        switch source {
        case .bytes(let bytes):
            json.key("bytes")
            json.string(bytes)
        case .text(let text):
            json.key("text")
            json.string(text)
        case .content(let texts):
            json.key("content")
            json.beginArray()
            for text in texts {
                json.beginObject()
                json.key("text")
                json.string(text)
                json.endObject()
            }
            json.endArray()
        }
        json.endObject()
        if let context {
            json.key("context")
            json.string(context)
        }
        if citations {
            json.key("citations")
            json.beginObject()
            json.key("enabled")
            json.bool(true)
            json.endObject()
        }
        json.endObject()
    }

    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
}

extension ConverseBlock.ToolResultContent {
    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        switch self {
        case .text(let text):
            json.key("text")
            json.string(text)
        case .json(let value):
            json.key("json")
            json.value(value)
        case .image(let format, let bytes):
            json.key("image")
            ConverseBlock.writeImage(format: format, bytes: bytes, to: &json)
        case .document(let document):
            json.key("document")
            document.write(to: &json)
        }
        json.endObject()
    }

    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
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

    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("role")
        json.string(role)
        json.key("content")
        json.beginArray()
        for block in content { block.write(to: &json) }
        json.endArray()
        json.endObject()
    }

    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
}

/// An entry of `system`.
public enum ConverseSystemBlock: Sendable, Hashable {
    case text(JSONString)
    case cachePoint(ttl: String?)

    /// A text entry from a `String`.
    @inlinable public static func text(_ text: String) -> Self { .text(JSONString(text)) }

    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        switch self {
        case .text(let text):
            json.key("text")
            json.string(text)
        case .cachePoint(let ttl):
            json.key("cachePoint")
            ConverseBlock.writeCachePoint(ttl: ttl, to: &json)
        }
        json.endObject()
    }

    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
}

/// An entry of `toolConfig.tools`.
public enum ConverseTool: Sendable, Hashable {
    case spec(name: String, description: JSONString?, inputSchema: JSONValue, strict: Bool?)
    case cachePoint(ttl: String?)

    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        switch self {
        case .spec(let name, let description, let schema, let strict):
            json.key("toolSpec")
            json.beginObject()
            json.key("name")
            json.string(name)
            if let description, !description.isEmpty {
                json.key("description")
                json.string(description)
            }
            json.key("inputSchema")
            json.beginObject()
            json.key("json")
            json.value(schema)
            json.endObject()
            if let strict {
                json.key("strict")
                json.bool(strict)
            }
            json.endObject()
        case .cachePoint(let ttl):
            json.key("cachePoint")
            ConverseBlock.writeCachePoint(ttl: ttl, to: &json)
        }
        json.endObject()
    }

    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
}

/// `toolConfig.toolChoice`.
public enum ConverseToolChoice: Sendable, Hashable {
    case auto, any
    case tool(String)

    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        switch self {
        case .auto:
            json.key("auto")
            json.beginObject()
            json.endObject()
        case .any:
            json.key("any")
            json.beginObject()
            json.endObject()
        case .tool(let name):
            json.key("tool")
            json.beginObject()
            json.key("name")
            json.string(name)
            json.endObject()
        }
        json.endObject()
    }

    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }
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

    /// Writes the `toolConfig` member, unless there are no tools.
    private func writeToolConfig(to json: inout JSONStreamWriter) {
        guard !tools.isEmpty else { return }
        json.key("toolConfig")
        json.beginObject()
        json.key("tools")
        json.beginArray()
        for tool in tools { tool.write(to: &json) }
        json.endArray()
        if let toolChoice {
            json.key("toolChoice")
            toolChoice.write(to: &json)
        }
        json.endObject()
    }

    /// The members the Converse and CountTokens bodies share, conversation first.
    private func writeConversation(to json: inout JSONStreamWriter, inference: Bool) {
        json.key("messages")
        json.beginArray()
        for message in messages { message.write(to: &json) }
        json.endArray()
        if !system.isEmpty {
            json.key("system")
            json.beginArray()
            for block in system { block.write(to: &json) }
            json.endArray()
        }
        if inference { writeInferenceConfig(to: &json) }
        writeToolConfig(to: &json)
        if !additionalModelRequestFields.isEmpty {
            json.key("additionalModelRequestFields")
            json.value(.object(additionalModelRequestFields))
        }
    }

    private func writeInferenceConfig(to json: inout JSONStreamWriter) {
        guard maxTokens != nil || temperature != nil || topP != nil || !stopSequences.isEmpty else { return }
        json.key("inferenceConfig")
        json.beginObject()
        if let maxTokens {
            json.key("maxTokens")
            json.int(maxTokens)
        }
        if let temperature {
            json.key("temperature")
            json.value(.double(temperature))
        }
        if let topP {
            json.key("topP")
            json.value(.double(topP))
        }
        if !stopSequences.isEmpty {
            json.key("stopSequences")
            json.beginArray()
            for sequence in stopSequences { json.string(sequence) }
            json.endArray()
        }
        json.endObject()
    }

    /// Writes the Converse JSON body straight into the writer: the hot path builds no tree.
    public func write(to json: inout JSONStreamWriter) {
        json.beginObject()
        writeConversation(to: &json, inference: true)
        if !additionalModelResponseFieldPaths.isEmpty {
            json.key("additionalModelResponseFieldPaths")
            json.beginArray()
            for path in additionalModelResponseFieldPaths { json.string(path) }
            json.endArray()
        }
        json.endObject()
    }

    /// The Converse JSON body, as `write(to:)` writes it.
    public var jsonValue: JSONValue { JSONValue.written { write(to: &$0) } }

    /// Writes the body of `POST /model/{modelId}/count-tokens` for the same conversation.
    public func writeCountTokens(to json: inout JSONStreamWriter) {
        json.beginObject()
        json.key("input")
        json.beginObject()
        json.key("converse")
        json.beginObject()
        writeConversation(to: &json, inference: false)
        json.endObject()
        json.endObject()
        json.endObject()
    }

    /// The CountTokens body, as `writeCountTokens(to:)` writes it.
    public var countTokensJSON: JSONValue { JSONValue.written { writeCountTokens(to: &$0) } }
}
