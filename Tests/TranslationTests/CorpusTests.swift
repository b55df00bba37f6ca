import AnthropicAPI
import BedrockAPI
import Foundation
import NIOCore
import NexusJSON
import Testing
import Translation

/// Real Claude Code requests (`Fixtures/claude-code/*.json`, captured by
/// `scripts/capture-claude-code`): each must translate, and the Converse body must keep every
/// rule Bedrock enforces. With an empty corpus the parameterized tests have no cases.
func isBlank(_ text: String) -> Bool { text.allSatisfy { $0.isWhitespace } }
func isBlank(_ text: JSONString) -> Bool { isBlank(text.string) }

enum Corpus {
    static let directory: URL? =
        Bundle.module.url(forResource: "claude-code", withExtension: nil, subdirectory: "Fixtures")
        ?? Bundle.module.resourceURL?.appendingPathComponent("Fixtures/claude-code")

    static let files: [String] = {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            return []
        }
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }()

    static func has(_ file: String) -> Bool { files.contains(file) }

    struct Capture {
        var path: String
        var betas: [String]
        var request: MessagesRequest
        var body: JSONValue
    }

    static func load(_ file: String) throws -> Capture {
        let url = try #require(directory).appendingPathComponent(file)
        let capture = try JSONValue.parse(Array(try Data(contentsOf: url)))
        let path = try #require(capture["path"]?.stringValue)
        let body = try #require(capture["body"])
        let betas = (capture["headers"]?["anthropic-beta"]?.stringValue ?? "").split(separator: ",").map(String.init)
        let request = try MessagesRequest(json: body, requireMaxTokens: !path.contains("count_tokens"))
        return Capture(path: path, betas: betas, request: request, body: body)
    }

    static func translate(_ file: String) throws -> (Capture, TranslatedRequest) {
        let capture = try load(file)
        let profile = try ModelCatalog().resolve(capture.request.model)
        let translated = try RequestTranslator().translate(capture.request, profile: profile, betas: capture.betas)
        return (capture, translated)
    }
}

@Suite struct CorpusTests {
    static func isToolName(_ s: String) -> Bool { s.wholeMatch(of: /[a-zA-Z0-9_-]{1,64}/) != nil }
    static func isToolUseID(_ s: String) -> Bool { s.wholeMatch(of: /[a-zA-Z0-9_.:-]{1,64}/) != nil }
    static let topLevelKeys: Set<String> = [
        "messages", "system", "inferenceConfig", "toolConfig", "additionalModelRequestFields",
        "additionalModelResponseFieldPaths",
    ]
    static let blockKeys: Set<String> = [
        "text", "image", "document", "toolUse", "toolResult", "reasoningContent", "cachePoint",
    ]

    @Test func corpusIsPresent() throws {
        // Not a gate: documents whether the corpus tests below ran.
        try #require(Corpus.directory != nil, "Fixtures/claude-code is not in the test bundle")
        if Corpus.files.isEmpty { print("Fixtures/claude-code holds no captures yet: corpus tests have no cases") }
    }

    /// The gateway parses bodies as the client sent them (compact), from a `ByteBuffer`: long
    /// strings are kept as checked literals and tool schemas as checked text
    /// (`MessagesRequest.verbatimKeys`), both written back as they came. The translation must be
    /// what it is when every value is decoded, to the byte.
    @Test(arguments: Corpus.files)
    func literalsTranslateLikeStrings(_ file: String) throws {
        let (capture, fromStrings) = try Corpus.translate(file)
        let url = try #require(Corpus.directory).appendingPathComponent(file)
        let captured = try JSONValue.parse([UInt8](try Data(contentsOf: url)))
        let compactBody = ByteBuffer(bytes: try #require(captured["body"]).jsonBytes)
        let parsed = try JSONValue.parse(compactBody, verbatimKeys: MessagesRequest.verbatimKeys)
        let request = try MessagesRequest(json: parsed, requireMaxTokens: !capture.path.contains("count_tokens"))
        for tool in request.tools {
            #expect(tool.inputSchema?.objectValue?.isVerbatim == true, "\(tool.name)'s schema was parsed into a tree")
        }
        let profile = try ModelCatalog().resolve(request.model)
        let fromLiterals = try RequestTranslator().translate(request, profile: profile, betas: capture.betas)
        #expect(fromLiterals.converse == fromStrings.converse)
        var body = ByteBuffer()
        body.writeJSON(estimatedByteCount: 1024) { fromLiterals.converse.write(to: &$0) }
        #expect(Array(buffer: body) == fromStrings.converse.jsonValue.jsonBytes)
        #expect(TokenEstimator.estimate(fromLiterals.converse) == TokenEstimator.estimate(fromStrings.converse))
    }

    @Test(arguments: Corpus.files)
    func translatesWithinBedrockRules(_ file: String) throws {
        let (capture, t) = try Corpus.translate(file)
        let request = capture.request
        let out = t.converse.jsonValue

        // The body is valid JSON of the expected shape, and survives a round trip.
        #expect(try JSONValue.parse(out.jsonString) == out)
        for key in out.objectValue?.keys ?? [] {
            #expect(Self.topLevelKeys.contains(key), "unexpected top-level key \(key)")
        }

        // Roles: start with user, alternate.
        let messages = t.converse.messages
        try #require(!messages.isEmpty)
        #expect(messages[0].role == "user")
        for (a, b) in zip(messages, messages.dropFirst()) { #expect(a.role != b.role, "consecutive \(a.role) turns") }

        // Blocks: none blank, no message empty, starting with or doubling a cache point.
        var cachePoints: [String?] = t.converse.tools.compactMap {
            if case .cachePoint(let ttl) = $0 { ttl } else { nil }
        }
        cachePoints += t.converse.system.compactMap { if case .cachePoint(let ttl) = $0 { ttl } else { nil } }
        var toolBlocks = false
        for (i, message) in messages.enumerated() {
            #expect(!message.content.isEmpty, "messages.\(i) is empty")
            #expect(message.content.first?.isCachePoint == false, "messages.\(i) starts with a cache point")
            for (a, b) in zip(message.content, message.content.dropFirst()) {
                #expect(!(a.isCachePoint && b.isCachePoint), "messages.\(i) has two cache points in a row")
            }
            for (j, block) in message.content.enumerated() {
                for key in block.jsonValue.objectValue?.keys ?? [] {
                    #expect(Self.blockKeys.contains(key), "messages.\(i).content.\(j): unexpected key \(key)")
                }
                switch block {
                case .text(let text):
                    #expect(!isBlank(text), "messages.\(i).content.\(j) is blank")
                case .cachePoint(let ttl):
                    cachePoints.append(ttl)
                case .toolUse(let id, let name, _):
                    toolBlocks = true
                    #expect(message.role == "assistant")
                    #expect(Self.isToolUseID(id), "toolUseId \(id)")
                    #expect(Self.isToolName(name), "tool name \(name)")
                case .toolResult(let id, let content, _):
                    toolBlocks = true
                    #expect(message.role == "user")
                    #expect(!content.isEmpty)
                    // Answers a toolUse of the previous (assistant) turn.
                    let previous = i > 0 ? messages[i - 1].content : []
                    #expect(
                        previous.contains { if case .toolUse(id, _, _) = $0 { true } else { false } },
                        "toolResult \(id) answers no toolUse of the previous turn")
                case .image, .document:
                    #expect(message.role == "user")
                default:
                    break
                }
            }
            // Every toolUse is answered in the next turn.
            for case .toolUse(let id, _, _) in message.content where i + 1 < messages.count {
                #expect(
                    messages[i + 1].content.contains { if case .toolResult(id, _, _) = $0 { true } else { false } },
                    "toolUse \(id) is not answered")
            }
        }
        #expect(cachePoints.count <= 4, "\(cachePoints.count) cache points")
        var sawFiveMinutes = false
        for ttl in cachePoints {
            if ttl == "1h" {
                #expect(!sawFiveMinutes, "a 1h cache point after a 5m one")
            } else {
                sawFiveMinutes = true
            }
        }
        if toolBlocks { #expect(out["toolConfig"] != nil, "tool blocks without toolConfig") }

        // Tools: valid, unique names; no fields Converse lacks.
        let toolNames = t.converse.tools.compactMap { if case .spec(let name, _, _, _) = $0 { name } else { nil } }
        #expect(Set(toolNames).count == toolNames.count)
        for name in toolNames { #expect(Self.isToolName(name), "tool name \(name)") }
        for tool in out.at("toolConfig.tools")?.arrayValue ?? [] {
            for key in tool["toolSpec"]?.objectValue?.keys ?? [] {
                #expect(["name", "description", "inputSchema"].contains(key), "toolSpec.\(key)")
            }
        }

        // The top-level system prompt passes unchanged.
        let systemTexts = t.converse.system.compactMap { if case .text(let s) = $0 { s } else { nil } }
        #expect(systemTexts == request.system.map(\.text).filter { !isBlank($0) })

        // Mid-conversation system messages land, in order, in user turns.
        let systemMessages = request.messages.filter { $0.role == .system }.flatMap(\.content).compactMap {
            if case .text(let s, _) = $0, !isBlank(s) { s } else { nil }
        }
        let userTexts = messages.filter { $0.role == "user" }.flatMap(\.content).compactMap {
            if case .text(let s) = $0 { s } else { nil }
        }
        var cursor = userTexts.startIndex
        for text in systemMessages {
            guard let found = userTexts[cursor...].firstIndex(of: text) else {
                Issue.record("system message text not folded into a user turn: \(text.string.prefix(60))")
                break
            }
            cursor = found + 1
        }
        if request.messages.last?.role == .system, let lastText = systemMessages.last {
            #expect(messages.last?.role == "user")
            #expect(userTexts.last == lastText)
        }

        // Final assistant turn: no trailing whitespace.
        if let last = messages.last, last.role == "assistant",
            case .text(let text)? = last.content.last(where: { !$0.isCachePoint })
        {
            #expect(text.string.last.map { !$0.isWhitespace } ?? true)
        }

        // Fields and betas.
        #expect(t.converse.maxTokens == request.maxTokens)
        for beta in t.forwardedBetas { #expect(t.profile.allowedBetas.contains(beta), "beta \(beta)") }
        #expect(!t.forwardedBetas.contains("claude-code-20250219"))
        #expect(
            out.json(at: "additionalModelRequestFields.anthropic_beta")
                == (t.forwardedBetas.isEmpty ? nil : JSONValue.array(t.forwardedBetas.map(JSONValue.string)).jsonString)
        )
        if let budget = out.at("additionalModelRequestFields.thinking.budget_tokens")?.intValue,
            let max = request.maxTokens
        {
            #expect(budget < max)
        }
        if t.profile.thinking == .enabledOnly {
            #expect(out.at("additionalModelRequestFields.thinking.type")?.stringValue != "adaptive")
        }
        if !t.profile.supportsEffort { #expect(out.at("additionalModelRequestFields.output_config.effort") == nil) }
        if out.at("additionalModelRequestFields.context_management") != nil {
            #expect(t.forwardedBetas.contains("context-management-2025-06-27"))
        }

        // The input estimate is plausible: between 1 token per 8 bytes and 1 per byte of the body
        // (JSON syntax dominates tiny bodies: only a floor there).
        let estimate = TokenEstimator.estimate(t.converse)
        let bytes = out.jsonBytes.count
        #expect(estimate > (bytes > 4_000 ? bytes / 8 : 0), "estimate \(estimate) for \(bytes) bytes")
        #expect(estimate < bytes, "estimate \(estimate) for \(bytes) bytes")

        // count_tokens wraps the same conversation.
        #expect(t.converse.countTokensJSON.at("input.converse.messages") == out["messages"])
    }

    // MARK: Specific captures

    @Test(.enabled(if: Corpus.has("first-turn.json")))
    func firstTurnOnSonnet() throws {
        let (_, t) = try Corpus.translate("first-turn.json")
        let out = t.converse.jsonValue
        #expect(t.profile.nexusID == "claude-sonnet-4.6")
        #expect(
            t.forwardedBetas
                == [
                    "interleaved-thinking-2025-05-14", "context-management-2025-06-27", "tool-search-tool-2025-10-19",
                    "effort-2025-11-24",
                ])
        #expect(t.droppedBetas == ["claude-code-20250219", "thinking-token-count-2026-05-13"])
        #expect(out.json(at: "additionalModelRequestFields.thinking") == #"{"type":"adaptive"}"#)
        #expect(out.json(at: "additionalModelRequestFields.output_config") == #"{"effort":"high"}"#)
        #expect(
            out.json(at: "additionalModelRequestFields.context_management")
                == #"{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]}"#)
        #expect(out.json(at: "inferenceConfig") == #"{"maxTokens":32000}"#)
        #expect(t.converse.messages.count == 1)
        #expect(t.converse.messages[0].content.last == .cachePoint(ttl: nil))
        #expect(!out.jsonString.contains("defer_loading"))
        #expect(t.notes.contains("dropped metadata"))
        #expect(t.notes.contains("dropped thinking.display=omitted"))
    }

    @Test(.enabled(if: Corpus.has("tool-result-turn.json")))
    func toolResultTurnKeepsTheSignedThinking() throws {
        let (_, t) = try Corpus.translate("tool-result-turn.json")
        let assistant = t.converse.messages[1]
        #expect(assistant.role == "assistant")
        #expect(
            assistant.content.first
                == .reasoningText(text: "", signature: "RXFzaWduYXR1cmUtZnJvbS1jYXB0dXJlLWNsYXVkZS1jb2RlLXNjcmlwdA=="))
        guard case .toolUse(let id, "Bash", _)? = assistant.content.last else {
            Issue.record("expected the Bash toolUse last: \(assistant.content)")
            return
        }
        guard case .toolResult(id, _, false)? = t.converse.messages[2].content.first else {
            Issue.record("expected the toolResult first")
            return
        }
    }

    @Test(.enabled(if: Corpus.has("subagent-haiku.json")))
    func haikuSubagent() throws {
        let (_, t) = try Corpus.translate("subagent-haiku.json")
        let out = t.converse.jsonValue
        #expect(t.profile.nexusID == "claude-haiku-4.5")
        #expect(out.json(at: "additionalModelRequestFields.thinking") == #"{"type":"enabled","budget_tokens":31999}"#)
        #expect(out.at("additionalModelRequestFields.output_config") == nil)
        #expect(
            t.forwardedBetas == [
                "interleaved-thinking-2025-05-14", "context-management-2025-06-27", "tool-search-tool-2025-10-19",
            ])
    }

    @Test(.enabled(if: Corpus.has("default-model-tool-result-turn.json")))
    func systemMessagesInTheMiddleAndAtTheEnd() throws {
        let (capture, t) = try Corpus.translate("default-model-tool-result-turn.json")
        #expect(capture.request.messages.map(\.role) == [.user, .system, .assistant, .user])
        #expect(t.converse.messages.map(\.role) == ["user", "assistant", "user"])
        guard case .text(let env, _)? = capture.request.messages[1].content.first else {
            Issue.record("expected a text system message")
            return
        }
        #expect(t.converse.messages[0].content.last == .text(env))
    }

    @Test(.enabled(if: Corpus.has("default-model-first-turn.json")))
    func systemMessageAsTheLastMessage() throws {
        let (capture, t) = try Corpus.translate("default-model-first-turn.json")
        #expect(capture.request.messages.last?.role == .system)
        #expect(t.converse.messages.map(\.role) == ["user"])
        guard case .text(let env, _)? = capture.request.messages.last?.content.last else {
            Issue.record("expected a text system message")
            return
        }
        #expect(t.converse.messages[0].content.last(where: { !$0.isCachePoint }) == .text(env))
    }

    @Test(.enabled(if: Corpus.has("count-tokens-tools.json")))
    func countTokensRequest() throws {
        let (capture, t) = try Corpus.translate("count-tokens-tools.json")
        #expect(capture.request.maxTokens == nil)
        #expect(t.converse.maxTokens == nil)
        let count = t.converse.countTokensJSON
        #expect(count.at("input.converse.toolConfig") != nil)
        #expect(count.at("input.converse.inferenceConfig") == nil)
        #expect(TokenEstimator.estimate(t.converse) > 1000)
    }
}

/// TokenEstimator: a plausible, non-zero figure.
@Suite struct TokenEstimatorTests {
    @Test func neverZero() {
        #expect(TokenEstimator.estimate(ConverseRequest()) == 1)
        #expect(
            TokenEstimator.estimate(ConverseRequest(messages: [ConverseMessage(role: "user", content: [.text("")])]))
                > 0)
    }

    @Test func englishText() {
        // ~4 bytes per token for English prose.
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 100)  // 4,500 bytes
        let estimate = TokenEstimator.estimate(
            ConverseRequest(messages: [ConverseMessage(role: "user", content: [.text(text)])]))
        #expect((900...1_500).contains(estimate), "\(estimate)")
    }

    @Test func countsEveryPart() {
        let base = ConverseRequest(messages: [ConverseMessage(role: "user", content: [.text("hello")])])
        let baseline = TokenEstimator.estimate(base)
        var withSystem = base
        withSystem.system = [.text(String(repeating: "s", count: 3_600)), .cachePoint(ttl: nil)]
        #expect(TokenEstimator.estimate(withSystem) == baseline + 1_000)
        var withImage = base
        withImage.messages[0].content.append(.image(format: "png", bytes: "AAAA"))
        #expect(TokenEstimator.estimate(withImage) == baseline + 1_600)
        var withTool = base
        withTool.tools = [.spec(name: "t", description: "d", inputSchema: ["type": "object"], strict: nil)]
        #expect(TokenEstimator.estimate(withTool) > baseline)
    }

    @Test func translatedRequest() throws {
        let t = try translate(
            body(
                #""system":"You are a helpful assistant.""#,
                messages: #"[{"role":"user","content":"What is the capital of France?"}]"#))
        let estimate = TokenEstimator.estimate(t.converse)
        #expect((10...40).contains(estimate), "\(estimate)")
    }
}
