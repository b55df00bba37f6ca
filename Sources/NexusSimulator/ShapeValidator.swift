import NexusJSON

/// Walks a request body against a `Shape`, the way Bedrock's front end does.
///
/// - Structural problems (an unknown member, a wrong JSON type, a union with other than one member,
///   bad base64) stop the walk at once: `Malformed input request: …`.
/// - Constraint violations (missing required members, lengths, patterns, enums, ranges) are
///   collected and reported together in AWS's wording:
///   `2 validation errors detected: Value '' at 'messages.1.member.content.1.member.toolUse.name'
///   failed to satisfy constraint: Member must have length greater than or equal to 1; …`
///   (AWS paths are 1-based and name list elements `member`).
struct ShapeValidator {
    /// Constraint violations found so far.
    private(set) var violations: [String] = []
    /// Where the first structural error was found, as a JSON pointer (for logs).
    private(set) var failurePointer: String?

    /// Reports at most this many violations, like AWS.
    private static let maxReported = 10

    /// Validates `value` against `shape`.
    static func validate(_ value: JSONValue, as shape: Shape) -> SimulatorError? {
        var validator = ShapeValidator()
        do {
            try validator.check(value, shape, awsPath: "", pointer: "#")
        } catch {
            return error
        }
        return validator.violationError
    }

    /// The collected violations as one `ValidationException`, or nil.
    var violationError: SimulatorError? {
        guard !violations.isEmpty else { return nil }
        let count = violations.count
        let noun = count == 1 ? "validation error" : "validation errors"
        let listed = violations.prefix(Self.maxReported).joined(separator: "; ")
        return .validation("\(count) \(noun) detected: \(listed)")
    }

    mutating func check(_ value: JSONValue, _ shape: Shape, awsPath: String, pointer: String) throws(SimulatorError) {
        switch shape {
        case .structure(let structure):
            try checkStructure(value, structure, awsPath: awsPath, pointer: pointer)
        case .list(let element, let min, let max):
            guard case .array(let elements) = value else { throw typeMismatch(pointer, expected: "JSONArray", value) }
            if elements.count < min {
                violate(awsPath, shown: "[]", "Member must have length greater than or equal to \(min)")
            }
            if let max, elements.count > max {
                violate(awsPath, shown: nil, "Member must have length less than or equal to \(max)")
            }
            for (index, item) in elements.enumerated() {
                let itemPath = "\(awsPath).\(index + 1).member"
                if item.isNull {
                    violate(itemPath, shown: "null", "Member must not be null")
                    continue
                }
                try check(item, element, awsPath: itemPath, pointer: "\(pointer)/\(index)")
            }
        case .map(let keyRule, let valueRule, let max):
            guard case .object(let object) = value else { throw typeMismatch(pointer, expected: "JSONObject", value) }
            if object.count > max {
                violate(awsPath, shown: nil, "Member must have length less than or equal to \(max)")
            }
            for (key, item) in object {
                checkString(key, keyRule, awsPath: "\(awsPath).key")
                guard case .string(let text) = item else {
                    throw typeMismatch("\(pointer)/\(key)", expected: "String", item)
                }
                checkString(text.string, valueRule, awsPath: "\(awsPath).\(key).value")
            }
        case .string(let rule):
            guard case .string(let text) = value else { throw typeMismatch(pointer, expected: "String", value) }
            checkString(text.string, rule, awsPath: awsPath)
        case .integer(let min, let max):
            guard case .number = value, let number = value.intValue, number >= Int(Int32.min), number <= Int(Int32.max)
            else { throw typeMismatch(pointer, expected: "Integer", value) }
            if let min, number < min {
                violate(awsPath, shown: String(number), "Member must have value greater than or equal to \(min)")
            }
            if let max, number > max {
                violate(awsPath, shown: String(number), "Member must have value less than or equal to \(max)")
            }
        case .float(let min, let max):
            guard case .number(let literal) = value, let number = value.doubleValue, number.isFinite else {
                throw typeMismatch(pointer, expected: "Number", value)
            }
            if number < min {
                violate(awsPath, shown: literal, "Member must have value greater than or equal to \(Self.render(min))")
            }
            if number > max {
                violate(awsPath, shown: literal, "Member must have value less than or equal to \(Self.render(max))")
            }
        case .boolean:
            guard case .bool = value else { throw typeMismatch(pointer, expected: "Boolean", value) }
        case .blob:
            guard case .string(let text) = value else { throw typeMismatch(pointer, expected: "String", value) }
            if text.isEmpty {
                violate(awsPath, shown: nil, "Member must have length greater than or equal to 1")
            } else if !Base64.isValid(text.string) {
                failurePointer = pointer
                throw .malformed("\(pointer): invalid base64 value")
            }
        case .document:
            break
        case .looseObject:
            guard case .object = value else { throw typeMismatch(pointer, expected: "JSONObject", value) }
        case .unsupported(let message):
            failurePointer = pointer
            throw .validation(message)
        }
    }

    private mutating func checkStructure(
        _ value: JSONValue, _ structure: StructureShape, awsPath: String, pointer: String
    ) throws(SimulatorError) {
        guard case .object(let object) = value else { throw typeMismatch(pointer, expected: "JSONObject", value) }
        var setMembers: [String] = []
        for (key, _) in object where structure.member(key) == nil {
            failurePointer = pointer
            throw .malformed("extraneous key [\(key)] is not permitted")
        }
        if structure.isUnion {
            for (key, item) in object where !item.isNull { setMembers.append(key) }
            guard setMembers.count == 1 else {
                failurePointer = pointer
                let found = setMembers.isEmpty ? "none" : setMembers.joined(separator: ", ")
                throw .malformed(
                    "\(pointer): exactly one member of \(structure.name) must be set, found \(setMembers.count) (\(found))"
                )
            }
        }
        for (key, item) in object where !item.isNull {
            guard let member = structure.member(key) else { continue }
            let childPath = awsPath.isEmpty ? key : "\(awsPath).\(key)"
            try check(item, member, awsPath: childPath, pointer: "\(pointer)/\(Self.escapePointer(key))")
        }
        for name in structure.required where object[name]?.isNull ?? true {
            violate(awsPath.isEmpty ? name : "\(awsPath).\(name)", shown: "null", "Member must not be null")
        }
    }

    private mutating func checkString(_ text: String, _ rule: StringRule, awsPath: String) {
        let length = text.unicodeScalars.count
        if length < rule.min {
            violate(awsPath, shown: text, "Member must have length greater than or equal to \(rule.min)")
        }
        if let max = rule.max, length > max {
            violate(awsPath, shown: text, "Member must have length less than or equal to \(max)")
        }
        if let pattern = rule.pattern, length > 0, !pattern.matches(text) {
            violate(awsPath, shown: text, "Member must satisfy regular expression pattern: \(pattern.text)")
        }
        if let values = rule.values, !values.contains(text) {
            violate(awsPath, shown: text, "Member must satisfy enum value set: [\(values.joined(separator: ", "))]")
        }
    }

    /// Records `Value '<shown>' at '<path>' failed to satisfy constraint: <constraint>`.
    private mutating func violate(_ awsPath: String, shown: String?, _ constraint: String) {
        let value: String
        switch shown {
        case nil: value = "Value"
        case "null": value = "Value null"
        case let text?:
            let clipped = text.unicodeScalars.count > 100 ? String(text.prefix(100)) + "…" : text
            value = "Value '\(clipped)'"
        }
        violations.append("\(value) at '\(awsPath)' failed to satisfy constraint: \(constraint)")
    }

    private mutating func typeMismatch(_ pointer: String, expected: String, _ found: JSONValue) -> SimulatorError {
        failurePointer = pointer
        return .malformed("\(pointer): expected type: \(expected), found: \(Self.javaTypeName(found))")
    }

    /// Type names as Bedrock's (Java) JSON validator prints them.
    static func javaTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "Null"
        case .bool: "Boolean"
        case .number(let literal): Int(literal) != nil ? "Integer" : "BigDecimal"
        case .string: "String"
        case .array: "JSONArray"
        case .object: "JSONObject"
        }
    }

    /// `~` and `/` escaped as in RFC 6901.
    static func escapePointer(_ key: String) -> String {
        guard key.contains("~") || key.contains("/") else { return key }
        var escaped = ""
        for character in key {
            switch character {
            case "~": escaped += "~0"
            case "/": escaped += "~1"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func render(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }
}
