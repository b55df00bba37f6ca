import NexusJSON

/// A client-facing error: what the gateway answers when it cannot, or should not, serve a request.
///
/// Every failure in the gateway ends up as one of these values and is rendered in exactly one
/// place (`jsonBody(requestID:)`), so clients always see Anthropic's error shape:
/// `{"type":"error","error":{"type":…,"message":…},"request_id":…}`.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Anthropic's `error.type` values, each with its HTTP status.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case invalidRequest = "invalid_request_error"
        case authentication = "authentication_error"
        case permission = "permission_error"
        case notFound = "not_found_error"
        case requestTooLarge = "request_too_large"
        case rateLimit = "rate_limit_error"
        case api = "api_error"
        case timeout = "timeout_error"
        case overloaded = "overloaded_error"

        /// The HTTP status Anthropic's API uses for this kind.
        public var defaultStatus: Int {
            switch self {
            case .invalidRequest: 400
            case .authentication: 401
            case .permission: 403
            case .notFound: 404
            case .requestTooLarge: 413
            case .rateLimit: 429
            case .api: 500
            case .timeout: 504
            case .overloaded: 529
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// The HTTP status; usually `kind.defaultStatus`, but e.g. 502 for an unreachable upstream.
    public var status: Int
    /// Seconds the client should wait before retrying (429/529), rendered as `retry-after`.
    public var retryAfter: Int?

    public init(_ kind: Kind, _ message: String, status: Int? = nil, retryAfter: Int? = nil) {
        self.kind = kind
        self.message = message
        self.status = status ?? kind.defaultStatus
        self.retryAfter = retryAfter
    }

    public var description: String { "\(status) \(kind.rawValue): \(message)" }

    /// Shorthand for the most common error: a 400 about the request's content.
    public static func invalid(_ message: String) -> APIError { APIError(.invalidRequest, message) }

    /// The Anthropic error object (`{"type":"error","error":{…}}`), as sent in JSON bodies and in
    /// the `data:` of an SSE `event: error`.
    public func jsonValue(requestID: String?) -> JSONValue {
        var error = JSONObject(minimumCapacity: 2)
        error.append("type", .string(kind.rawValue))
        error.append("message", .string(message))
        var body = JSONObject(minimumCapacity: 3)
        body.append("type", "error")
        body.append("error", .object(error))
        if let requestID { body.append("request_id", .string(requestID)) }
        return .object(body)
    }
}
