import NexusJSON

/// `cache_control` on a block, tool or system entry: a prompt-caching breakpoint.
public struct CacheControl: Sendable, Hashable {
    /// `"5m"` or `"1h"`, or nil for the default (5 minutes).
    public var ttl: String?

    public init(ttl: String? = nil) { self.ttl = ttl }

    static func parse(_ reader: JSONFieldReader) throws(APIError) -> CacheControl? {
        guard let cc = try reader.optionalObject("cache_control") else { return nil }
        let type = try cc.optionalString("type") ?? "ephemeral"
        guard type == "ephemeral" else {
            throw .invalid("\(cc.path("type")): Input should be 'ephemeral'")
        }
        let ttl = try cc.optionalString("ttl")
        if let ttl, ttl != "5m", ttl != "1h" {
            throw .invalid("\(cc.path("ttl")): Input should be '5m' or '1h'")
        }
        return CacheControl(ttl: ttl)
    }
}

/// Where the bytes of an image or document come from.
public enum MediaSource: Sendable, Hashable {
    case base64(mediaType: String, data: String)
    case url(String)
    /// Plain text (documents only).
    case text(mediaType: String, data: String)
    /// Content blocks (documents only): the text of each.
    case content([String])
    case file(id: String)
}

/// A content block of an Anthropic message.
public enum ContentBlock: Sendable, Hashable {
    case text(JSONString, cacheControl: CacheControl?)
    case image(MediaSource, cacheControl: CacheControl?)
    case document(Document)
    case toolUse(id: String, name: String, input: JSONValue, cacheControl: CacheControl?)
    case toolResult(ToolResult)
    case thinking(thinking: JSONString, signature: JSONString)
    case redactedThinking(data: String)
    /// A block the gateway cannot translate (server tool results, MCP, containers…), kept by type
    /// name so the translator can give a precise error.
    case unsupported(type: String)

    public struct Document: Sendable, Hashable {
        public var source: MediaSource
        public var title: String?
        public var context: String?
        public var citations: Bool
        public var cacheControl: CacheControl?

        public init(
            source: MediaSource, title: String? = nil, context: String? = nil, citations: Bool = false,
            cacheControl: CacheControl? = nil
        ) {
            self.source = source
            self.title = title
            self.context = context
            self.citations = citations
            self.cacheControl = cacheControl
        }
    }

    public struct ToolResult: Sendable, Hashable {
        public var toolUseID: String
        /// The result's content. A string result is one `.text` block.
        public var content: [ContentBlock]
        public var isError: Bool
        public var cacheControl: CacheControl?

        public init(toolUseID: String, content: [ContentBlock], isError: Bool = false, cacheControl: CacheControl? = nil) {
            self.toolUseID = toolUseID
            self.content = content
            self.isError = isError
            self.cacheControl = cacheControl
        }
    }

    /// The `cache_control` attached to this block, if any.
    public var cacheControl: CacheControl? {
        switch self {
        case .text(_, let cc), .image(_, let cc), .toolUse(_, _, _, let cc): cc
        case .document(let d): d.cacheControl
        case .toolResult(let r): r.cacheControl
        case .thinking, .redactedThinking, .unsupported: nil
        }
    }
}

/// The author of a message. `system` appears inside `messages` in Claude Code's newer traffic.
public enum Role: String, Sendable, Hashable {
    case user, assistant, system
}

/// One entry of `messages`.
public struct Message: Sendable, Hashable {
    public var role: Role
    public var content: [ContentBlock]

    public init(role: Role, content: [ContentBlock]) {
        self.role = role
        self.content = content
    }
}

/// A text block of the top-level `system` prompt.
public struct SystemBlock: Sendable, Hashable {
    public var text: JSONString
    public var cacheControl: CacheControl?

    public init(text: JSONString, cacheControl: CacheControl? = nil) {
        self.text = text
        self.cacheControl = cacheControl
    }
}

/// A tool definition. Custom tools carry a schema; server tools (web search…) only a type.
public struct Tool: Sendable, Hashable {
    /// `nil` or `"custom"` for client tools; e.g. `web_search_20250305` for server tools.
    public var type: String?
    public var name: String
    public var description: JSONString?
    public var inputSchema: JSONValue?
    public var strict: Bool?
    public var cacheControl: CacheControl?

    public init(
        type: String? = nil, name: String, description: JSONString? = nil, inputSchema: JSONValue?,
        strict: Bool? = nil, cacheControl: CacheControl? = nil
    ) {
        self.type = type
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.strict = strict
        self.cacheControl = cacheControl
    }

    /// True for client-side tools defined by a JSON schema.
    public var isCustom: Bool { type == nil || type == "custom" }
}

/// `tool_choice`.
public enum ToolChoice: Sendable, Hashable {
    case auto, any, none
    case tool(name: String)
}

/// `thinking`.
public enum ThinkingConfig: Sendable, Hashable {
    case enabled(budgetTokens: Int, display: String?)
    case adaptive(display: String?)
    case disabled
}

/// A parsed `POST /v1/messages` (or `count_tokens`) body.
///
/// Parsing checks what Anthropic's API checks (required fields, types, roles, non-empty
/// messages) and keeps the fields a translator may forward or must drop (`raw`), so a field
/// Claude Code adds tomorrow is never "Extra inputs are not permitted" here.
public struct MessagesRequest: Sendable, Hashable {
    public var model: String
    /// `nil` only for `count_tokens`, which does not take it.
    public var maxTokens: Int?
    public var messages: [Message]
    public var system: [SystemBlock]
    public var stopSequences: [String]
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var stream: Bool
    public var tools: [Tool]
    public var toolChoice: ToolChoice?
    public var disableParallelToolUse: Bool?
    public var thinking: ThinkingConfig?
    /// `output_config` as sent (`effort`, `format`…).
    public var outputConfig: JSONObject?
    /// `context_management` as sent.
    public var contextManagement: JSONValue?
    /// The whole body as parsed, for fields without a typed home.
    public var raw: JSONObject

    /// The keys whose object values a body's parse keeps as their text
    /// (`JSONValue.parse(_:maxDepth:verbatimKeys:)`): tool schemas pass to the upstream unread.
    public static let verbatimKeys = ["input_schema"]

    /// Parses a request body object. `requireMaxTokens` is false for `count_tokens`.
    public init(json: JSONValue, requireMaxTokens: Bool = true) throws(APIError) {
        guard case .object(let object) = json else {
            throw .invalid("Request body must be a JSON object")
        }
        let r = JSONFieldReader(object)
        raw = object
        model = try r.string("model")
        if model.isEmpty { throw .invalid("model: String should have at least 1 character") }
        if requireMaxTokens {
            let max = try r.int("max_tokens")
            guard max >= 1 else { throw .invalid("max_tokens: Input should be greater than or equal to 1") }
            maxTokens = max
        } else {
            maxTokens = try r.optionalInt("max_tokens")
        }
        let rawMessages = try r.array("messages")
        var messages: [Message] = []
        messages.reserveCapacity(rawMessages.count)
        for (i, m) in rawMessages.enumerated() {
            messages.append(try Self.parseMessage(m, path: "messages.\(i)"))
        }
        self.messages = messages
        system = try Self.parseSystem(r)
        if let seqs = try r.optionalArray("stop_sequences") {
            stopSequences = try seqs.enumerated().map { (i, v) throws(APIError) in
                guard case .string(let s) = v else {
                    throw .invalid("stop_sequences.\(i): Input should be a valid string")
                }
                return s.string
            }
        } else {
            stopSequences = []
        }
        temperature = try r.optionalDouble("temperature")
        if let t = temperature, !(0...1).contains(t) {
            throw .invalid("temperature: Input should be between 0 and 1")
        }
        topP = try r.optionalDouble("top_p")
        if let p = topP, !(0...1).contains(p) { throw .invalid("top_p: Input should be between 0 and 1") }
        topK = try r.optionalInt("top_k")
        if let k = topK, k < 0 { throw .invalid("top_k: Input should be greater than or equal to 0") }
        stream = try r.optionalBool("stream") ?? false
        if let rawTools = try r.optionalArray("tools") {
            var tools: [Tool] = []
            for (i, t) in rawTools.enumerated() { tools.append(try Self.parseTool(t, path: "tools.\(i)")) }
            self.tools = tools
        } else {
            tools = []
        }
        (toolChoice, disableParallelToolUse) = try Self.parseToolChoice(r)
        thinking = try Self.parseThinking(r)
        outputConfig = try r.optionalObject("output_config")?.object
        contextManagement = r.value("context_management")
    }

    static func parseSystem(_ r: JSONFieldReader) throws(APIError) -> [SystemBlock] {
        guard let value = r.value("system") else { return [] }
        switch value {
        case .string(let s):
            return [SystemBlock(text: s)]
        case .array(let blocks):
            var result: [SystemBlock] = []
            for (i, b) in blocks.enumerated() {
                let br = try JSONFieldReader(b, path: "system.\(i)")
                let type = try br.string("type")
                guard type == "text" else {
                    throw .invalid("\(br.path("type")): Input should be 'text'")
                }
                result.append(SystemBlock(text: try br.text("text"), cacheControl: try CacheControl.parse(br)))
            }
            return result
        default:
            throw r.typeError("system", "a valid string or a list of text blocks")
        }
    }

    static func parseMessage(_ value: JSONValue, path: String) throws(APIError) -> Message {
        let r = try JSONFieldReader(value, path: path)
        let roleName = try r.string("role")
        guard let role = Role(rawValue: roleName) else {
            throw .invalid("\(r.path("role")): Input should be 'user' or 'assistant'")
        }
        let content = try parseContent(r, key: "content")
        return Message(role: role, content: content)
    }

    /// `content`: a string (one text block) or a list of blocks.
    static func parseContent(_ r: JSONFieldReader, key: String) throws(APIError) -> [ContentBlock] {
        switch try r.required(key) {
        case .string(let s):
            return [.text(s, cacheControl: nil)]
        case .array(let blocks):
            var result: [ContentBlock] = []
            result.reserveCapacity(blocks.count)
            for (i, b) in blocks.enumerated() {
                result.append(try parseBlock(b, path: "\(r.path(key)).\(i)"))
            }
            return result
        default:
            throw r.typeError(key, "a valid string or a list of content blocks")
        }
    }

    static func parseBlock(_ value: JSONValue, path: String) throws(APIError) -> ContentBlock {
        let r = try JSONFieldReader(value, path: path)
        let type = try r.string("type")
        switch type {
        case "text":
            return .text(try r.text("text"), cacheControl: try CacheControl.parse(r))
        case "image":
            return .image(try parseSource(r, allowText: false), cacheControl: try CacheControl.parse(r))
        case "document":
            let citations = try r.optionalObject("citations")?.optionalBool("enabled") ?? false
            return .document(
                ContentBlock.Document(
                    source: try parseSource(r, allowText: true), title: try r.optionalString("title"),
                    context: try r.optionalString("context"), citations: citations,
                    cacheControl: try CacheControl.parse(r)))
        case "tool_use":
            let input = try r.required("input")
            guard case .object = input else { throw r.typeError("input", "a valid dictionary") }
            return .toolUse(
                id: try r.string("id"), name: try r.string("name"), input: input,
                cacheControl: try CacheControl.parse(r))
        case "tool_result":
            var content: [ContentBlock] = []
            if r.value("content") != nil { content = try parseContent(r, key: "content") }
            return .toolResult(
                ContentBlock.ToolResult(
                    toolUseID: try r.string("tool_use_id"), content: content,
                    isError: try r.optionalBool("is_error") ?? false, cacheControl: try CacheControl.parse(r)))
        case "thinking":
            return .thinking(thinking: try r.text("thinking"), signature: try r.optionalText("signature") ?? "")
        case "redacted_thinking":
            return .redactedThinking(data: try r.string("data"))
        case "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
            "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "mcp_tool_use",
            "mcp_tool_result", "container_upload", "search_result", "tool_search_tool_result",
            "tool_reference":
            return .unsupported(type: type)
        default:
            throw .invalid(
                "\(r.path("type")): Input tag '\(type)' found using 'type' does not match any of the expected tags: "
                    + "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'")
        }
    }

    static func parseSource(_ block: JSONFieldReader, allowText: Bool) throws(APIError) -> MediaSource {
        let s = try block.object("source")
        let type = try s.string("type")
        switch type {
        case "base64":
            return .base64(mediaType: try s.string("media_type"), data: try s.string("data"))
        case "url":
            return .url(try s.string("url"))
        case "file":
            return .file(id: try s.string("file_id"))
        case "text" where allowText:
            return .text(mediaType: try s.optionalString("media_type") ?? "text/plain", data: try s.string("data"))
        case "content" where allowText:
            let blocks = try parseContent(s, key: "content")
            var texts: [String] = []
            for b in blocks {
                guard case .text(let t, _) = b else {
                    throw .invalid("\(s.path("content")): only text blocks are supported in a content document")
                }
                texts.append(t.string)
            }
            return .content(texts)
        default:
            let expected = allowText ? "'base64', 'url', 'text', 'content' or 'file'" : "'base64', 'url' or 'file'"
            throw .invalid("\(s.path("type")): Input should be \(expected)")
        }
    }

    static func parseTool(_ value: JSONValue, path: String) throws(APIError) -> Tool {
        let r = try JSONFieldReader(value, path: path)
        let type = try r.optionalString("type")
        let name = try r.string("name")
        if type == nil || type == "custom" {
            let schema = try r.required("input_schema")
            guard case .object = schema else { throw r.typeError("input_schema", "a valid dictionary") }
            return Tool(
                type: type, name: name, description: try r.optionalText("description"), inputSchema: schema,
                strict: try r.optionalBool("strict"), cacheControl: try CacheControl.parse(r))
        }
        return Tool(type: type, name: name, inputSchema: nil, cacheControl: try CacheControl.parse(r))
    }

    static func parseToolChoice(_ r: JSONFieldReader) throws(APIError) -> (ToolChoice?, Bool?) {
        guard let tc = try r.optionalObject("tool_choice") else { return (nil, nil) }
        let disable = try tc.optionalBool("disable_parallel_tool_use")
        switch try tc.string("type") {
        case "auto": return (.auto, disable)
        case "any": return (.any, disable)
        case "none": return (ToolChoice.none, disable)
        case "tool": return (.tool(name: try tc.string("name")), disable)
        default: throw .invalid("\(tc.path("type")): Input should be 'auto', 'any', 'tool' or 'none'")
        }
    }

    static func parseThinking(_ r: JSONFieldReader) throws(APIError) -> ThinkingConfig? {
        guard let t = try r.optionalObject("thinking") else { return nil }
        let display = try t.optionalString("display")
        switch try t.string("type") {
        case "enabled":
            let budget = try t.int("budget_tokens")
            guard budget >= 1024 else {
                throw .invalid("\(t.path("budget_tokens")): Input should be greater than or equal to 1024")
            }
            return .enabled(budgetTokens: budget, display: display)
        case "adaptive": return .adaptive(display: display)
        case "disabled": return .disabled
        default: throw .invalid("\(t.path("type")): Input should be 'enabled', 'adaptive' or 'disabled'")
        }
    }
}
