import TOMLKit

/// A configuration file: TOML, parsed by TOMLKit (toml++), with the line of every key so each
/// error names the file, the line and the key.
public struct ConfigFile: Sendable {
    /// A TOML value. Tables and arrays of tables (`[[upstreams]]`) are nested values.
    public indirect enum Value: Sendable, Hashable {
        case string(String)
        case integer(Int)
        case float(Double)
        case bool(Bool)
        /// A date, time or date-time, as written back by TOMLKit (no key takes one).
        case dateTime(String)
        case array([Value])
        case table([String: Value])

        var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .float: "a number"
            case .bool: "a boolean"
            case .dateTime: "a date"
            case .array: "an array"
            case .table: "a table"
            }
        }
    }

    public let path: String
    /// The document's top-level keys.
    public let root: [String: Value]
    let locator: ConfigLineLocator

    /// Parses file text. `path` is only used in error messages.
    ///
    /// A syntax error names the line toml++ reports, the key being defined on it when there is
    /// one, and the column; a key defined twice says where it was first defined.
    public init(path: String, text: String) throws(ConfigError) {
        self.path = path
        locator = ConfigLineLocator(text: text)
        // TOMLKit hands toml++ a C string: the text after a NUL byte would be silently ignored.
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            throw ConfigError(
                path: path, line: line, key: locator.key(onLine: line)?.description,
                message: "a NUL character, which TOML does not allow (is this a text file?)")
        }
        // Parsed once at start-up: TOMLKit 0.6.0 never frees a parsed document, which is fine here.
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let line = error.source.begin.line
            if let twice = locator.redefinitions.first(where: { $0.line == line }) {
                throw ConfigError(
                    path: path, line: line, key: twice.path.description,
                    message: "defined twice (first on line \(twice.firstLine))")
            }
            let key = locator.key(onLine: line)
            var message = "\(error.description) (column \(error.source.begin.column))"
            if key != nil, Self.isUnquotedWord(afterEqualsOnLine: line, of: text) { message += "; strings need quotes" }
            throw ConfigError(path: path, line: line, key: key?.description, message: message)
        } catch {
            throw ConfigError(path: path, message: "cannot parse the file: \(error)")
        }
        root = Self.convert(table)
    }

    /// The line `path` is defined on (else the line of its nearest enclosing table or array).
    public func line(of path: ConfigKeyPath) -> Int? { locator.line(of: path) }

    /// The entries of a table in file order.
    func ordered(_ table: [String: Value], at path: ConfigKeyPath) -> [(key: String, value: Value)] {
        table.map { (key: $0.key, value: $0.value) }.sorted {
            let a = line(of: path.appending($0.key)) ?? 0
            let b = line(of: path.appending($1.key)) ?? 0
            return a != b ? a < b : $0.key < $1.key
        }
    }

    /// Whether `key = word` on `line` has an unquoted word for its value (`log_level = info`),
    /// which toml++ reports as a malformed number or value: the usual mistake is missing quotes.
    static func isUnquotedWord(afterEqualsOnLine line: Int, of text: String) -> Bool {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count, let equals = lines[line - 1].firstIndex(of: "=") else { return false }
        let word = lines[line - 1][lines[line - 1].index(after: equals)...]
            .drop(while: { $0 == " " || $0 == "\t" })
            .prefix(while: { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." })
        guard let first = word.first, first.isLetter else { return false }
        return !["true", "false", "inf", "nan"].contains(String(word))
    }

    static func convert(_ table: TOMLTable) -> [String: Value] {
        var out: [String: Value] = [:]
        for (key, value) in table { out[key] = convert(value) }
        return out
    }

    static func convert(_ value: TOMLValueConvertible) -> Value {
        switch value.type {
        case .string: .string(value.string ?? "")
        case .int: .integer(value.int ?? 0)
        case .double: .float(value.double ?? .nan)
        case .bool: .bool(value.bool ?? false)
        case .date, .time, .dateTime: .dateTime(value.debugDescription)
        case .array: .array(value.array.map { $0.map(convert) } ?? [])
        case .table: .table(value.table.map(convert) ?? [:])
        }
    }
}
