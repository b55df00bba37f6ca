/// A configuration problem, rendered as `file:line: key 'x': message`.
///
/// Keys are named by their path (`timeouts.connect`, `upstreams[1].key_env`, array indices from
/// 0), so a user finds the place to fix from the message alone.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var key: String?
    public var message: String

    public init(path: String, line: Int? = nil, key: String? = nil, message: String) {
        self.path = path
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var s = path
        if let line { s += ":\(line)" }
        s += ": "
        if let key { s += "key '\(key)': " }
        return s + message
    }
}
