import NexusJSON

/// The rules Bedrock (and the Claude model behind it) enforce on a conversation that is already
/// well-formed, each with Bedrock's message where it is known. Indexes in messages are 0-based,
/// as Bedrock prints them.
struct ConversationRules {
    var messages: [JSONValue]
    var system: [JSONValue]
    var toolConfig: JSONValue?

    static let maxCachePoints = 4
    static let maxImages = 20
    static let maxDocuments = 5
    static let maxImageBytes = 3_932_160  // 3.75 MB
    static let maxDocumentBytes = 4_718_592  // 4.5 MB

    /// The prefix of the errors the model itself reports.
    static let modelSays = "The model returned the following errors: "

    init(messages: [JSONValue], system: [JSONValue], toolConfig: JSONValue?) {
        self.messages = messages
        self.system = system
        self.toolConfig = toolConfig
    }

    /// Reads the members of a Converse (or ConverseTokens) body.
    init(body: JSONValue) {
        self.init(
            messages: body["messages"]?.arrayValue ?? [],
            system: body["system"]?.arrayValue ?? [],
            toolConfig: body["toolConfig"].flatMap { $0.isNull ? nil : $0 })
    }

    /// The first broken rule, or nil.
    func check() -> SimulatorError? {
        if let error = checkRoles() { return error }
        if let error = checkBlocks() { return error }
        if let error = checkToolPairing() { return error }
        if let error = checkSystem() { return error }
        if let error = checkTools() { return error }
        if let error = checkCachePoints() { return error }
        if let error = checkFinalAssistant() { return error }
        if let error = checkSignatures() { return error }
        return nil
    }

    // MARK: Roles

    private func checkRoles() -> SimulatorError? {
        guard let first = messages.first, first["role"]?.stringValue == "user" else {
            return .validation(
                "A conversation must start with a user message. Try again with a conversation that starts with a user message."
            )
        }
        var previous: String?
        for message in messages {
            let role = message["role"]?.stringValue
            if let previous, role == previous {
                return .validation(
                    "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again."
                )
            }
            previous = role
        }
        return nil
    }

    // MARK: Blocks

    private func checkBlocks() -> SimulatorError? {
        var images = 0
        var documents = 0
        var documentNames: Set<String> = []
        var toolUseIDs: Set<String> = []
        var hasToolBlocks = false
        for (i, message) in messages.enumerated() {
            let content = message["content"]?.arrayValue ?? []
            guard !content.isEmpty else {
                return .validation(
                    "The content field in the Message object at messages.\(i) is empty. Add a ContentBlock object to the content field and try again."
                )
            }
            let isUser = message["role"]?.stringValue == "user"
            var hasText = false
            var hasDocument = false
            for (j, block) in content.enumerated() {
                if let text = block["text"]?.stringValue {
                    if Self.isBlank(text) {
                        return .validation(
                            "The text field in the ContentBlock object at messages.\(i).content.\(j) is blank. Add text to the text field, and try again."
                        )
                    }
                    hasText = true
                }
                if let image = block["image"] {
                    guard isUser else { return Self.userOnly("image", i, j) }
                    images += 1
                    if let error = Self.checkImage(image, at: "messages.\(i).content.\(j).image") { return error }
                }
                if let document = block["document"] {
                    guard isUser else { return Self.userOnly("document", i, j) }
                    documents += 1
                    hasDocument = true
                    if let error = Self.checkDocument(document, names: &documentNames) { return error }
                }
                if let toolUse = block["toolUse"] {
                    hasToolBlocks = true
                    let id = toolUse["toolUseId"]?.stringValue ?? ""
                    guard toolUseIDs.insert(id).inserted else {
                        return .validation(Self.modelSays + "messages.\(i).content.\(j): `tool_use` ids must be unique")
                    }
                    guard case .object = toolUse["input"] else {
                        return .validation(
                            Self.modelSays
                                + "messages.\(i).content.\(j).tool_use.input: Input should be a valid dictionary")
                    }
                }
                if let toolResult = block["toolResult"] {
                    hasToolBlocks = true
                    let results = toolResult["content"]?.arrayValue ?? []
                    if results.isEmpty, toolResult["status"]?.stringValue == "error" {
                        return .validation(
                            "The toolResult block at messages.\(i).content.\(j) is empty: a toolResult cannot be empty when status value is error."
                        )
                    }
                    for item in results {
                        if let image = item["image"] {
                            images += 1
                            if let error = Self.checkImage(image, at: "messages.\(i).content.\(j).toolResult.image") {
                                return error
                            }
                        }
                        if let document = item["document"] {
                            documents += 1
                            if let error = Self.checkDocument(document, names: &documentNames) { return error }
                        }
                    }
                }
            }
            if hasDocument, !hasText {
                return .validation(
                    "A text block must be included when using documents. Add a text block to messages.\(i).content and try again."
                )
            }
        }
        if images > Self.maxImages {
            return .validation(
                Self.modelSays
                    + "messages: too many images: at most \(Self.maxImages) images may be provided. Found \(images).")
        }
        if documents > Self.maxDocuments {
            return .validation(
                "The request contains \(documents) documents: you can include up to \(Self.maxDocuments) documents per request."
            )
        }
        if hasToolBlocks, toolConfig == nil {
            return .validation("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
        }
        return nil
    }

    private static func userOnly(_ kind: String, _ i: Int, _ j: Int) -> SimulatorError {
        .validation(
            "The \(kind) block at messages.\(i).content.\(j) is not allowed: images and documents can only be included in user messages."
        )
    }

    private static func checkImage(_ image: JSONValue, at path: String) -> SimulatorError? {
        guard let bytes = image["source"]?["bytes"]?.stringValue else { return nil }
        let size = Base64.decodedLength(bytes)
        guard size <= maxImageBytes else {
            return .validation(
                modelSays
                    + "\(path).source.base64: image exceeds 3.75 MB maximum: \(size) bytes > \(maxImageBytes) bytes")
        }
        return nil
    }

    private static func checkDocument(_ document: JSONValue, names: inout Set<String>) -> SimulatorError? {
        let name = document["name"]?.stringValue ?? ""
        guard isValidDocumentName(name) else {
            return .validation(
                "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character."
            )
        }
        guard names.insert(name).inserted else {
            return .validation("Duplicate document name \"\(name)\": document names must be unique within a request.")
        }
        if let bytes = document["source"]?["bytes"]?.stringValue, Base64.decodedLength(bytes) > maxDocumentBytes {
            return .validation("The document \"\(name)\" exceeds the maximum size of 4.5 MB.")
        }
        return nil
    }

    /// Letters and digits, single whitespace, hyphens, parentheses, square brackets (and
    /// underscores, which Bedrock lets through).
    static func isValidDocumentName(_ name: String) -> Bool {
        var previousWasSpace = false
        for character in name {
            if character.isWhitespace {
                if previousWasSpace { return false }
                previousWasSpace = true
                continue
            }
            previousWasSpace = false
            guard character.isLetter || character.isNumber || "-()[]_".contains(character) else { return false }
        }
        return !name.isEmpty
    }

    /// Empty or whitespace only.
    static func isBlank(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }

    // MARK: Tool use and results

    private func checkToolPairing() -> SimulatorError? {
        for (i, message) in messages.enumerated() where message["role"]?.stringValue == "user" {
            let results = (message["content"]?.arrayValue ?? []).compactMap {
                $0["toolResult"]?["toolUseId"]?.stringValue
            }
            let uses: [String] =
                i > 0
                ? (messages[i - 1]["content"]?.arrayValue ?? []).compactMap { $0["toolUse"]?["toolUseId"]?.stringValue }
                : []
            if results.count > uses.count {
                return .validation(
                    "The number of toolResult blocks at messages.\(i).content exceeds the number of toolUse blocks of previous turn."
                )
            }
            let answered = Set(results)
            let missing = uses.filter { !answered.contains($0) }
            if !missing.isEmpty {
                return .validation(
                    "Expected toolResult blocks at messages.\(i).content for the following Ids: \(missing.joined(separator: ", "))"
                )
            }
        }
        return nil
    }

    // MARK: System, tools, cache points

    private func checkSystem() -> SimulatorError? {
        for block in system {
            if let text = block["text"]?.stringValue, Self.isBlank(text) {
                return .validation(Self.modelSays + "system: text content blocks must contain non-whitespace text")
            }
        }
        return nil
    }

    private func checkTools() -> SimulatorError? {
        var names: Set<String> = []
        for (k, tool) in (toolConfig?["tools"]?.arrayValue ?? []).enumerated() {
            guard let spec = tool["toolSpec"] else { continue }
            let name = spec["name"]?.stringValue ?? ""
            guard names.insert(name).inserted else {
                return .validation(Self.modelSays + "tools: Tool names must be unique.")
            }
            guard let schema = spec["inputSchema"]?["json"], case .object = schema else {
                return .validation(
                    Self.modelSays + "tools.\(k).custom.input_schema: Input should be a valid dictionary")
            }
            guard schema["type"]?.stringValue == "object" else {
                return .validation(Self.modelSays + "tools.\(k).custom.input_schema.type: Input should be 'object'")
            }
        }
        return nil
    }

    /// Cache points in prompt order (tools, system, messages), as their TTLs (`nil` = default 5m).
    var cachePointTTLs: [String?] {
        var ttls: [String?] = []
        for tool in toolConfig?["tools"]?.arrayValue ?? [] {
            if let point = tool["cachePoint"] { ttls.append(point["ttl"]?.stringValue) }
        }
        for block in system {
            if let point = block["cachePoint"] { ttls.append(point["ttl"]?.stringValue) }
        }
        for message in messages {
            for block in message["content"]?.arrayValue ?? [] {
                if let point = block["cachePoint"] { ttls.append(point["ttl"]?.stringValue) }
            }
        }
        return ttls
    }

    private func checkCachePoints() -> SimulatorError? {
        let ttls = cachePointTTLs
        if ttls.count > Self.maxCachePoints {
            return .validation(
                "A maximum of \(Self.maxCachePoints) blocks with cache_control may be provided. Found \(ttls.count).")
        }
        var seenShort = false
        for ttl in ttls {
            if ttl == "1h", seenShort {
                return .validation(
                    Self.modelSays
                        + "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`."
                )
            }
            if ttl != "1h" { seenShort = true }
        }
        return nil
    }

    // MARK: Final assistant turn

    private func checkFinalAssistant() -> SimulatorError? {
        guard let last = messages.last, last["role"]?.stringValue == "assistant",
            let lastBlock = last["content"]?.arrayValue?.last(where: { $0["cachePoint"] == nil }),
            let text = lastBlock["text"]?.stringValue,
            let final = text.unicodeScalars.last, final.properties.isWhitespace
        else { return nil }
        return .validation(Self.modelSays + "messages: final assistant content cannot end with trailing whitespace")
    }

    /// Reasoning blocks of the latest assistant turn must come back with their signatures, unchanged.
    private func checkSignatures() -> SimulatorError? {
        guard let i = messages.lastIndex(where: { $0["role"]?.stringValue == "assistant" }) else { return nil }
        for (j, block) in (messages[i]["content"]?.arrayValue ?? []).enumerated() {
            guard let reasoning = block["reasoningContent"]?["reasoningText"] else { continue }
            let text = reasoning["text"]?.stringValue ?? ""
            guard let signature = reasoning["signature"]?.stringValue, !signature.isEmpty else {
                return .validation(Self.modelSays + "messages.\(i).content.\(j).thinking.signature: Field required")
            }
            guard ReasoningSignature.isValid(signature, for: text) else {
                return .validation(
                    Self.modelSays + "messages.\(i).content.\(j): Invalid `signature` in `thinking` block")
            }
        }
        return nil
    }
}
