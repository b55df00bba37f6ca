import NexusJSON

/// Rewrites a Messages body into the Converse shape the scenario engine reads
/// (`ConversationView`, `Scenario`, `AnswerBuilder`, `PromptMeter`), so both faces answer the
/// same markers the same way. Tolerant of any JSON (validation may be off).
///
/// - `content` strings become one text block; `tool_result` → `toolResult` (string content →
///   one text item); `tool_use` → `toolUse`; `thinking` → `reasoningContent`, re-signed with the
///   Converse face's signature only when its Anthropic signature is valid (so `sim:bash_seq`
///   counts this face's signed blocks); `redacted_thinking` → `redactedContent`.
/// - Every block, system block or tool with `cache_control` is followed by a `cachePoint` (its
///   `ttl` kept), so prompt caching is simulated as on the Converse face.
/// - `max_tokens`, `stop_sequences` → `inferenceConfig`; `thinking` → `additionalModelRequestFields`.
enum AnthropicBodyAdapter {
    static func converse(_ body: JSONValue) -> JSONValue {
        var out = JSONObject()
        var messages: [JSONValue] = []
        for message in body["messages"]?.arrayValue ?? [] {
            var blocks: [JSONValue] = []
            for block in contentBlocks(message["content"]) { append(block, to: &blocks) }
            messages.append(["role": message["role"] ?? .null, "content": .array(blocks)])
        }
        out.append("messages", .array(messages))
        var system: [JSONValue] = []
        for block in contentBlocks(body["system"]) { append(block, to: &system) }
        if !system.isEmpty { out.append("system", .array(system)) }
        var tools: [JSONValue] = []
        for tool in body["tools"]?.arrayValue ?? [] {
            if let name = tool["name"]?.stringValue {
                var spec = JSONObject()
                spec.append("name", .string(name))
                if let schema = tool["input_schema"] { spec.append("inputSchema", ["json": schema]) }
                if let type = tool["type"], type.stringValue != "custom" { spec.append("type", type) }
                tools.append(["toolSpec": .object(spec)])
            }
            if let point = cachePoint(tool) { tools.append(point) }
        }
        if !tools.isEmpty { out.append("toolConfig", ["tools": .array(tools)]) }
        var inference = JSONObject()
        if let maxTokens = body["max_tokens"] { inference.append("maxTokens", maxTokens) }
        if let stops = body["stop_sequences"] { inference.append("stopSequences", stops) }
        out.append("inferenceConfig", .object(inference))
        if let thinking = body["thinking"] { out.append("additionalModelRequestFields", ["thinking": thinking]) }
        return .object(out)
    }

    /// A `content` or `system` value as blocks: a string is one text block.
    static func contentBlocks(_ content: JSONValue?) -> [JSONValue] {
        if let text = content?.stringValue { return [["type": "text", "text": .string(text)]] }
        return content?.arrayValue ?? []
    }

    private static func append(_ block: JSONValue, to blocks: inout [JSONValue]) {
        if let converted = converse(block: block) { blocks.append(converted) }
        if let point = cachePoint(block) { blocks.append(point) }
    }

    private static func cachePoint(_ element: JSONValue) -> JSONValue? {
        guard let control = element["cache_control"], case .object = control else { return nil }
        var point = JSONObject()
        point.append("type", "default")
        if let ttl = control["ttl"] { point.append("ttl", ttl) }
        return ["cachePoint": .object(point)]
    }

    private static func converse(block: JSONValue) -> JSONValue? {
        switch block["type"]?.stringValue {
        case "text":
            return ["text": block["text"] ?? ""]
        case "tool_use", "server_tool_use":
            return [
                "toolUse": [
                    "toolUseId": block["id"] ?? "", "name": block["name"] ?? "",
                    "input": block["input"] ?? .object([:]),
                ]
            ]
        case "tool_result":
            var items: [JSONValue] = []
            for item in contentBlocks(block["content"]) {
                if let text = item["text"] { items.append(["text": text]) } else { items.append(["json": item]) }
            }
            var result = JSONObject()
            result.append("toolUseId", block["tool_use_id"] ?? "")
            result.append("content", .array(items))
            if block["is_error"]?.boolValue == true { result.append("status", "error") }
            return ["toolResult": .object(result)]
        case "thinking":
            let text = block["thinking"]?.stringValue ?? ""
            let signature = block["signature"]?.stringValue ?? ""
            let resigned =
                AnthropicSignature.isValid(signature, for: text)
                ? ReasoningSignature.sign(text) : "foreign:" + signature
            return [
                "reasoningContent": ["reasoningText": ["text": .string(text), "signature": .string(resigned)]]
            ]
        case "redacted_thinking":
            return ["reasoningContent": ["redactedContent": block["data"] ?? ""]]
        case nil:
            return nil
        default:
            // Images, documents, search results…: kept as they are (they count as prompt bytes).
            return block
        }
    }
}
