import AnthropicAPI
import BedrockAPI
import NIOCore
import NexusJSON
import Testing
import Translation

// Helpers shared by the TranslationTests suites. They keep the tables readable: a request is a
// few lines of JSON text, an expectation is the exact compact JSON (or SSE text) we want out.

/// Parses JSON text, failing the test (not trapping) when it is malformed.
func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        Issue.record("test JSON does not parse: \(error)\n\(text)", sourceLocation: sourceLocation)
        throw error
    }
}

/// A request body: `messages` plus any extra top-level members (`extra` is JSON object members
/// without the braces, e.g. `"temperature":0.5`).
func body(
    _ extra: String = "", messages: String = #"[{"role":"user","content":"Hi"}]"#,
    model: String = "claude-sonnet-4-6", maxTokens: Int? = 1024
) -> String {
    var members = [#""model":"\#(model)""#]
    if let maxTokens { members.append(#""max_tokens":\#(maxTokens)"#) }
    members.append(#""messages":\#(messages)"#)
    if !extra.isEmpty { members.append(extra) }
    return "{" + members.joined(separator: ",") + "}"
}

/// Parses a request body.
func parseRequest(_ text: String, requireMaxTokens: Bool = true) throws -> MessagesRequest {
    try MessagesRequest(json: try json(text), requireMaxTokens: requireMaxTokens)
}

/// The error parsing `text` throws, or nil (recorded as an issue) when it parses.
func parseError(
    _ text: String, requireMaxTokens: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) throws -> APIError? {
    let value = try json(text, sourceLocation: sourceLocation)
    do {
        _ = try MessagesRequest(json: value, requireMaxTokens: requireMaxTokens)
        Issue.record("expected a parse error", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The model profiles the tests use.
enum Profiles {
    static let sonnet = ModelCatalog.defaultProfiles[0]
    static let opus = ModelCatalog.defaultProfiles[1]
    static let haiku = ModelCatalog.defaultProfiles[2]
    /// A newer model that only accepts adaptive thinking.
    static let adaptiveOnly = ModelProfile(
        nexusID: "claude-opus-5", family: "opus", displayName: "Claude Opus 5", thinking: .adaptiveOnly,
        supportsEffort: true)
    /// Sonnet, on an upstream that accepts `thinking.display`.
    static let sonnetWithDisplay: ModelProfile = {
        var p = ModelCatalog.defaultProfiles[0]
        p.supportsThinkingDisplay = true
        return p
    }()
    /// A model without extended thinking.
    static let noThinking = ModelProfile(
        nexusID: "claude-plain", family: "sonnet", displayName: "Plain", thinking: .none, supportsEffort: false,
        supportsContextManagement: false)
}

/// Parses and translates a request body.
func translate(
    _ text: String, profile: ModelProfile = Profiles.sonnet, betas: [String] = [],
    options: TranslationOptions = TranslationOptions()
) throws -> TranslatedRequest {
    try RequestTranslator(options: options).translate(try parseRequest(text), profile: profile, betas: betas)
}

/// The Converse JSON body for a request body.
func converse(
    _ text: String, profile: ModelProfile = Profiles.sonnet, betas: [String] = [],
    options: TranslationOptions = TranslationOptions()
) throws -> JSONValue {
    try translate(text, profile: profile, betas: betas, options: options).converse.jsonValue
}

/// The error translating `text` throws (parsing must succeed), or nil (recorded) when it translates.
func translationError(
    _ text: String, profile: ModelProfile = Profiles.sonnet, betas: [String] = [],
    options: TranslationOptions = TranslationOptions(), sourceLocation: SourceLocation = #_sourceLocation
) throws -> APIError? {
    let request = try parseRequest(text)
    do {
        _ = try RequestTranslator(options: options).translate(request, profile: profile, betas: betas)
        Issue.record("expected a translation error", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

extension JSONValue {
    /// The value at a dotted path (`inferenceConfig.maxTokens`, `messages.0.content.1`), or nil.
    func at(_ path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") {
            guard let value = current else { return nil }
            if let index = Int(part), let array = value.arrayValue {
                current = index < array.count ? array[index] : nil
            } else {
                current = value[String(part)]
            }
        }
        return current
    }

    /// Compact JSON of the value at `path`, or nil.
    func json(at path: String) -> String? { at(path)?.jsonString }
}

// MARK: - Stream helpers

/// Renders events exactly as the gateway writes them on the wire.
func sse(_ events: [StreamEvent]) -> String {
    var buffer = ByteBuffer()
    for event in events { event.write(into: &buffer) }
    return String(buffer: buffer)
}

/// One expected SSE frame, written by hand.
func frame(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }

/// The expected `usage` JSON, written by hand.
func usageJSON(
    input: Int, output: Int, cacheWrite: Int = 0, cacheRead: Int = 0, write5m: Int? = nil, write1h: Int = 0
) -> String {
    #"{"input_tokens":\#(input),"cache_creation_input_tokens":\#(cacheWrite),"cache_read_input_tokens":\#(cacheRead),"#
        + #""cache_creation":{"ephemeral_5m_input_tokens":\#(write5m ?? cacheWrite),"ephemeral_1h_input_tokens":\#(write1h)},"#
        + #""output_tokens":\#(output),"service_tier":"standard"}"#
}

/// A Converse stream event decoded from its wire form (type + JSON payload).
func event(_ type: String, _ payload: String) throws -> ConverseStreamEvent {
    try ConverseStreamEvent(eventType: type, payload: try json(payload))
}
