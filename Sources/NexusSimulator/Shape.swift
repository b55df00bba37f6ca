/// A type in the Converse request model, reduced from botocore's service model to what the
/// simulator checks. The shapes themselves are in `ConverseShapes`.
indirect enum Shape: Sendable {
    case structure(StructureShape)
    case list(Shape, min: Int = 0, max: Int? = nil)
    case map(key: StringRule, value: StringRule, max: Int)
    case string(StringRule)
    /// A 32-bit integer.
    case integer(min: Int? = nil, max: Int? = nil)
    case float(min: Double, max: Double)
    case boolean
    /// Base64 text on the JSON wire, at least one byte.
    case blob
    /// A Smithy document: any JSON.
    case document
    /// Any JSON object, not looked into (members the simulator accepts but ignores).
    case looseObject
    /// A member Converse has but the served models do not support: the request fails with this message.
    case unsupported(String)
}

/// A structure (or union) shape.
struct StructureShape: Sendable {
    /// The botocore shape name, used in union errors.
    var name: String
    var members: [(name: String, shape: Shape)]
    var required: [String]
    /// Exactly one member must be set.
    var isUnion: Bool

    init(_ name: String, union: Bool = false, required: [String] = [], _ members: [(String, Shape)]) {
        self.name = name
        self.members = members.map { (name: $0.0, shape: $0.1) }
        self.required = required
        self.isUnion = union
    }

    func member(_ name: String) -> Shape? {
        for member in members where member.name == name { return member.shape }
        return nil
    }
}

/// Constraints on a string: length in Unicode scalars, a pattern, an enum.
struct StringRule: Sendable {
    var min: Int = 0
    var max: Int? = nil
    var pattern: Pattern? = nil
    var values: [String]? = nil

    static let any = StringRule()
    static let nonEmpty = StringRule(min: 1)

    static func oneOf(_ values: [String]) -> StringRule { StringRule(values: values) }
}

/// A pattern from the service model, as a predicate plus its text for error messages.
struct Pattern: Sendable {
    var text: String
    var matches: @Sendable (String) -> Bool

    /// Every scalar satisfies `allowed`.
    static func scalars(_ text: String, _ allowed: @escaping @Sendable (Unicode.Scalar) -> Bool) -> Pattern {
        Pattern(text: text) { $0.unicodeScalars.allSatisfy(allowed) }
    }

    static func isASCIIAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        default: false
        }
    }

    static let toolName = Pattern.scalars("[a-zA-Z0-9_-]+") { isASCIIAlphanumeric($0) || $0 == "_" || $0 == "-" }
    static let toolUseID = Pattern.scalars("[a-zA-Z0-9_.:-]+") {
        isASCIIAlphanumeric($0) || $0 == "_" || $0 == "." || $0 == ":" || $0 == "-"
    }
    static let accountID = Pattern(text: "[0-9]{12}") { text in
        text.unicodeScalars.count == 12 && text.unicodeScalars.allSatisfy { $0.value >= 0x30 && $0.value <= 0x39 }
    }
    static let s3URI = Pattern(text: "s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?") { text in
        guard text.hasPrefix("s3://") else { return false }
        let rest = text.dropFirst(5)
        let bucket = rest.prefix { $0 != "/" }
        guard (3...63).contains(bucket.count) else { return false }
        let edgesOK =
            bucket.first.map { $0.isLowercase || $0.isNumber } == true
            && bucket.last.map { $0.isLowercase || $0.isNumber } == true
        return edgesOK
            && bucket.unicodeScalars.allSatisfy { s in
                (s.value >= 0x61 && s.value <= 0x7A) || (s.value >= 0x30 && s.value <= 0x39) || s == "." || s == "-"
            }
    }
    static let requestMetadata = Pattern.scalars("[a-zA-Z0-9\\s:_@$#=/+,-.]") { s in
        isASCIIAlphanumeric(s) || " \t\n\r\u{0B}\u{0C}:_@$#=/+,-.".unicodeScalars.contains(s)
    }
}
