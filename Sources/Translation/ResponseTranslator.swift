import AnthropicAPI
import BedrockAPI
import NexusJSON

/// Translates Converse answers and errors into Anthropic ones.
public enum ResponseTranslator {
    /// Maps a Converse `stopReason`. Malformed model output has no Anthropic stop reason and
    /// becomes an error.
    public static func stopReason(_ converse: String) throws(APIError) -> String {
        switch converse {
        case "end_turn", "tool_use", "max_tokens", "stop_sequence", "model_context_window_exceeded":
            return converse
        case "guardrail_intervened", "content_filtered":
            return "refusal"
        case "malformed_model_output", "malformed_tool_use":
            throw APIError(.api, "The model produced malformed output (\(converse)). Retry the request.")
        default:
            return "end_turn"
        }
    }

    /// `additionalModelResponseFields.stop_sequence`, when the stop reason is `stop_sequence`.
    public static func stopSequence(_ fields: JSONValue?, stopReason: String) -> String? {
        guard stopReason == "stop_sequence" else { return nil }
        return fields?["stop_sequence"]?.stringValue
    }

    public static func usage(_ u: ConverseUsage) -> Usage {
        Usage(
            inputTokens: u.inputTokens, outputTokens: u.outputTokens, cacheCreationInputTokens: u.cacheWriteInputTokens,
            cacheReadInputTokens: u.cacheReadInputTokens, cacheCreation5m: u.cacheWriteByTTL["5m"],
            cacheCreation1h: u.cacheWriteByTTL["1h"])
    }

    /// Translates a complete Converse response.
    /// - Parameters:
    ///   - id: the `msg_…` id to give the message.
    ///   - model: the model name the client asked for.
    ///   - toolNameMap: Converse tool names to restore (from `TranslatedRequest.toolNameMap`).
    public static func message(
        _ response: ConverseResponse, id: String, model: String, toolNameMap: [String: String] = [:]
    ) throws(APIError) -> MessagesResponse {
        var content: [ResponseBlock] = []
        content.reserveCapacity(response.content.count)
        for block in response.content {
            switch block {
            case .text(let t):
                content.append(.text(t))
            case .toolUse(let id, let name, let input):
                content.append(.toolUse(id: id, name: toolNameMap[name] ?? name, input: input))
            case .reasoningText(let text, let signature):
                content.append(.thinking(thinking: text, signature: signature ?? ""))
            case .redactedContent(let data):
                content.append(.redactedThinking(data: data))
            default:
                continue
            }
        }
        let stop = try stopReason(response.stopReason)
        return MessagesResponse(
            id: id, model: model, content: content, stopReason: stop,
            stopSequence: stopSequence(response.additionalModelResponseFields, stopReason: stop),
            usage: usage(response.usage))
    }

    /// Phrases with which Bedrock says the prompt does not fit the context window.
    static let tooLongPhrases = [
        "input is too long", "too many total text bytes", "prompt is too long", "context window", "too many input tokens",
        "input length and `max_tokens` exceed context limit", "maximum context length",
    ]

    /// Maps a Bedrock error to the Anthropic error the client should see (status table in
    /// `docs/translation.md`).
    public static func error(_ e: BedrockError, retryAfter: Int? = nil) -> APIError {
        let lower = e.message.lowercased()
        switch e.name {
        case "ValidationException":
            if e.message.hasPrefix("prompt is too long") { return .invalid(e.message) }
            if tooLongPhrases.contains(where: lower.contains) {
                return .invalid("prompt is too long: \(e.message)")
            }
            return .invalid(e.message)
        case "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException":
            if e.status == 401 || lower.contains("authentication") || lower.contains("api key")
                || lower.contains("token") || lower.contains("credential") || lower.contains("signature")
            {
                return APIError(.authentication, "AI Nexus rejected the gateway's key: \(e.message)")
            }
            return APIError(.permission, e.message)
        case "ResourceNotFoundException":
            return APIError(.notFound, e.message)
        case "ModelTimeoutException":
            return APIError(.timeout, e.message)
        case "ThrottlingException", "ModelNotReadyException", "TooManyRequestsException":
            return APIError(.rateLimit, e.message, retryAfter: retryAfter)
        case "ServiceUnavailableException":
            return APIError(.overloaded, e.message, retryAfter: retryAfter)
        case "ModelErrorException", "ModelStreamErrorException", "InternalServerException":
            return APIError(.api, e.message)
        default:
            switch e.status {
            case 400: return .invalid(e.message)
            case 401: return APIError(.authentication, e.message)
            case 403: return APIError(.permission, e.message)
            case 404: return APIError(.notFound, e.message)
            case 408, 504: return APIError(.timeout, e.message)
            case 413: return APIError(.requestTooLarge, e.message)
            case 429: return APIError(.rateLimit, e.message, retryAfter: retryAfter)
            case 503, 529: return APIError(.overloaded, e.message, retryAfter: retryAfter)
            default: return APIError(.api, e.message)
            }
        }
    }
}
