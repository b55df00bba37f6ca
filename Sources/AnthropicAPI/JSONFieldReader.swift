import NexusJSON

/// Reads typed fields out of a JSON object, producing Anthropic-style validation messages
/// (`messages.0.content.1.text: Field required`) that name the exact path of the problem.
public struct JSONFieldReader: Sendable {
    public let object: JSONObject
    /// Dotted path of this object inside the request (empty at the top level).
    public let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// Reads the value at `path` as an object, or fails with "Input should be a valid dictionary".
    public init(_ value: JSONValue, path: String) throws(APIError) {
        guard case .object(let object) = value else {
            throw .invalid("\(path): Input should be a valid dictionary or object")
        }
        self.init(object, path: path)
    }

    /// The dotted path of a member.
    public func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A member that is present and not null.
    public func value(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    public func required(_ key: String) throws(APIError) -> JSONValue {
        guard let value = object[key] else { throw .invalid("\(path(key)): Field required") }
        return value
    }

    public func string(_ key: String) throws(APIError) -> String {
        try text(key).string
    }

    public func optionalString(_ key: String) throws(APIError) -> String? {
        try optionalText(key)?.string
    }

    /// A string member as it is: a long literal stays one, to be written back as it came.
    public func text(_ key: String) throws(APIError) -> JSONString {
        let value = try required(key)
        guard case .string(let s) = value else { throw typeError(key, "a valid string") }
        return s
    }

    /// An optional string member as it is; see `text(_:)`.
    public func optionalText(_ key: String) throws(APIError) -> JSONString? {
        guard let value = value(key) else { return nil }
        guard case .string(let s) = value else { throw typeError(key, "a valid string") }
        return s
    }

    public func int(_ key: String) throws(APIError) -> Int {
        let value = try required(key)
        guard let i = value.intValue else { throw typeError(key, "a valid integer") }
        return i
    }

    public func optionalInt(_ key: String) throws(APIError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let i = value.intValue else { throw typeError(key, "a valid integer") }
        return i
    }

    public func optionalDouble(_ key: String) throws(APIError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let d = value.doubleValue else { throw typeError(key, "a valid number") }
        return d
    }

    public func optionalBool(_ key: String) throws(APIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let b) = value else { throw typeError(key, "a valid boolean") }
        return b
    }

    public func array(_ key: String) throws(APIError) -> [JSONValue] {
        let value = try required(key)
        guard case .array(let a) = value else { throw typeError(key, "a valid list") }
        return a
    }

    public func optionalArray(_ key: String) throws(APIError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case .array(let a) = value else { throw typeError(key, "a valid list") }
        return a
    }

    public func optionalObject(_ key: String) throws(APIError) -> JSONFieldReader? {
        guard let value = value(key) else { return nil }
        return try JSONFieldReader(value, path: path(key))
    }

    public func object(_ key: String) throws(APIError) -> JSONFieldReader {
        try JSONFieldReader(try required(key), path: path(key))
    }

    public func typeError(_ key: String, _ expected: String) -> APIError {
        .invalid("\(path(key)): Input should be \(expected)")
    }
}
