import BedrockAPI
import NexusJSON

/// The simulated model's answer to one request.
struct SimulatedAnswer: Sendable {
    var blocks: [ConverseBlock]
    var stopReason: String
    var additionalModelResponseFields: JSONValue?

    /// Words of the answer: text, reasoning and tool input (at least 1).
    var outputTokens: Int {
        var words = 0
        for block in blocks {
            switch block {
            case .text(let text): words += Words.count(text.string)
            case .reasoningText(let text, _): words += Words.count(text.string)
            case .toolUse(_, _, let input): words += Words.count(input.jsonString)
            case .redactedContent: words += 1
            default: break
            }
        }
        return max(1, words)
    }
}

/// Builds answers for scenarios (see docs/simulator.md for the texts).
enum AnswerBuilder {
    static let greetingPrefix = "Hello from the AI Nexus simulator. You said: "
    /// How many words of the prompt the greeting quotes.
    static let quotedWords = 12
    static let vocabulary = [
        "lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do", "eiusmod",
        "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua",
    ]

    static func build(_ scenario: Scenario, view: ConversationView) -> SimulatedAnswer {
        switch scenario.answer {
        case .greeting:
            if let result = view.toolResultText { return toolSaid(result) }
            return limited(text: greeting(view), view: view)
        case .echo:
            let text = view.lastUserText
            return limited(text: ConversationRules.isBlank(text) ? "(empty)" : text, view: view)
        case .long(let count):
            let words = (0..<count).map { vocabulary[$0 % vocabulary.count] }
            return limited(text: words.joined(separator: " "), view: view)
        case .tool:
            if let result = view.toolResultText { return toolSaid(result) }
            guard let tool = view.firstTool else {
                return SimulatedAnswer(
                    blocks: [.text("sim:tool needs a toolSpec in toolConfig.tools; the request has none.")],
                    stopReason: "end_turn")
            }
            let input = SampleInput.value(for: tool.schema)
            return SimulatedAnswer(
                blocks: [.toolUse(id: RandomText.toolUseID(), name: tool.name, input: input)], stopReason: "tool_use")
        case .bash(let command):
            if let result = view.toolResultText { return toolSaid(result) }
            let input: JSONValue = ["command": .string(command), "description": "Run the command"]
            return SimulatedAnswer(
                blocks: [.toolUse(id: RandomText.toolUseID(), name: "Bash", input: input)], stopReason: "tool_use")
        case .bashSequence(let commands):
            return bashSequence(commands, after: scenario.markerMessage ?? (view.userIndices.last ?? 0), view: view)
        case .thinking:
            let thought =
                "Let me think about this. The user wrote: " + quote(view) + " A short friendly answer will do."
            return SimulatedAnswer(
                blocks: [
                    .reasoningText(text: thought, signature: ReasoningSignature.sign(thought)), .text(greeting(view)),
                ],
                stopReason: "end_turn")
        case .redacted:
            let opaque = Base64.encode(Array(("nexus-simulator-redacted-thinking:" + RandomText.alphanumeric(32)).utf8))
            return SimulatedAnswer(blocks: [.redactedContent(opaque), .text(greeting(view))], stopReason: "end_turn")
        case .maxTokens:
            let limit = min(view.maxTokens ?? 8, 8)
            let cut = Words.prefix(greeting(view), words: max(1, limit)).text
            return SimulatedAnswer(blocks: [.text(cut)], stopReason: "max_tokens")
        case .stopSequence:
            let sequence = view.stopSequences.first
            var fields: JSONValue?
            if view.responseFieldPaths.contains("/stop_sequence") {
                fields = ["stop_sequence": sequence.map(JSONValue.string) ?? .null]
            }
            return SimulatedAnswer(
                blocks: [.text("Hello from the AI Nexus simulator, stopping here")], stopReason: "stop_sequence",
                additionalModelResponseFields: fields)
        case .refusal:
            return SimulatedAnswer(blocks: [.text("I can't help with that.")], stopReason: "content_filtered")
        }
    }

    /// `sim:bash_seq`: step k (k tool results since the prompt) calls Bash with the k-th command,
    /// after a signed reasoning block when thinking is on; once every command has run, a text with
    /// their outputs and how many signed reasoning blocks came back in the whole history.
    static func bashSequence(_ commands: [String], after prompt: Int, view: ConversationView) -> SimulatedAnswer {
        let outputs = view.toolResults(after: prompt)
        guard !commands.isEmpty else {
            return SimulatedAnswer(
                blocks: [.text("sim:bash_seq needs commands: sim:bash_seq:CMD1;;CMD2")], stopReason: "end_turn")
        }
        guard outputs.count < commands.count else {
            let cleaned = outputs.map { output in
                let text = withoutSystemReminders(output)
                return text.isEmpty ? "(no output)" : text
            }
            let said = "Tool said: " + cleaned.joined(separator: " | ")
            let report = " (signed thinking blocks in the history: \(view.signedReasoningBlocks))"
            return SimulatedAnswer(blocks: [.text(said + report)], stopReason: "end_turn")
        }
        let step = outputs.count
        let command = commands[step]
        var blocks: [ConverseBlock] = []
        if view.thinkingEnabled {
            let thought = "Step \(step + 1) of \(commands.count): I will run `\(command)` with the Bash tool."
            blocks.append(.reasoningText(text: thought, signature: ReasoningSignature.sign(thought)))
        }
        let input: JSONValue = ["command": .string(command), "description": .string("Run step \(step + 1)")]
        blocks.append(.toolUse(id: RandomText.toolUseID(), name: "Bash", input: input))
        return SimulatedAnswer(blocks: blocks, stopReason: "tool_use")
    }

    /// `text` without `<system-reminder>…</system-reminder>` sections (Claude Code appends them to
    /// tool results), trimmed.
    static func withoutSystemReminders(_ text: String) -> String {
        var rest = Substring(text)
        var kept = ""
        while let open = rest.firstRange(of: "<system-reminder>") {
            kept += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstRange(of: "</system-reminder>") else {
                rest = rest[rest.endIndex...]
                break
            }
            rest = rest[close.upperBound...]
        }
        kept += rest
        return Words.trimmed(kept)
    }

    /// `Hello from the AI Nexus simulator. You said: <first words of the prompt>`.
    static func greeting(_ view: ConversationView) -> String { greetingPrefix + quote(view) }

    /// The first words of the last user text, with `…` when cut.
    static func quote(_ view: ConversationView) -> String {
        let (text, truncated) = Words.prefix(view.lastUserText, words: quotedWords)
        if text.isEmpty { return "(nothing)" }
        return truncated ? text + " …" : text
    }

    static func toolSaid(_ result: String) -> SimulatedAnswer {
        SimulatedAnswer(
            blocks: [.text("Tool said: " + (result.isEmpty ? "(no output)" : result))], stopReason: "end_turn")
    }

    /// A text answer, cut to `inferenceConfig.maxTokens` words (then `max_tokens`) like a model would be.
    static func limited(text: String, view: ConversationView) -> SimulatedAnswer {
        if let maxTokens = view.maxTokens, maxTokens >= 1, Words.count(text) > maxTokens {
            return SimulatedAnswer(blocks: [.text(Words.prefix(text, words: maxTokens).text)], stopReason: "max_tokens")
        }
        return SimulatedAnswer(blocks: [.text(text)], stopReason: "end_turn")
    }
}

/// A value that satisfies a JSON schema's required members, for `sim:tool`.
enum SampleInput {
    static let maxDepth = 16

    /// An object filling every required property of `schema` with a value of its type.
    static func value(for schema: JSONValue) -> JSONValue {
        let sample = value(for: schema, depth: 0)
        if case .object = sample { return sample }
        return .object([:])
    }

    private static func value(for schema: JSONValue, depth: Int) -> JSONValue {
        guard depth < maxDepth, case .object = schema else { return "x" }
        if let first = schema["enum"]?.arrayValue?.first { return first }
        if let constant = schema["const"] { return constant }
        for key in ["anyOf", "oneOf", "allOf"] {
            if let first = schema[key]?.arrayValue?.first { return value(for: first, depth: depth + 1) }
        }
        var type = schema["type"]?.stringValue
        if type == nil, let types = schema["type"]?.arrayValue {
            type = types.compactMap(\.stringValue).first { $0 != "null" } ?? "null"
        }
        if type == nil, schema["properties"] != nil { type = "object" }
        switch type {
        case "string": return "x"
        case "integer", "number": return 1
        case "boolean": return true
        case "null": return .null
        case "array":
            let minItems = schema["minItems"]?.intValue ?? 0
            guard minItems > 0 else { return .array([]) }
            let item = value(for: schema["items"] ?? .object([:]), depth: depth + 1)
            return .array(Array(repeating: item, count: min(minItems, 16)))
        case "object":
            var object = JSONObject()
            let properties = schema["properties"]
            for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                object.append(name, value(for: properties?[name] ?? .object([:]), depth: depth + 1))
            }
            return .object(object)
        default:
            return "x"
        }
    }
}
