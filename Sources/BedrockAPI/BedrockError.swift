import NexusJSON

/// An error answer from Bedrock (or AI Nexus in front of it), in any of the shapes seen on the
/// wire: `x-amzn-ErrorType` header or `__type` member, `message` or `Message`.
public struct BedrockError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The exception name without namespace or URL, e.g. `ThrottlingException`.
    public var name: String
    public var message: String
    /// The HTTP status (200 for exceptions inside an event stream).
    public var status: Int

    public init(name: String, message: String, status: Int) {
        self.name = name
        self.message = message
        self.status = status
    }

    /// Builds an error from an HTTP error response.
    /// - Parameters:
    ///   - errorTypeHeader: the `x-amzn-ErrorType` header value, if any.
    ///   - body: the response body, parsed when it is JSON.
    public init(status: Int, errorTypeHeader: String?, body: JSONValue?) {
        let rawType = errorTypeHeader ?? body?["__type"]?.stringValue ?? body?["code"]?.stringValue
        var name = rawType.map(Self.normalize) ?? ""
        if name.isEmpty { name = Self.defaultName(forStatus: status) }
        let message =
            body?["message"]?.stringValue ?? body?["Message"]?.stringValue ?? body?["error"]?["message"]?.stringValue
            ?? body?["error"]?.stringValue ?? "HTTP \(status)"
        self.init(name: name, message: message, status: status)
    }

    /// `ThrottlingException:http://internal…` → `ThrottlingException`;
    /// `com.amazon.bedrock#ValidationException` → `ValidationException`; a stream's
    /// `throttlingException` → `ThrottlingException`.
    public static func normalize(_ raw: String) -> String {
        var name = Substring(raw)
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        if let hash = name.lastIndex(of: "#") { name = name[name.index(after: hash)...] }
        guard let first = name.first else { return "" }
        return first.uppercased() + name.dropFirst()
    }

    static func defaultName(forStatus status: Int) -> String {
        switch status {
        case 400: "ValidationException"
        case 401, 403: "AccessDeniedException"
        case 404: "ResourceNotFoundException"
        case 408: "ModelTimeoutException"
        case 424: "ModelErrorException"
        case 429: "ThrottlingException"
        case 503: "ServiceUnavailableException"
        default: "InternalServerException"
        }
    }

    /// Status Bedrock uses for each exception (for the simulator and for stream exceptions).
    public static func status(forName name: String) -> Int {
        switch name {
        case "ValidationException": 400
        case "AccessDeniedException": 403
        case "ResourceNotFoundException": 404
        case "ModelTimeoutException": 408
        case "ModelErrorException", "ModelStreamErrorException": 424
        case "ThrottlingException", "ModelNotReadyException": 429
        case "ServiceUnavailableException": 503
        default: 500
        }
    }

    public var description: String { "\(name) (\(status)): \(message)" }
}
