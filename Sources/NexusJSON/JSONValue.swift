/// A JSON value that keeps what matters for a byte-faithful gateway.
///
/// - Object members keep their order, so a system prompt or a tool schema that passes through
///   the gateway is re-serialized with its keys in the client's order (prompt caching keys on
///   the exact bytes upstream).
/// - Numbers keep their literal text (`1.0` stays `1.0`, `12345678901234567890` loses nothing).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text, exactly as parsed (or as produced by `JSONValue.int`/`double`).
    case number(String)
    case string(JSONString)
    case array([JSONValue])
    case object(JSONObject)

    /// A string value.
    @inlinable public static func string(_ value: String) -> JSONValue { .string(JSONString(value)) }

    /// A number value from an integer.
    @inlinable public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A number value from a double; integral values render without a fraction.
    public static func double(_ value: Double) -> JSONValue {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            return .number(String(Int(value)))
        }
        return .number(value.isFinite ? "\(value)" : "null")
    }
}

extension JSONValue {
    /// The string payload's text, or nil. A checked literal is decoded on each use.
    @inlinable public var stringValue: String? {
        if case .string(let s) = self { return s.string }
        return nil
    }

    /// The string payload as it is (a checked literal stays one), or nil.
    @inlinable public var jsonStringValue: JSONString? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The boolean payload, or nil.
    @inlinable public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number as an `Int` when it is integral and in range, else nil.
    public var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let i = Int(text) { return i }
        if let d = Double(text), d == d.rounded(), abs(d) < 9.0e18 { return Int(d) }
        return nil
    }

    /// The number as a `Double`, or nil.
    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// The array payload, or nil.
    @inlinable public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The object payload, or nil.
    @inlinable public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// True for `.null`.
    @inlinable public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Member lookup on objects; nil for other kinds or absent keys.
    @inlinable public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The JSON type name used in error messages ("string", "object", …).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// An ordered JSON object. Lookups are linear: objects on this API's wire are small.
///
/// An object that a parse keeps verbatim (`verbatimKeys`) is its checked source text until
/// something changes it: it is written back as it came, and each read of its members parses
/// them again. Equality and hashing go by members either way.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSONValue)

    /// The members; empty while `verbatim` holds them.
    @usableFromInline var storage: [Element]
    @usableFromInline var verbatim: JSONVerbatimObject?

    @inlinable public init() {
        storage = []
        verbatim = nil
    }

    @inlinable public init(minimumCapacity: Int) {
        storage = []
        storage.reserveCapacity(minimumCapacity)
        verbatim = nil
    }

    @inlinable public init(_ members: [Element]) {
        storage = members
        verbatim = nil
    }

    init(verbatim: JSONVerbatimObject) {
        storage = []
        self.verbatim = verbatim
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        storage = elements.map { (key: $0.0, value: $0.1) }
        verbatim = nil
    }

    /// The members in order (parsed from the source text for a verbatim object).
    @inlinable public var members: [Element] {
        if let verbatim { return verbatim.members }
        return storage
    }

    /// True when the object is still the source text a parse kept.
    public var isVerbatim: Bool { verbatim != nil }

    /// Number of members.
    @inlinable public var count: Int { verbatim?.count ?? storage.count }
    @inlinable public var isEmpty: Bool { count == 0 }
    /// Member keys in order.
    public var keys: [String] { members.map(\.key) }

    /// Get or set a member. Setting nil removes it; setting an existing key keeps its position.
    @inlinable public subscript(key: String) -> JSONValue? {
        get {
            if let verbatim {
                for member in verbatim.members where member.key == key { return member.value }
                return nil
            }
            for member in storage where member.key == key { return member.value }
            return nil
        }
        set {
            materialize()
            if let index = storage.firstIndex(where: { $0.key == key }) {
                if let newValue { storage[index].value = newValue } else { storage.remove(at: index) }
            } else if let newValue {
                storage.append((key: key, value: newValue))
            }
        }
    }

    /// Appends a member without checking for duplicates (for builders that know keys are new).
    @inlinable public mutating func append(_ key: String, _ value: JSONValue) {
        materialize()
        storage.append((key: key, value: value))
    }

    /// Turns a verbatim object into members, before a change.
    @inlinable mutating func materialize() {
        if let verbatim {
            storage = verbatim.members
            self.verbatim = nil
        }
    }

    @inlinable public func makeIterator() -> IndexingIterator<[Element]> { members.makeIterator() }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        if let left = lhs.verbatim, let right = rhs.verbatim, left.bytes == right.bytes { return true }
        let (left, right) = (lhs.members, rhs.members)
        return left.count == right.count
            && zip(left, right).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        let members = members
        hasher.combine(members.count)
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(JSONString(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
}
