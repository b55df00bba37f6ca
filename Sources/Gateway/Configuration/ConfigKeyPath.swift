/// Where a value sits in a TOML document: keys and, inside arrays, element indices (from 0).
///
/// Prints the way users read it: keys joined with dots, unquoted, and indices in brackets
/// (`timeouts.connect`, `model.claude-sonnet-4.6.thinking`, `routes[0].targets[1]`).
public struct ConfigKeyPath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }

    /// `["timeouts", "connect"]` → `timeouts.connect`.
    public init(keys: [String]) { self.components = keys.map(Component.key) }

    public func appending(_ key: String) -> ConfigKeyPath { ConfigKeyPath(components + [.key(key)]) }
    public func appending(index: Int) -> ConfigKeyPath { ConfigKeyPath(components + [.index(index)]) }

    /// The enclosing path; nil for the document itself.
    public var parent: ConfigKeyPath? { components.isEmpty ? nil : ConfigKeyPath(components.dropLast()) }

    /// The last key (for an array element, the array's key).
    public var lastKey: String? {
        for component in components.reversed() { if case .key(let k) = component { return k } }
        return nil
    }

    public var description: String {
        var s = ""
        for component in components {
            switch component {
            case .key(let k): s += s.isEmpty ? k : ".\(k)"
            case .index(let i): s += "[\(i)]"
            }
        }
        return s
    }
}
