/// A configuration file: the subset of TOML the gateway needs (tables with dotted and quoted
/// names, `key = value` with strings, integers, floats, booleans and arrays of them, comments),
/// parsed with line numbers so every error names the file, line and key.
public struct ConfigFile: Sendable, Hashable {
    /// A value with the line it was defined on.
    public struct Entry: Sendable, Hashable {
        public var value: Value
        public var line: Int
    }

    public enum Value: Sendable, Hashable {
        case string(String)
        case integer(Int)
        case float(Double)
        case bool(Bool)
        case array([Value])

        var typeName: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .float: "a number"
            case .bool: "a boolean"
            case .array: "an array"
            }
        }
    }

    public let path: String
    /// Entries by full dotted key (`timeouts.connect`, `models.claude-3-5-haiku`).
    public private(set) var entries: [String: Entry] = [:]
    /// Keys in file order.
    public private(set) var order: [String] = []

    /// Parses file text. `path` is only used in error messages.
    public init(path: String, text: String) throws(ConfigError) {
        self.path = path
        var table: [String] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = offset + 1
            var scanner = Scanner(Substring(rawLine), path: path, line: lineNumber)
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.peek == "[" {
                scanner.advance()
                if scanner.peek == "[" {
                    throw scanner.error("arrays of tables ([[…]]) are not supported")
                }
                table = try scanner.keyPath(terminator: "]")
                scanner.skipSpaces()
                guard scanner.peek == "]" else { throw scanner.error("expected ']' to close the table name") }
                scanner.advance()
                scanner.skipSpaces()
                guard scanner.atEndOrComment else { throw scanner.error("unexpected text after the table name") }
                continue
            }
            let key = try scanner.keyPath(terminator: "=")
            scanner.skipSpaces()
            guard scanner.peek == "=" else { throw scanner.error("expected '=' after the key '\(key.joined(separator: "."))'") }
            scanner.advance()
            scanner.skipSpaces()
            let full = (table + key).joined(separator: ".")
            let value: Value
            do throws(ConfigError) {
                value = try scanner.value()
                scanner.skipSpaces()
                guard scanner.atEndOrComment else { throw scanner.error("unexpected text after the value") }
            } catch {
                // Name the key whose value is wrong.
                throw ConfigError(path: path, line: lineNumber, key: full, message: error.message)
            }
            if let previous = entries[full] {
                throw ConfigError(path: path, line: lineNumber, key: full, message: "defined twice (first on line \(previous.line))")
            }
            entries[full] = Entry(value: value, line: lineNumber)
            order.append(full)
        }
    }
}

/// A configuration problem, rendered as `file:line: key 'x': message`.
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

/// A cursor over one line.
private struct Scanner {
    let text: Substring
    var index: Substring.Index
    let path: String
    let line: Int

    init(_ text: Substring, path: String, line: Int) {
        self.text = text
        self.index = text.startIndex
        self.path = path
        self.line = line
    }

    var peek: Character? { index < text.endIndex ? text[index] : nil }
    var atEndOrComment: Bool { peek == nil || peek == "#" || peek == "\r" }
    mutating func advance() { index = text.index(after: index) }
    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { advance() } }

    func error(_ message: String) -> ConfigError { ConfigError(path: path, line: line, message: message) }

    mutating func keyPath(terminator: Character) throws(ConfigError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            if peek == "\"" {
                parts.append(try basicString())
            } else {
                var bare = ""
                while let c = peek, c.isLetter || c.isNumber || c == "_" || c == "-" {
                    bare.append(c)
                    advance()
                }
                guard !bare.isEmpty else { throw error("expected a key") }
                parts.append(bare)
            }
            skipSpaces()
            if peek == "." {
                advance()
                continue
            }
            return parts
        }
    }

    mutating func basicString() throws(ConfigError) -> String {
        advance()  // opening quote
        var result = ""
        while let c = peek {
            advance()
            switch c {
            case "\"":
                return result
            case "\\":
                guard let e = peek else { break }
                advance()
                switch e {
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                default: throw error("unsupported escape \\\(e) in a string")
                }
            default:
                result.append(c)
            }
        }
        throw error("unterminated string")
    }

    mutating func value() throws(ConfigError) -> ConfigFile.Value {
        switch peek {
        case "\"":
            return .string(try basicString())
        case "'":
            advance()
            var result = ""
            while let c = peek {
                advance()
                if c == "'" { return .string(result) }
                result.append(c)
            }
            throw error("unterminated string")
        case "[":
            advance()
            var items: [ConfigFile.Value] = []
            while true {
                skipSpaces()
                if peek == "]" {
                    advance()
                    return .array(items)
                }
                items.append(try value())
                skipSpaces()
                if peek == "," { advance() } else if peek != "]" { throw error("expected ',' or ']' in an array") }
            }
        case nil:
            throw error("missing value")
        default:
            var word = ""
            while let c = peek, !(c == " " || c == "\t" || c == "#" || c == "," || c == "]" || c == "\r") {
                word.append(c)
                advance()
            }
            if word == "true" { return .bool(true) }
            if word == "false" { return .bool(false) }
            let digits = word.replacingUnderscores
            if let i = Int(digits) { return .integer(i) }
            if let d = Double(digits), d.isFinite { return .float(d) }
            throw error("'\(word)' is not a valid value (strings need quotes)")
        }
    }
}

extension String {
    fileprivate var replacingUnderscores: String { String(filter { $0 != "_" }) }
}
