import NexusJSON

/// What the simulator reads from a Converse body to choose and build its answer. Tolerant of any
/// JSON, so it also serves requests when validation is off.
struct ConversationView: Sendable {
    var messages: [JSONValue]
    /// Indexes in `messages` of the user messages, in order.
    var userIndices: [Int]
    /// Text blocks of the last user message.
    var lastUserTexts: [String]
    /// Text blocks of the earliest user message.
    var firstUserTexts: [String]
    /// The text of the tool results in the last user message, or nil when it carries none.
    var toolResultText: String?
    /// The first `toolSpec` of `toolConfig.tools`.
    var firstTool: (name: String, schema: JSONValue)?
    var stopSequences: [String]
    var maxTokens: Int?
    var responseFieldPaths: [String]
    /// `additionalModelRequestFields.thinking.type` is `enabled` or `adaptive`.
    var thinkingEnabled: Bool

    init(body: JSONValue) {
        let messages = body["messages"]?.arrayValue ?? []
        let userIndices = messages.indices.filter { messages[$0]["role"]?.stringValue == "user" }
        let users = userIndices.map { messages[$0] }
        self.messages = messages
        self.userIndices = userIndices
        lastUserTexts = users.last.map(Self.texts) ?? []
        firstUserTexts = users.first.map(Self.texts) ?? []
        toolResultText = users.last.flatMap(Self.toolResultText)
        firstTool = nil
        for tool in body["toolConfig"]?["tools"]?.arrayValue ?? [] {
            if let spec = tool["toolSpec"], let name = spec["name"]?.stringValue {
                firstTool = (name, spec["inputSchema"]?["json"] ?? .object([:]))
                break
            }
        }
        let inference = body["inferenceConfig"]
        stopSequences = inference?["stopSequences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        maxTokens = inference?["maxTokens"]?.intValue
        responseFieldPaths = body["additionalModelResponseFieldPaths"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let thinkingType = body["additionalModelRequestFields"]?["thinking"]?["type"]?.stringValue
        thinkingEnabled = thinkingType == "enabled" || thinkingType == "adaptive"
    }

    /// The tool results of the user messages after `messages[index]`, one text per message that has any.
    func toolResults(after index: Int) -> [String] {
        userIndices.filter { $0 > index }.compactMap { Self.toolResultText(of: messages[$0]) }
    }

    /// How many reasoning blocks of the assistant turns carry the simulator's signature of their text.
    var signedReasoningBlocks: Int {
        var count = 0
        for message in messages where message["role"]?.stringValue == "assistant" {
            for block in message["content"]?.arrayValue ?? [] {
                guard let reasoning = block["reasoningContent"]?["reasoningText"],
                    let signature = reasoning["signature"]?.stringValue
                else { continue }
                if ReasoningSignature.isValid(signature, for: reasoning["text"]?.stringValue ?? "") { count += 1 }
            }
        }
        return count
    }

    /// The whole text of the last user message (text blocks joined by newlines).
    var lastUserText: String { lastUserTexts.joined(separator: "\n") }

    static func texts(of message: JSONValue) -> [String] {
        (message["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }
    }

    /// The text and JSON of every tool result of `message`, or nil when it has none.
    static func toolResultText(of message: JSONValue) -> String? {
        var parts: [String] = []
        var found = false
        for block in message["content"]?.arrayValue ?? [] {
            guard let result = block["toolResult"] else { continue }
            found = true
            for item in result["content"]?.arrayValue ?? [] {
                if let text = item["text"]?.stringValue {
                    parts.append(text)
                } else if let json = item["json"] {
                    parts.append(json.jsonString)
                }
            }
        }
        return found ? Words.trimmed(parts.joined(separator: "\n")) : nil
    }
}

/// Word helpers: usage counts words, streams send one word per delta.
enum Words {
    /// Whitespace-separated words.
    static func count(_ text: String) -> Int {
        var count = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                inWord = false
            } else if !inWord {
                inWord = true
                count += 1
            }
        }
        return count
    }

    /// Splits `text` into pieces that each hold one word and the whitespace before it, so the
    /// pieces concatenate back to `text`. Very long words are cut (on character boundaries).
    static func chunks(_ text: String, maxChunkCharacters: Int = 2048) -> [String] {
        var pieces: [String] = []
        var current = ""
        var currentCount = 0
        var inWord = false
        for character in text {
            let isSpace = character.isWhitespace
            if (isSpace && inWord) || currentCount >= maxChunkCharacters {
                pieces.append(current)
                current = ""
                currentCount = 0
                inWord = false
            }
            current.append(character)
            currentCount += 1
            if !isSpace { inWord = true }
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// `text` without leading and trailing whitespace.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }

    /// The first `limit` words of `text`, whitespace collapsed, and whether words were left out.
    static func prefix(_ text: String, words limit: Int) -> (text: String, truncated: Bool) {
        var words: [Substring] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }) {
            if words.count == limit { return (words.joined(separator: " "), true) }
            words.append(word)
        }
        return (words.joined(separator: " "), false)
    }
}
