import NexusJSON

/// The conversation rules of the Messages API on a body whose shapes are valid, with the API's
/// wording. Consecutive messages of the same role are allowed (the API merges them into one
/// turn) and the first message may be an assistant's; tool pairing is checked on merged turns.
struct AnthropicConversationRules {
    var messages: [JSONValue]
    var system: [JSONValue]
    var tools: [JSONValue]

    static let maxCacheControls = 4

    init(body: JSONValue) {
        messages = body["messages"]?.arrayValue ?? []
        system = body["system"]?.arrayValue ?? []
        tools = body["tools"]?.arrayValue ?? []
    }

    /// One turn: consecutive messages of one role.
    struct Turn {
        var role: String
        /// Indexes in `messages`.
        var indices: [Int]
    }

    func check() -> AnthropicError? {
        if let error = checkContent() { return error }
        if let error = checkToolPairing() { return error }
        if let error = checkCacheControls() { return error }
        if let error = checkFinalAssistant() { return error }
        return checkSignatures()
    }

    func blocks(_ i: Int) -> [JSONValue] { AnthropicBodyAdapter.contentBlocks(messages[i]["content"]) }

    var turns: [Turn] {
        var turns: [Turn] = []
        for (i, message) in messages.enumerated() {
            let role = message["role"]?.stringValue ?? ""
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].indices.append(i)
            } else {
                turns.append(Turn(role: role, indices: [i]))
            }
        }
        return turns
    }

    // MARK: Content

    private func checkContent() -> AnthropicError? {
        guard !messages.isEmpty else { return .invalid("messages: at least one message is required") }
        var toolUseIDs: Set<String> = []
        for i in messages.indices {
            let isFinalAssistant = i == messages.count - 1 && messages[i]["role"]?.stringValue == "assistant"
            let content = blocks(i)
            let emptyString = messages[i]["content"]?.stringValue?.isEmpty == true
            if (content.isEmpty || emptyString) && !isFinalAssistant {
                return .invalid(
                    "messages.\(i): all messages must have non-empty content except for the optional final assistant message"
                )
            }
            for (j, block) in content.enumerated() {
                switch block["type"]?.stringValue {
                case "text":
                    let text = block["text"]?.stringValue ?? ""
                    if text.isEmpty, !(isFinalAssistant && content.count == 1) {
                        return .invalid("messages: text content blocks must be non-empty")
                    }
                    if !text.isEmpty, ConversationRules.isBlank(text), !isFinalAssistant {
                        return .invalid("messages: text content blocks must contain non-whitespace text")
                    }
                case "tool_use":
                    if messages[i]["role"]?.stringValue != "assistant" {
                        return .invalid(
                            "messages.\(i).content.\(j): `tool_use` blocks can only be in `assistant` messages")
                    }
                    if !toolUseIDs.insert(block["id"]?.stringValue ?? "").inserted {
                        return .invalid("messages.\(i).content.\(j): `tool_use` ids must be unique")
                    }
                case "tool_result":
                    if messages[i]["role"]?.stringValue != "user" {
                        return .invalid(
                            "messages.\(i).content.\(j): `tool_result` blocks can only be in `user` messages")
                    }
                case "thinking", "redacted_thinking":
                    if messages[i]["role"]?.stringValue != "assistant" {
                        return .invalid(
                            "messages.\(i).content.\(j): `thinking` and `redacted_thinking` blocks can only be in `assistant` messages"
                        )
                    }
                default:
                    break
                }
            }
        }
        return nil
    }

    // MARK: Tool pairing

    /// Every `tool_use` of an assistant turn needs a `tool_result` in the next (user) turn, and
    /// every `tool_result` must answer a `tool_use` of the previous (assistant) turn.
    private func checkToolPairing() -> AnthropicError? {
        let turns = self.turns
        for (t, turn) in turns.enumerated() {
            if turn.role == "assistant", t + 1 < turns.count {
                var pending: [String] = []
                for i in turn.indices {
                    for block in blocks(i) where block["type"]?.stringValue == "tool_use" {
                        pending.append(block["id"]?.stringValue ?? "")
                    }
                }
                var answered: Set<String> = []
                for i in turns[t + 1].indices {
                    for block in blocks(i) where block["type"]?.stringValue == "tool_result" {
                        answered.insert(block["tool_use_id"]?.stringValue ?? "")
                    }
                }
                let missing = pending.filter { !answered.contains($0) }
                if !missing.isEmpty {
                    return .invalid(
                        "messages.\(turns[t + 1].indices[0]): `tool_use` ids were found without `tool_result` blocks immediately after: \(missing.joined(separator: ", ")). Each `tool_use` block must have a corresponding `tool_result` block in the next message."
                    )
                }
            }
            if turn.role == "user" {
                var offered: Set<String> = []
                if t > 0 {
                    for i in turns[t - 1].indices {
                        for block in blocks(i) where block["type"]?.stringValue == "tool_use" {
                            offered.insert(block["id"]?.stringValue ?? "")
                        }
                    }
                }
                for i in turn.indices {
                    for (j, block) in blocks(i).enumerated() where block["type"]?.stringValue == "tool_result" {
                        let id = block["tool_use_id"]?.stringValue ?? ""
                        if !offered.contains(id) {
                            return .invalid(
                                "messages.\(i).content.\(j): unexpected `tool_use_id` found in `tool_result` blocks: \(id). Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                            )
                        }
                    }
                }
            }
        }
        return nil
    }

    // MARK: Cache control

    /// The TTLs of the blocks with `cache_control`, in the order tools → system → messages.
    var cacheControlTTLs: [String] {
        var ttls: [String] = []
        func visit(_ element: JSONValue) {
            if let control = element["cache_control"], !control.isNull {
                ttls.append(control["ttl"]?.stringValue ?? "5m")
            }
        }
        tools.forEach(visit)
        system.forEach(visit)
        for i in messages.indices {
            for block in blocks(i) {
                visit(block)
                for item in block["content"]?.arrayValue ?? [] { visit(item) }
            }
        }
        return ttls
    }

    private func checkCacheControls() -> AnthropicError? {
        let ttls = cacheControlTTLs
        if ttls.count > Self.maxCacheControls {
            return .invalid(
                "A maximum of \(Self.maxCacheControls) blocks with cache_control may be provided. Found \(ttls.count).")
        }
        var seenShort = false
        for ttl in ttls {
            if ttl == "1h", seenShort {
                return .invalid(
                    "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`."
                )
            }
            if ttl != "1h" { seenShort = true }
        }
        return nil
    }

    // MARK: Final assistant turn and signatures

    private func checkFinalAssistant() -> AnthropicError? {
        guard let last = messages.last, last["role"]?.stringValue == "assistant" else { return nil }
        let text: String?
        if let string = last["content"]?.stringValue {
            text = string
        } else {
            text = blocks(messages.count - 1).last?["text"]?.stringValue
        }
        guard let text, let final = text.unicodeScalars.last, final.properties.isWhitespace else { return nil }
        return .invalid("messages: final assistant content cannot end with trailing whitespace")
    }

    /// Thinking blocks of the latest assistant message must carry this face's signature of their text.
    private func checkSignatures() -> AnthropicError? {
        guard let i = messages.lastIndex(where: { $0["role"]?.stringValue == "assistant" }) else { return nil }
        for (j, block) in blocks(i).enumerated() where block["type"]?.stringValue == "thinking" {
            let text = block["thinking"]?.stringValue ?? ""
            let signature = block["signature"]?.stringValue ?? ""
            if !AnthropicSignature.isValid(signature, for: text) {
                return .invalid("messages.\(i).content.\(j): Invalid `signature` in `thinking` block")
            }
        }
        return nil
    }
}
