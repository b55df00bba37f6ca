import AnthropicAPI
import BedrockAPI
import NexusJSON

/// Options of the request translation that are not part of a model's profile.
public struct TranslationOptions: Sendable, Hashable {
    /// Drop server tools (web search, code execution…) with a warning instead of answering 400.
    public var dropUnsupportedServerTools: Bool

    public init(dropUnsupportedServerTools: Bool = false) {
        self.dropUnsupportedServerTools = dropUnsupportedServerTools
    }
}

/// A Converse request ready to send, plus what the response translation needs to know.
public struct TranslatedRequest: Sendable, Hashable {
    public var converse: ConverseRequest
    public var profile: ModelProfile
    /// Betas forwarded in `additionalModelRequestFields.anthropic_beta`.
    public var forwardedBetas: [String]
    /// Betas that were dropped by the model's allowlist.
    public var droppedBetas: [String]
    /// Tool names that had to be rewritten for Converse's `[a-zA-Z0-9_-]{1,64}`: Converse name →
    /// the client's name, applied to `tool_use` blocks of the answer.
    public var toolNameMap: [String: String]
    /// Things that were dropped or converted, for the debug log.
    public var notes: [String]
}

/// Translates an Anthropic Messages request into a Converse request.
///
/// Pure: values in, values out. It applies every rule Bedrock enforces that Anthropic clients
/// routinely break (see `docs/translation.md`), so upstream sees a valid request or the client
/// gets a precise 400 from us.
public struct RequestTranslator: Sendable {
    public var options: TranslationOptions

    public init(options: TranslationOptions = TranslationOptions()) {
        self.options = options
    }

    /// - Parameters:
    ///   - request: the parsed client request (URL media already resolved to base64).
    ///   - profile: the upstream model's profile.
    ///   - betas: the `anthropic-beta` flags the client sent (header split on commas).
    public func translate(
        _ request: MessagesRequest, profile: ModelProfile, betas: [String] = []
    ) throws(APIError) -> TranslatedRequest {
        var state = State(profile: profile, options: options)
        var converse = ConverseRequest()

        // Tools first: names may need rewriting, and the history refers to them.
        try state.translateTools(request)
        converse.system = state.translateSystem(request.system)
        converse.messages = try state.translateMessages(request.messages)

        converse.maxTokens = request.maxTokens
        converse.temperature = request.temperature
        converse.topP = request.topP
        converse.stopSequences = request.stopSequences.filter { !$0.isEmpty }
        if !converse.stopSequences.isEmpty { converse.additionalModelResponseFieldPaths = ["/stop_sequence"] }

        // Tool configuration: mandatory whenever the history holds tool blocks.
        let forcedTool: Bool
        switch request.toolChoice {
        case .none?:
            converse.tools = state.historyHasToolBlocks ? state.tools : []
            converse.toolChoice = nil
            forcedTool = false
        case .any?:
            converse.tools = state.tools
            converse.toolChoice = state.tools.isEmpty ? nil : .any
            forcedTool = true
        case .tool(let name)?:
            converse.tools = state.tools
            converse.toolChoice = .tool(state.converseToolName(name))
            forcedTool = true
        case .auto?, nil:
            converse.tools = state.tools
            converse.toolChoice = request.toolChoice == nil || state.tools.isEmpty ? nil : .auto
            forcedTool = false
        }
        if converse.tools.isEmpty, state.historyHasToolBlocks {
            converse.tools = state.toolsRebuiltFromHistory()
            state.notes.append("rebuilt toolConfig from the tool blocks in the history")
        }
        if converse.tools.allSatisfy({ if case .cachePoint = $0 { true } else { false } }) { converse.tools = [] }

        var fields = JSONObject()
        if let topK = request.topK { fields.append("top_k", .int(topK)) }
        try state.translateThinking(request, forcedTool: forcedTool, into: &fields)
        state.translateOutputConfig(request, into: &fields, converse: &converse)

        let (forwarded, dropped) = Self.filterBetas(betas, profile: profile)
        if let cm = request.contextManagement {
            if profile.supportsContextManagement, forwarded.contains("context-management-2025-06-27") {
                fields.append("context_management", cm)
            } else {
                state.notes.append("dropped context_management (model or beta not enabled)")
            }
        }
        if !forwarded.isEmpty { fields.append("anthropic_beta", .array(forwarded.map(JSONValue.string))) }
        try state.checkUnsupportedFields(request.raw)
        converse.additionalModelRequestFields = fields

        state.clampCachePoints(&converse)

        return TranslatedRequest(
            converse: converse, profile: profile, forwardedBetas: forwarded, droppedBetas: dropped,
            toolNameMap: state.reverseToolNames, notes: state.notes)
    }

    /// Splits the client's betas into those the model accepts (renamed to Bedrock's names) and
    /// the rest. Order is kept; duplicates are removed.
    public static func filterBetas(_ betas: [String], profile: ModelProfile) -> (forwarded: [String], dropped: [String]) {
        var forwarded: [String] = []
        var dropped: [String] = []
        for raw in betas {
            let beta = raw.trimmingWhitespace
            if beta.isEmpty { continue }
            let name = ModelProfile.betaRenames[beta] ?? beta
            if profile.allowedBetas.contains(name) {
                if !forwarded.contains(name) { forwarded.append(name) }
            } else {
                dropped.append(beta)
            }
        }
        return (forwarded, dropped)
    }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    var isBlank: Bool { allSatisfy(\.isWhitespace) }
}

/// The mutable work of one translation.
struct State {
    let profile: ModelProfile
    let options: TranslationOptions
    var tools: [ConverseTool] = []
    /// Client tool name → Converse tool name, only for names that had to change.
    var toolNames: [String: String] = [:]
    var reverseToolNames: [String: String] = [:]
    var historyToolNames: [String] = []
    var historyHasToolBlocks = false
    var notes: [String] = []
    var imageCount = 0
    var documentNames: Set<String> = []
    /// Client tool names already valid upstream: kept as they are, so no rewritten name may take one.
    var reservedToolNames: Set<String> = []

    init(profile: ModelProfile, options: TranslationOptions) {
        self.profile = profile
        self.options = options
    }

    // MARK: Tools

    mutating func translateTools(_ request: MessagesRequest) throws(APIError) {
        var names = request.tools.map(\.name)
        for message in request.messages {
            for case .toolUse(_, let name, _, _) in message.content { names.append(name) }
        }
        if case .tool(let name)? = request.toolChoice { names.append(name) }
        reservedToolNames = Set(names.filter(Self.isValidToolName))
        for (i, tool) in request.tools.enumerated() {
            guard tool.isCustom, let schema = tool.inputSchema else {
                let type = tool.type ?? "?"
                if options.dropUnsupportedServerTools {
                    notes.append("dropped server tool \(tool.name) (\(type))")
                    continue
                }
                throw .invalid(
                    "tools.\(i): the server tool '\(tool.name)' (\(type)) is not supported by AI Nexus (Bedrock Converse). "
                        + "Remove it, or start the gateway with --drop-unsupported-tools to drop it silently.")
            }
            tools.append(
                .spec(name: converseToolName(tool.name), description: tool.description, inputSchema: schema, strict: nil))
            if let cc = tool.cacheControl { tools.append(.cachePoint(ttl: cc.ttl)) }
        }
    }

    /// The Converse-valid name for a client tool name (`[a-zA-Z0-9_-]{1,64}`), remembered so the
    /// answer's `tool_use` blocks carry the client's name again.
    mutating func converseToolName(_ name: String) -> String {
        if let mapped = toolNames[name] { return mapped }
        if Self.isValidToolName(name) { return name }
        var sanitized = String(String.UnicodeScalarView(name.unicodeScalars.map { Self.isToolNameScalar($0) ? $0 : "_" }))
        if sanitized.isEmpty { sanitized = "tool" }
        if sanitized.utf8.count > 64 { sanitized = String(sanitized.prefix(55)) + "_" + Self.shortHash(name) }
        var candidate = sanitized
        var n = 2
        while reverseToolNames[candidate] != nil || reservedToolNames.contains(candidate) {
            candidate = String(sanitized.prefix(60)) + "_\(n)"
            n += 1
        }
        toolNames[name] = candidate
        reverseToolNames[candidate] = name
        return candidate
    }

    static func isValidToolName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy(isToolNameByte)
    }

    static func isToolNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    static func isToolNameScalar(_ s: Unicode.Scalar) -> Bool { s.isASCII && isToolNameByte(UInt8(s.value)) }

    static func shortHash(_ s: String) -> String {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return String(h, radix: 16)
    }

    /// Converse `toolUseId` must match `[a-zA-Z0-9_.:-]{1,64}`; Anthropic ids (`toolu_…`) do. Others
    /// are rewritten the same way in `tool_use` and `tool_result`, so pairs still match.
    static func converseToolUseID(_ id: String) -> String {
        let ok: (UInt8) -> Bool = { isToolNameByte($0) || $0 == 0x2E || $0 == 0x3A }
        if !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy(ok) { return id }
        var s = String(decoding: id.utf8.map { ok($0) ? $0 : 0x5F }, as: UTF8.self)
        if s.isEmpty { s = "toolu_empty" }
        if s.utf8.count > 64 { s = String(s.prefix(55)) + "_" + shortHash(id) }
        return s
    }

    func toolsRebuiltFromHistory() -> [ConverseTool] {
        historyToolNames.map {
            .spec(
                name: $0, description: "Tool used earlier in this conversation.",
                inputSchema: ["type": "object"], strict: nil)
        }
    }

    // MARK: System

    func translateSystem(_ system: [SystemBlock]) -> [ConverseSystemBlock] {
        var result: [ConverseSystemBlock] = []
        for block in system {
            if !block.text.isBlank { result.append(.text(block.text)) }
            if let cc = block.cacheControl, let last = result.last, case .text = last {
                result.append(.cachePoint(ttl: cc.ttl))
            }
        }
        return result
    }

    // MARK: Messages

    mutating func translateMessages(_ messages: [Message]) throws(APIError) -> [ConverseMessage] {
        if messages.isEmpty { throw .invalid("messages: at least one message is required") }
        var result: [ConverseMessage] = []
        result.reserveCapacity(messages.count)
        for (i, message) in messages.enumerated() {
            // `system` turns are folded into the neighbouring user turn, in place: the top-level
            // system prompt stays byte-identical and the cached prefix survives.
            let role = message.role == .assistant ? "assistant" : "user"
            var blocks: [ConverseBlock] = []
            blocks.reserveCapacity(message.content.count + 1)
            for (j, block) in message.content.enumerated() {
                try translateBlock(block, role: role, path: "messages.\(i).content.\(j)", into: &blocks)
            }
            if blocks.contains(where: { if case .document = $0 { true } else { false } }),
                !blocks.contains(where: { if case .text = $0 { true } else { false } })
            {
                // Bedrock wants a text block beside every document.
                blocks.append(.text("See the attached document."))
            }
            while let first = blocks.first, first.isCachePoint { blocks.removeFirst() }
            if blocks.isEmpty { continue }
            if let last = result.last, last.role == role {
                result[result.count - 1].content.append(contentsOf: blocks)
            } else {
                result.append(ConverseMessage(role: role, content: blocks))
            }
        }
        guard let first = result.first else {
            throw .invalid("messages: every message is empty (blank text is not allowed upstream)")
        }
        guard first.role == "user" else {
            throw .invalid("messages: A conversation must start with a user message.")
        }
        for i in result.indices where result[i].role == "user" {
            result[i].content = Self.toolResultsFirst(result[i].content)
        }
        // A final assistant turn is a prefill: upstream refuses trailing whitespace there.
        if result[result.count - 1].role == "assistant" {
            trimPrefill(&result[result.count - 1])
            if result[result.count - 1].content.isEmpty { result.removeLast() }
        }
        return result
    }

    /// Claude wants a user turn's toolResult blocks before anything else; a merged turn (a folded
    /// `system` message between a toolUse turn and its results) would put text first. Moves the
    /// results, each with its cache point, to the front and keeps the rest in order.
    static func toolResultsFirst(_ content: [ConverseBlock]) -> [ConverseBlock] {
        func isResult(_ block: ConverseBlock) -> Bool { if case .toolResult = block { true } else { false } }
        guard let other = content.firstIndex(where: { !isResult($0) && !$0.isCachePoint }),
            content[other...].contains(where: isResult)
        else { return content }
        var results: [ConverseBlock] = []
        var others: [ConverseBlock] = []
        var afterResult = false
        for block in content {
            if isResult(block) || (afterResult && block.isCachePoint) {
                results.append(block)
                afterResult = true
            } else {
                others.append(block)
                afterResult = false
            }
        }
        return results + others
    }

    func trimPrefill(_ message: inout ConverseMessage) {
        while let index = message.content.lastIndex(where: { !$0.isCachePoint }) {
            guard case .text(let text) = message.content[index] else { return }
            var trimmed = Substring(text.string)
            while let l = trimmed.last, l.isWhitespace { trimmed = trimmed.dropLast() }
            if trimmed.isEmpty {
                message.content.remove(at: index)
            } else {
                message.content[index] = .text(String(trimmed))
                return
            }
        }
    }

    mutating func translateBlock(
        _ block: ContentBlock, role: String, path: String, into blocks: inout [ConverseBlock]
    ) throws(APIError) {
        switch block {
        case .text(let text, _):
            if !text.isBlank { blocks.append(.text(text)) }
        case .image(let source, _):
            guard role == "user" else { throw .invalid("\(path): images are only allowed in user messages upstream") }
            let (format, bytes) = try image(source, path: path)
            blocks.append(.image(format: format, bytes: bytes))
        case .document(let document):
            guard role == "user" else { throw .invalid("\(path): documents are only allowed in user messages upstream") }
            blocks.append(.document(try self.document(document, path: path)))
        case .toolUse(let id, let name, let input, _):
            guard role == "assistant" else { throw .invalid("\(path): tool_use blocks belong to assistant messages") }
            historyHasToolBlocks = true
            let converseName = converseToolName(name)
            if !historyToolNames.contains(converseName) { historyToolNames.append(converseName) }
            blocks.append(.toolUse(id: Self.converseToolUseID(id), name: converseName, input: input))
        case .toolResult(let result):
            guard role == "user" else { throw .invalid("\(path): tool_result blocks belong to user messages") }
            historyHasToolBlocks = true
            var content: [ConverseBlock.ToolResultContent] = []
            for (k, item) in result.content.enumerated() {
                let itemPath = "\(path).content.\(k)"
                switch item {
                case .text(let t, _):
                    if !t.isBlank { content.append(.text(t)) }
                case .image(let source, _):
                    let (format, bytes) = try image(source, path: itemPath)
                    content.append(.image(format: format, bytes: bytes))
                case .document(let d):
                    content.append(.document(try document(d, path: itemPath)))
                default:
                    throw .invalid("\(itemPath): tool_result content may hold text, image and document blocks only")
                }
            }
            if content.isEmpty {
                // Bedrock refuses an empty tool result (and a blank one when status is error).
                content.append(.text(result.isError ? "Error (no details)" : "(no output)"))
            }
            blocks.append(.toolResult(id: Self.converseToolUseID(result.toolUseID), content: content, isError: result.isError))
        case .thinking(let thinking, let signature):
            guard role == "assistant" else { throw .invalid("\(path): thinking blocks belong to assistant messages") }
            blocks.append(.reasoningText(text: thinking, signature: signature))
        case .redactedThinking(let data):
            guard role == "assistant" else { throw .invalid("\(path): redacted_thinking blocks belong to assistant messages") }
            blocks.append(.redactedContent(data))
        case .unsupported(let type):
            throw .invalid("\(path): '\(type)' blocks are not supported by AI Nexus (Bedrock Converse)")
        }
        if let cc = block.cacheControl, let last = blocks.last, !last.isCachePoint {
            blocks.append(.cachePoint(ttl: cc.ttl))
        }
    }

    static let imageFormats = ["image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"]

    /// Bedrock's limit on one image, in decoded bytes.
    static let maxImageBytes = 3_932_160
    static let maxDocumentBytes = 4_718_592

    mutating func image(_ source: MediaSource, path: String) throws(APIError) -> (String, String) {
        imageCount += 1
        if imageCount > 20 { throw .invalid("\(path): too many images: at most 20 per request upstream") }
        switch source {
        case .base64(let mediaType, let data):
            guard let format = Self.imageFormats[mediaType.lowercased()] else {
                throw .invalid(
                    "\(path).source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")
            }
            if Self.decodedLength(data) > Self.maxImageBytes {
                throw .invalid("\(path): image exceeds 3.75 MB, the upstream limit")
            }
            return (format, data)
        case .url:
            throw .invalid("\(path).source: URL images could not be fetched")
        case .file:
            throw .invalid("\(path).source: file sources (Files API) are not supported by AI Nexus")
        case .text, .content:
            throw .invalid("\(path).source: not a valid image source")
        }
    }

    static let documentFormats = [
        "application/pdf": "pdf", "text/plain": "txt", "text/csv": "csv", "text/html": "html", "text/markdown": "md",
        "application/msword": "doc",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
        "application/vnd.ms-excel": "xls",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    ]

    mutating func document(_ document: ContentBlock.Document, path: String) throws(APIError) -> ConverseBlock.Document {
        let format: String
        let source: ConverseBlock.Document.Source
        switch document.source {
        case .base64(let mediaType, let data):
            guard let f = Self.documentFormats[mediaType.lowercased()] else {
                throw .invalid("\(path).source.media_type: unsupported document type '\(mediaType)'")
            }
            if Self.decodedLength(data) > Self.maxDocumentBytes {
                throw .invalid("\(path): document exceeds 4.5 MB, the upstream limit")
            }
            format = f
            source = .bytes(data)
        case .text(let mediaType, let data):
            format = Self.documentFormats[mediaType.lowercased()] ?? "txt"
            source = .text(data)
        case .content(let texts):
            format = "txt"
            source = .content(texts.filter { !$0.isBlank })
        case .url:
            throw .invalid("\(path).source: URL documents could not be fetched")
        case .file:
            throw .invalid("\(path).source: file sources (Files API) are not supported by AI Nexus")
        }
        if documentNames.count >= 5 { throw .invalid("\(path): too many documents: at most 5 per request upstream") }
        let name = uniqueDocumentName(document.title)
        return ConverseBlock.Document(
            format: format, name: name, source: source, context: document.context, citations: document.citations)
    }

    /// Bedrock accepts letters, digits, single spaces, hyphens, parentheses and square brackets
    /// (underscores observed to pass), at most 200 characters, unique within a request.
    mutating func uniqueDocumentName(_ title: String?) -> String {
        var cleaned = ""
        var lastWasSpace = false
        for scalar in (title ?? "").unicodeScalars {
            let c = Character(scalar)
            let allowed = (scalar.isASCII && (c.isLetter || c.isNumber)) || "-()[]_".contains(c)
            if allowed {
                cleaned.unicodeScalars.append(scalar)
                lastWasSpace = false
            } else if !lastWasSpace, !cleaned.isEmpty {
                cleaned.append(" ")
                lastWasSpace = true
            }
        }
        cleaned = String(cleaned.prefix(190)).trimmingWhitespace
        if cleaned.isEmpty { cleaned = "document" }
        var name = cleaned
        var n = 2
        while documentNames.contains(name) { name = "\(cleaned) (\(n))"; n += 1 }
        documentNames.insert(name)
        return name
    }

    static func decodedLength(_ base64: String) -> Int { base64.utf8.count / 4 * 3 }

    // MARK: Thinking and output config

    mutating func translateThinking(
        _ request: MessagesRequest, forcedTool: Bool, into fields: inout JSONObject
    ) throws(APIError) {
        guard var thinking = request.thinking else { return }
        if case .disabled = thinking { return }
        if forcedTool {
            throw .invalid("Thinking may not be enabled when tool_choice forces tool use.")
        }
        if let t = request.temperature, t != 1 {
            throw .invalid("`temperature` may only be set to 1 when thinking is enabled.")
        }
        if request.topK != nil {
            throw .invalid("`top_k` must be unset when thinking is enabled.")
        }
        let maxTokens = request.maxTokens ?? profile.maxOutputTokens
        if !profile.supportsThinkingDisplay {
            switch thinking {
            case .enabled(let budget, let display?):
                notes.append("dropped thinking.display=\(display)")
                thinking = .enabled(budgetTokens: budget, display: nil)
            case .adaptive(let display?):
                notes.append("dropped thinking.display=\(display)")
                thinking = .adaptive(display: nil)
            default:
                break
            }
        }
        switch (thinking, profile.thinking) {
        case (.enabled(let budget, let display), .enabledAndAdaptive), (.enabled(let budget, let display), .enabledOnly):
            guard maxTokens > budget else {
                throw .invalid("`max_tokens` must be greater than `thinking.budget_tokens`.")
            }
            fields.append("thinking", Self.thinkingJSON("enabled", budget: budget, display: display))
        case (.enabled(_, let display), .adaptiveOnly):
            notes.append("converted thinking.enabled to adaptive (\(profile.nexusID) accepts adaptive only)")
            fields.append("thinking", Self.thinkingJSON("adaptive", budget: nil, display: display))
        case (.adaptive(let display), .enabledAndAdaptive), (.adaptive(let display), .adaptiveOnly):
            fields.append("thinking", Self.thinkingJSON("adaptive", budget: nil, display: display))
        case (.adaptive(let display), .enabledOnly):
            // Give the model a budget in proportion to the answer it may write.
            let budget = min(max(1024, maxTokens / 2), maxTokens - 1)
            if budget >= 1024 {
                notes.append("converted thinking.adaptive to enabled with budget \(budget) (\(profile.nexusID))")
                fields.append("thinking", Self.thinkingJSON("enabled", budget: budget, display: display))
            } else {
                notes.append("dropped adaptive thinking: max_tokens too small for a thinking budget")
            }
        case (_, .none):
            notes.append("dropped thinking: \(profile.nexusID) has no extended thinking")
        case (.disabled, _):
            break
        }
    }

    static func thinkingJSON(_ type: String, budget: Int?, display: String?) -> JSONValue {
        var o = JSONObject(minimumCapacity: 3)
        o.append("type", .string(type))
        if let budget { o.append("budget_tokens", .int(budget)) }
        if let display { o.append("display", .string(display)) }
        return .object(o)
    }

    mutating func translateOutputConfig(
        _ request: MessagesRequest, into fields: inout JSONObject, converse: inout ConverseRequest
    ) {
        guard let config = request.outputConfig else { return }
        var forwarded = JSONObject()
        for (key, value) in config {
            switch key {
            case "effort":
                if profile.supportsEffort { forwarded.append(key, value) } else {
                    notes.append("dropped output_config.effort (\(profile.nexusID) has no effort control)")
                }
            case "format":
                // Structured outputs travel as Anthropic-native JSON too.
                forwarded.append(key, value)
            default:
                notes.append("dropped output_config.\(key)")
            }
        }
        if !forwarded.isEmpty { fields.append("output_config", .object(forwarded)) }
    }

    /// Fields with no upstream equivalent that would change the answer if ignored.
    mutating func checkUnsupportedFields(_ raw: JSONObject) throws(APIError) {
        if let servers = raw["mcp_servers"]?.arrayValue, !servers.isEmpty {
            throw .invalid("mcp_servers: the MCP connector is not supported by AI Nexus; run MCP servers in the client")
        }
        if let container = raw["container"], !container.isNull {
            throw .invalid("container: code execution containers are not supported by AI Nexus")
        }
        for key in ["metadata", "service_tier", "inference_geo"] where raw[key] != nil {
            notes.append("dropped \(key)")
        }
    }

    // MARK: Cache points

    /// At most 4 cache points upstream, keeping the latest (they cover the longest prefix); TTLs
    /// must not increase from tools → system → messages, so a later 1h after a 5m becomes 5m.
    mutating func clampCachePoints(_ converse: inout ConverseRequest) {
        var total = converse.tools.count(where: { if case .cachePoint = $0 { true } else { false } })
        total += converse.system.count(where: { if case .cachePoint = $0 { true } else { false } })
        for m in converse.messages { total += m.content.count(where: \.isCachePoint) }
        var excess = max(0, total - 4)
        if excess > 0 { notes.append("dropped \(excess) cache_control breakpoints over the limit of 4") }
        var shortestSoFar: String? = nil  // nil: no point yet; "5m" once a 5-minute point was seen
        func admit(_ ttl: String?) -> String?? {
            if excess > 0 {
                excess -= 1
                return .none
            }
            let effective = ttl ?? "5m"
            if shortestSoFar == "5m", effective == "1h" { return .some(nil) }
            if effective == "5m" { shortestSoFar = "5m" }
            if shortestSoFar == nil { shortestSoFar = effective }
            return .some(ttl)
        }
        converse.tools = converse.tools.compactMap { tool in
            guard case .cachePoint(let ttl) = tool else { return tool }
            return admit(ttl).map { .cachePoint(ttl: $0) }
        }
        converse.system = converse.system.compactMap { block in
            guard case .cachePoint(let ttl) = block else { return block }
            return admit(ttl).map { .cachePoint(ttl: $0) }
        }
        for i in converse.messages.indices {
            converse.messages[i].content = converse.messages[i].content.compactMap { block in
                guard case .cachePoint(let ttl) = block else { return block }
                return admit(ttl).map { .cachePoint(ttl: $0) }
            }
        }
    }

}
