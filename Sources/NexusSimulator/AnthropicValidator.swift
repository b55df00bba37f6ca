import NexusJSON

/// Strict validation of Messages and count_tokens bodies, with the Anthropic API's wording
/// (pydantic-style `path: message`, paths 0-based and dotted). The first failure is the answer;
/// an unknown model is a 404 found after the top-level members are checked.
struct AnthropicValidator {
    var options: SimulatorOptions
    /// `/v1/messages/count_tokens`: no `max_tokens`, `stream`, sampling or `metadata`.
    var countTokens: Bool

    /// Top-level members of a Messages body.
    static let messageFields: Set<String> = [
        "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream", "temperature", "top_k",
        "top_p", "tools", "tool_choice", "thinking", "service_tier", "container", "mcp_servers", "context_management",
        "output_config", "output_format", "inference_geo",
    ]
    /// Top-level members of a count_tokens body.
    static let countTokensFields: Set<String> = [
        "model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers", "context_management",
        "output_config", "output_format",
    ]
    /// Content block types, with their members (nil: not checked member by member).
    static let blockFields: [String: Set<String>?] = [
        "text": ["type", "text", "cache_control", "citations"],
        "image": ["type", "source", "cache_control"],
        "document": ["type", "source", "title", "context", "citations", "cache_control"],
        "search_result": ["type", "source", "title", "content", "citations", "cache_control"],
        "tool_use": ["type", "id", "name", "input", "cache_control", "caller"],
        "tool_result": ["type", "tool_use_id", "content", "is_error", "cache_control"],
        "thinking": ["type", "thinking", "signature"],
        "redacted_thinking": ["type", "data"],
        "server_tool_use": nil, "web_search_tool_result": nil, "web_fetch_tool_result": nil,
        "code_execution_tool_result": nil, "bash_code_execution_tool_result": nil,
        "text_editor_code_execution_tool_result": nil, "tool_search_tool_result": nil, "mcp_tool_use": nil,
        "mcp_tool_result": nil, "container_upload": nil, "tool_reference": nil,
    ]
    /// The expected tags in the order the API lists them.
    static let blockTags = [
        "text", "image", "document", "search_result", "thinking", "redacted_thinking", "tool_use", "tool_result",
        "server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
        "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "tool_search_tool_result",
        "mcp_tool_use", "mcp_tool_result", "container_upload",
    ]
    static let required: [String: [String]] = [
        "text": ["text"], "image": ["source"], "document": ["source"], "search_result": ["source", "title", "content"],
        "tool_use": ["id", "name", "input"], "tool_result": ["tool_use_id"], "thinking": ["thinking", "signature"],
        "redacted_thinking": ["data"],
    ]

    /// The first failure of `body`, or nil.
    func check(_ body: JSONValue) -> AnthropicError? {
        guard let object = body.objectValue else {
            return .invalid("Input should be a valid dictionary or object to extract fields from")
        }
        let allowed = countTokens ? Self.countTokensFields : Self.messageFields
        for key in object.keys where !allowed.contains(key) {
            return .invalid("\(key): Extra inputs are not permitted")
        }
        guard let modelValue = body["model"] else { return .invalid("model: Field required") }
        guard let model = modelValue.stringValue else { return .invalid("model: Input should be a valid string") }
        guard let messages = body["messages"] else { return .invalid("messages: Field required") }
        var maxTokens: Int?
        if !countTokens {
            guard let value = body["max_tokens"] else { return .invalid("max_tokens: Field required") }
            guard let tokens = value.intValue else { return .invalid("max_tokens: Input should be a valid integer") }
            guard tokens >= 1 else { return .invalid("max_tokens: Input should be greater than or equal to 1") }
            maxTokens = tokens
        }
        guard options.anthropicModels.contains(model) else { return .unknownModel(model) }
        if let maxTokens, let limit = options.anthropicMaxOutputTokens[model], maxTokens > limit {
            return .invalid(
                "max_tokens: \(maxTokens) > \(limit), which is the maximum allowed number of output tokens for \(model)"
            )
        }
        if let error = checkScalars(body) { return error }
        if body["temperature"] != nil, body["top_p"] != nil, !options.anthropicTopPWithTemperatureModels.contains(model)
        {
            return .invalid("`temperature` and `top_p` cannot both be specified for this model. Please use only one.")
        }
        if let error = checkSystem(body["system"]) { return error }
        if let error = checkTools(body["tools"], choice: body["tool_choice"]) { return error }
        guard let list = messages.arrayValue else { return .invalid("messages: Input should be a valid list") }
        for (i, message) in list.enumerated() {
            if let error = checkMessage(message, at: "messages.\(i)") { return error }
        }
        if let error = checkThinking(body, maxTokens: maxTokens, model: model) { return error }
        return AnthropicConversationRules(body: body).check()
    }

    // MARK: Scalars

    private func checkScalars(_ body: JSONValue) -> AnthropicError? {
        for key in ["temperature", "top_p"] {
            guard let value = body[key] else { continue }
            guard let number = value.doubleValue else { return .invalid("\(key): Input should be a valid number") }
            if number < 0 { return .invalid("\(key): Input should be greater than or equal to 0") }
            if number > 1 { return .invalid("\(key): Input should be less than or equal to 1") }
        }
        if let value = body["top_k"] {
            guard let number = value.intValue else { return .invalid("top_k: Input should be a valid integer") }
            if number < 0 { return .invalid("top_k: Input should be greater than or equal to 0") }
        }
        if let value = body["stream"], value.boolValue == nil {
            return .invalid("stream: Input should be a valid boolean")
        }
        if let value = body["stop_sequences"] {
            guard let list = value.arrayValue else { return .invalid("stop_sequences: Input should be a valid list") }
            for (i, item) in list.enumerated() where item.stringValue == nil {
                return .invalid("stop_sequences.\(i): Input should be a valid string")
            }
        }
        if let value = body["metadata"] {
            guard let metadata = value.objectValue else {
                return .invalid("metadata: Input should be a valid dictionary or object to extract fields from")
            }
            for key in metadata.keys where key != "user_id" {
                return .invalid("metadata.\(key): Extra inputs are not permitted")
            }
            if let user = value["user_id"], !user.isNull, user.stringValue == nil {
                return .invalid("metadata.user_id: Input should be a valid string")
            }
        }
        if let value = body["service_tier"], !["auto", "standard_only"].contains(value.stringValue ?? "") {
            return .invalid("service_tier: Input should be 'auto' or 'standard_only'")
        }
        return nil
    }

    // MARK: System and tools

    private func checkSystem(_ system: JSONValue?) -> AnthropicError? {
        guard let system, system.stringValue == nil else { return nil }
        guard let blocks = system.arrayValue else { return .invalid("system: Input should be a valid list") }
        for (i, block) in blocks.enumerated() {
            guard block["type"]?.stringValue == "text" else {
                return .invalid("system.\(i).type: Input should be 'text'")
            }
            if let error = checkBlock(block, at: "system.\(i)") { return error }
        }
        return nil
    }

    private func checkTools(_ tools: JSONValue?, choice: JSONValue?) -> AnthropicError? {
        var names: Set<String> = []
        if let tools {
            guard let list = tools.arrayValue else { return .invalid("tools: Input should be a valid list") }
            for (i, tool) in list.enumerated() {
                guard let object = tool.objectValue else {
                    return .invalid("tools.\(i): Input should be a valid dictionary or object to extract fields from")
                }
                let type = tool["type"]?.stringValue ?? "custom"
                if type == "custom" {
                    let allowed: Set<String> = [
                        "type", "name", "description", "input_schema", "cache_control", "strict", "input_examples",
                        "defer_loading", "allowed_callers", "eager_input_streaming",
                    ]
                    for key in object.keys where !allowed.contains(key) {
                        return .invalid("tools.\(i).custom.\(key): Extra inputs are not permitted")
                    }
                    guard let name = tool["name"]?.stringValue else {
                        return .invalid("tools.\(i).custom.name: Field required")
                    }
                    guard Self.isToolName(name) else {
                        return .invalid("tools.\(i).custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'")
                    }
                    guard let schema = tool["input_schema"] else {
                        return .invalid("tools.\(i).custom.input_schema: Field required")
                    }
                    guard schema.objectValue != nil else {
                        return .invalid(
                            "tools.\(i).custom.input_schema: Input should be a valid dictionary or object to extract fields from"
                        )
                    }
                    if schema["type"]?.stringValue != "object" {
                        return .invalid("tools.\(i).custom.input_schema.type: Input should be 'object'")
                    }
                    if let description = tool["description"], description.stringValue == nil {
                        return .invalid("tools.\(i).custom.description: Input should be a valid string")
                    }
                    if let error = checkCacheControl(tool["cache_control"], at: "tools.\(i).custom.cache_control") {
                        return error
                    }
                    if !names.insert(name).inserted { return .invalid("tools: Tool names must be unique.") }
                } else if let name = tool["name"]?.stringValue {
                    // Server and client-defined Anthropic tools (bash_20250124, web_search_…): not checked further.
                    if !names.insert(name).inserted { return .invalid("tools: Tool names must be unique.") }
                }
            }
        }
        if let choice {
            let type = choice["type"]?.stringValue
            guard let type, ["auto", "any", "tool", "none"].contains(type) else {
                return .invalid(
                    "tool_choice: Input tag '\(type ?? "")' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
                )
            }
            if type == "tool" {
                guard let name = choice["name"]?.stringValue else {
                    return .invalid("tool_choice.tool.name: Field required")
                }
                if tools != nil, !names.contains(name) {
                    return .invalid("Tool '\(name)' not found in provided tools")
                }
            }
        }
        return nil
    }

    static func isToolName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    // MARK: Messages and blocks

    private func checkMessage(_ message: JSONValue, at path: String) -> AnthropicError? {
        guard let object = message.objectValue else {
            return .invalid("\(path): Input should be a valid dictionary or object to extract fields from")
        }
        for key in object.keys where key != "role" && key != "content" {
            return .invalid("\(path).\(key): Extra inputs are not permitted")
        }
        guard let role = message["role"] else { return .invalid("\(path).role: Field required") }
        guard role.stringValue == "user" || role.stringValue == "assistant" else {
            return .invalid("\(path).role: Input should be 'user' or 'assistant'")
        }
        guard let content = message["content"] else { return .invalid("\(path).content: Field required") }
        if content.stringValue != nil { return nil }
        guard let blocks = content.arrayValue else { return .invalid("\(path).content: Input should be a valid list") }
        for (j, block) in blocks.enumerated() {
            if let error = checkBlock(block, at: "\(path).content.\(j)") { return error }
        }
        return nil
    }

    /// One content block: its tag, required and known members, member types.
    func checkBlock(_ block: JSONValue, at path: String, nested: Bool = false) -> AnthropicError? {
        guard let object = block.objectValue else {
            return .invalid("\(path): Input should be a valid dictionary or object to extract fields from")
        }
        guard let type = block["type"]?.stringValue else {
            return .invalid("\(path): Unable to extract tag using discriminator 'type'")
        }
        guard let known = Self.blockFields[type] else {
            let tags = Self.blockTags.map { "'\($0)'" }.joined(separator: ", ")
            return .invalid(
                "\(path): Input tag '\(type)' found using 'type' does not match any of the expected tags: \(tags)")
        }
        let typed = "\(path).\(type)"
        if let known {
            for key in object.keys where !known.contains(key) {
                return .invalid("\(typed).\(key): Extra inputs are not permitted")
            }
        }
        for key in Self.required[type] ?? [] where block[key] == nil {
            return .invalid("\(typed).\(key): Field required")
        }
        switch type {
        case "text":
            if block["text"]?.stringValue == nil { return .invalid("\(typed).text: Input should be a valid string") }
        case "thinking":
            if block["thinking"]?.stringValue == nil {
                return .invalid("\(typed).thinking: Input should be a valid string")
            }
            if block["signature"]?.stringValue == nil {
                return .invalid("\(typed).signature: Input should be a valid string")
            }
        case "redacted_thinking":
            if block["data"]?.stringValue == nil { return .invalid("\(typed).data: Input should be a valid string") }
        case "tool_use":
            guard let id = block["id"]?.stringValue else {
                return .invalid("\(typed).id: Input should be a valid string")
            }
            if !Self.isToolUseID(id) { return .invalid("\(typed).id: String should match pattern '^[a-zA-Z0-9_-]+$'") }
            if block["name"]?.stringValue == nil { return .invalid("\(typed).name: Input should be a valid string") }
            if block["input"]?.objectValue == nil {
                return .invalid("\(typed).input: Input should be a valid dictionary")
            }
        case "tool_result":
            guard let id = block["tool_use_id"]?.stringValue else {
                return .invalid("\(typed).tool_use_id: Input should be a valid string")
            }
            if !Self.isToolUseID(id) {
                return .invalid("\(typed).tool_use_id: String should match pattern '^[a-zA-Z0-9_-]+$'")
            }
            if let flag = block["is_error"], flag.boolValue == nil {
                return .invalid("\(typed).is_error: Input should be a valid boolean")
            }
            if let content = block["content"], content.stringValue == nil {
                guard let items = content.arrayValue else {
                    return .invalid("\(typed).content: Input should be a valid list")
                }
                for (k, item) in items.enumerated() {
                    let itemType = item["type"]?.stringValue ?? ""
                    guard ["text", "image", "document", "search_result", "tool_reference"].contains(itemType) else {
                        return .invalid(
                            "\(typed).content.\(k): Input tag '\(itemType)' found using 'type' does not match any of the expected tags: 'text', 'image', 'search_result', 'document', 'tool_reference'"
                        )
                    }
                    if let error = checkBlock(item, at: "\(typed).content.\(k)", nested: true) { return error }
                }
            }
        case "image":
            if let error = checkImageSource(block["source"], at: "\(typed).source") { return error }
        default:
            break
        }
        return checkCacheControl(block["cache_control"], at: "\(typed).cache_control")
    }

    static let imageMediaTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"]

    private func checkImageSource(_ source: JSONValue?, at path: String) -> AnthropicError? {
        guard let source, source.objectValue != nil else {
            return .invalid("\(path): Input should be a valid dictionary or object to extract fields from")
        }
        switch source["type"]?.stringValue {
        case "base64":
            guard let media = source["media_type"]?.stringValue, Self.imageMediaTypes.contains(media) else {
                return .invalid(
                    "\(path).base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")
            }
            guard let data = source["data"]?.stringValue else { return .invalid("\(path).base64.data: Field required") }
            if Base64.decodedLength(data) > ConversationRules.maxImageBytes {
                return .invalid("\(path).base64: image exceeds 5 MB maximum")
            }
        case "url":
            if source["url"]?.stringValue == nil { return .invalid("\(path).url.url: Field required") }
        case "file":
            if source["file_id"]?.stringValue == nil { return .invalid("\(path).file.file_id: Field required") }
        default:
            return .invalid(
                "\(path): Input tag '\(source["type"]?.stringValue ?? "")' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'"
            )
        }
        return nil
    }

    private func checkCacheControl(_ control: JSONValue?, at path: String) -> AnthropicError? {
        guard let control, !control.isNull else { return nil }
        guard let object = control.objectValue else {
            return .invalid("\(path): Input should be a valid dictionary or object to extract fields from")
        }
        guard control["type"]?.stringValue == "ephemeral" else {
            return .invalid("\(path).type: Input should be 'ephemeral'")
        }
        // `scope` comes with the prompt-caching-scope beta Claude Code sends.
        for key in object.keys where key != "type" && key != "ttl" && key != "scope" {
            return .invalid("\(path).\(key): Extra inputs are not permitted")
        }
        if let ttl = control["ttl"], ttl.stringValue != "5m", ttl.stringValue != "1h" {
            return .invalid("\(path).ttl: Input should be '5m' or '1h'")
        }
        return nil
    }

    static func isToolUseID(_ id: String) -> Bool {
        !id.isEmpty
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    // MARK: Thinking

    private func checkThinking(_ body: JSONValue, maxTokens: Int?, model: String) -> AnthropicError? {
        guard let thinking = body["thinking"] else { return nil }
        guard thinking.objectValue != nil else {
            return .invalid("thinking: Input should be a valid dictionary or object to extract fields from")
        }
        let type = thinking["type"]?.stringValue ?? ""
        switch type {
        case "enabled":
            guard let budgetValue = thinking["budget_tokens"] else {
                return .invalid("thinking.enabled.budget_tokens: Field required")
            }
            guard let budget = budgetValue.intValue else {
                return .invalid("thinking.enabled.budget_tokens: Input should be a valid integer")
            }
            if budget < 1024 {
                return .invalid("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
            }
            if let maxTokens, maxTokens <= budget {
                return .invalid(
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size"
                )
            }
        case "adaptive":
            if !options.anthropicAdaptiveThinkingModels.contains(model) {
                return .invalid("adaptive thinking is not supported on this model")
            }
        case "disabled":
            return nil
        default:
            return .invalid(
                "thinking: Input tag '\(type)' found using 'type' does not match any of the expected tags: 'adaptive', 'disabled', 'enabled'"
            )
        }
        if let temperature = body["temperature"]?.doubleValue, temperature != 1 {
            return .invalid(
                "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
            )
        }
        if body["top_k"] != nil {
            return .invalid(
                "`top_k` may not be set when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility"
            )
        }
        if let choice = body["tool_choice"]?["type"]?.stringValue, choice == "any" || choice == "tool" {
            return .invalid("Thinking may not be enabled when tool_choice forces tool use.")
        }
        return nil
    }
}
