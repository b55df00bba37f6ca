import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON

/// An error answer of the Anthropic face, shaped like the Anthropic API's: the status, a
/// `request-id` header and `{"type":"error","error":{"type":…,"message":…},"request_id":…}`
/// (inside a stream, the same object as an SSE `error` event).
struct AnthropicError: Error, Sendable, Hashable {
    /// `invalid_request_error`, `authentication_error`, `rate_limit_error`, `overloaded_error`, …
    var type: String
    var message: String
    var status: Int
    /// Seconds for the `retry-after` header (rate limits and overload).
    var retryAfter: Int?

    init(type: String, message: String, status: Int? = nil, retryAfter: Int? = nil) {
        self.type = type
        self.message = message
        self.status = status ?? Self.status(forType: type)
        self.retryAfter = retryAfter ?? (self.status == 429 ? 1 : nil)
    }

    /// The status the Anthropic API answers for an error type.
    static func status(forType type: String) -> Int {
        switch type {
        case "invalid_request_error": 400
        case "authentication_error": 401
        case "billing_error": 402
        case "permission_error": 403
        case "not_found_error": 404
        case "request_too_large": 413
        case "rate_limit_error": 429
        case "timeout_error": 504
        case "overloaded_error": 529
        default: 500
        }
    }

    static func invalid(_ message: String) -> AnthropicError {
        AnthropicError(type: "invalid_request_error", message: message)
    }

    static let missingKey = AnthropicError(type: "authentication_error", message: "x-api-key header is required")
    static let invalidKey = AnthropicError(type: "authentication_error", message: "invalid x-api-key")
    static let missingVersion = AnthropicError.invalid("anthropic-version: header is required")
    static let rateLimited = AnthropicError(
        type: "rate_limit_error",
        message:
            "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        retryAfter: 1)
    static let overloaded = AnthropicError(type: "overloaded_error", message: "Overloaded")
    static let internalError = AnthropicError(type: "api_error", message: "Internal server error")
    static let tooLarge = AnthropicError(
        type: "request_too_large", message: "Request exceeds the maximum allowed number of bytes.")

    static func unknownModel(_ model: String) -> AnthropicError {
        AnthropicError(type: "not_found_error", message: "model: \(model)")
    }

    /// The body object (also the data of a stream's `error` event).
    func body(requestID: String) -> JSONValue {
        [
            "type": "error", "error": ["type": .string(type), "message": .string(message)],
            "request_id": .string(requestID),
        ]
    }

    /// The HTTP response the Anthropic API would send.
    func response() -> Response {
        let requestID = AnthropicIDs.requestID()
        var buffer = ByteBuffer()
        body(requestID: requestID).write(into: &buffer)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name.requestId] = requestID
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}

/// The errors `sim:error:NAME`, `sim:stream_exception:NAME` and `--fault error:NAME` produce on
/// the Anthropic face. NAME is a short name shared with the Converse face where one fits
/// (`throttling`, `unavailable`, `internal`, …), an Anthropic short name (`rate_limit`,
/// `overloaded`, `api`, …) or an Anthropic error type (`overloaded_error`).
enum AnthropicErrorCatalog {
    static let errors: [String: AnthropicError] = [
        "invalid_request": .invalid("The simulator was asked to reject this request (sim:error:invalid_request)."),
        "validation": .invalid("The simulator was asked to reject this request (sim:error:validation)."),
        "authentication": .invalidKey,
        "permission": AnthropicError(
            type: "permission_error", message: "Your API key does not have permission to use the specified resource."),
        "access_denied": AnthropicError(
            type: "permission_error", message: "Your API key does not have permission to use the specified resource."),
        "not_found": AnthropicError(type: "not_found_error", message: "The requested resource could not be found."),
        "too_large": .tooLarge,
        "too_long": .invalid("prompt is too long: 200001 tokens > 200000 maximum"),
        "rate_limit": .rateLimited,
        "throttling": .rateLimited,
        "model_not_ready": .rateLimited,
        "api": .internalError,
        "internal": .internalError,
        "model_error": .internalError,
        "model_stream_error": .overloaded,
        "overloaded": .overloaded,
        "unavailable": .overloaded,
        "timeout": AnthropicError(type: "timeout_error", message: "Request timed out"),
        "model_timeout": AnthropicError(type: "timeout_error", message: "Request timed out"),
        "billing": AnthropicError(
            type: "billing_error", message: "Your credit balance is too low to access the Anthropic API."),
    ]

    /// Bedrock exception names (as the Converse face takes them) to the short names above.
    static let bedrockNames: [String: String] = [
        "ThrottlingException": "throttling", "ModelNotReadyException": "model_not_ready",
        "ValidationException": "validation", "AccessDeniedException": "access_denied",
        "ResourceNotFoundException": "not_found", "ModelTimeoutException": "model_timeout",
        "ModelErrorException": "model_error", "InternalServerException": "internal",
        "ServiceUnavailableException": "unavailable", "ModelStreamErrorException": "model_stream_error",
    ]

    /// The error for `name`; unknown names answer an `invalid_request_error` listing the known ones.
    static func error(named name: String) -> AnthropicError {
        if let error = errors[name] { return error }
        if let error = errors.values.first(where: { $0.type == name }) { return error }
        let capitalized = name.prefix(1).uppercased() + name.dropFirst()
        if let short = bedrockNames[capitalized], let error = errors[short] { return error }
        if name.hasSuffix("_error") { return AnthropicError(type: name, message: "Simulated \(name).") }
        let known = errors.keys.sorted().joined(separator: ", ")
        return .invalid("Unknown simulator error '\(name)'. Known errors: \(known).")
    }
}

/// The identifiers the Anthropic API puts on the wire.
enum AnthropicIDs {
    static func requestID() -> String { "req_011C" + RandomText.alphanumeric(20) }
    static func messageID() -> String { "msg_01" + RandomText.alphanumeric(22) }
    static func toolUseID() -> String { "toolu_01" + RandomText.alphanumeric(22) }
}

extension HTTPField.Name {
    // Valid tokens, so the initializer never fails; the fallbacks keep it trap-free.
    static let requestId = HTTPField.Name("request-id") ?? .contentType
    static let xAPIKey = HTTPField.Name("x-api-key") ?? .authorization
    static let anthropicVersion = HTTPField.Name("anthropic-version") ?? .contentType
    static let anthropicBeta = HTTPField.Name("anthropic-beta") ?? .contentType
}
