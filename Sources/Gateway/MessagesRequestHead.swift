import NIOHTTP1

/// What `MessagesResponder` reads of a messages request's head, and no more: the fast front
/// makes it straight from the request's bytes (no `HTTPRequestHead`, no `HTTPHeaders` array for
/// the three fields it carries), and `MessagesChannelHandler` from NIO's head.
///
/// Field values come without surrounding spaces and tabs (RFC 9110 §5.5), on both paths;
/// repeated `x-api-key` or `authorization` fields are joined with `, `, as `HTTPFields` joins
/// them on the router's path (and then fail the key check, as they should).
struct MessagesRequestHead: Sendable, Equatable {
    var version: HTTPVersion
    var keepAlive: Bool
    var apiKey: String?
    var authorization: String?
    /// The `anthropic-beta` fields, one per field as sent (each may list several, comma-separated).
    var betaFields: [String]
    /// `anthropic-version`, forwarded to Anthropic-compatible upstreams.
    var anthropicVersion: String?

    init(
        version: HTTPVersion = .http1_1, keepAlive: Bool = true, apiKey: String? = nil, authorization: String? = nil,
        betaFields: [String] = [], anthropicVersion: String? = nil
    ) {
        self.version = version
        self.keepAlive = keepAlive
        self.apiKey = apiKey
        self.authorization = authorization
        self.betaFields = betaFields
        self.anthropicVersion = anthropicVersion
    }

    /// From NIO's decoded head.
    init(_ head: HTTPRequestHead) {
        func values(_ name: String) -> [String] {
            head.headers[name].map { $0.trimmingCharacters(in: [" ", "\t"]) }
        }
        self.init(
            version: head.version, keepAlive: head.isKeepAlive, apiKey: Self.joined(values("x-api-key")),
            authorization: Self.joined(values("authorization")), betaFields: values("anthropic-beta"),
            anthropicVersion: values("anthropic-version").first)
    }

    /// Adds one `x-api-key` field's value (joined to an earlier one).
    mutating func addAPIKey(_ value: String) { apiKey = apiKey.map { "\($0), \(value)" } ?? value }

    /// Adds one `authorization` field's value (joined to an earlier one).
    mutating func addAuthorization(_ value: String) {
        authorization = authorization.map { "\($0), \(value)" } ?? value
    }

    private static func joined(_ values: [String]) -> String? {
        values.count <= 1 ? values.first : values.joined(separator: ", ")
    }
}
