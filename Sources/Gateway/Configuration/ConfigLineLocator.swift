/// Finds the line on which each key of a TOML document is defined.
///
/// TOMLKit gives a document's values but not where they came from, and an error about a value
/// (unknown key, wrong type, out of range) must still name its line. This reads the text once,
/// knowing of TOML only what it takes to follow keys:
/// - the current table, from `[table]` and `[[array]]` headers (an `[[array]]` header opens the
///   array's next element, `upstreams[0]`, `upstreams[1]`, …; `[array.sub]` goes into its last);
/// - where keys start: `key =` lines with dotted, `"quoted"` and `'literal'` keys, the keys of
///   inline tables and the elements of arrays (which may span lines);
/// - what to skip: comments, and strings of all four kinds, so a `#`, `=` or `[` inside a string
///   is never taken for syntax.
///
/// It never fails: on text TOMLKit rejected it still finds the keys before the error, which
/// lets a syntax error name its key and a duplicate key say where it was first defined.
struct ConfigLineLocator: Sendable {
    /// A `key = value` or `[table]` header defining again what an earlier line defined.
    struct Redefinition: Sendable, Hashable {
        var path: ConfigKeyPath
        var line: Int
        var firstLine: Int
    }

    /// The first line each path appears on: its `key =`, its `[table]` or `[[array]]` header, or
    /// the first line that defined a key inside it.
    private(set) var lines: [ConfigKeyPath: Int] = [:]
    private(set) var redefinitions: [Redefinition] = []
    /// Every `key = value` with the lines its value spans, in document order (an inline table's
    /// keys after its own key, so the last span holding a line is the innermost).
    private var spans: [(path: ConfigKeyPath, first: Int, last: Int)] = []

    init(text: String) {
        var scan = Scan(bytes: Array(text.utf8))
        scan.document()
        lines = scan.lines
        redefinitions = scan.redefinitions
        spans = scan.spans
    }

    /// The line of `path`, else of its nearest enclosing path the text shows (an inline array of
    /// tables shows no header for its elements, say); nil for the document itself.
    func line(of path: ConfigKeyPath) -> Int? {
        var p: ConfigKeyPath? = path
        while let current = p {
            if let line = lines[current] { return line }
            p = current.parent
        }
        return nil
    }

    /// The innermost key whose `key = value` spans `line`, for naming the key of a syntax error.
    func key(onLine line: Int) -> ConfigKeyPath? {
        spans.last(where: { $0.first <= line && line <= $0.last })?.path
    }
}

/// The single pass behind `ConfigLineLocator`, over UTF-8 bytes.
private struct Scan {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var lines: [ConfigKeyPath: Int] = [:]
    var redefinitions: [ConfigLineLocator.Redefinition] = []
    var spans: [(path: ConfigKeyPath, first: Int, last: Int)] = []
    /// The table that `key = value` lines go into.
    var table = ConfigKeyPath()
    /// Elements so far of each array of tables.
    var arrayCounts: [ConfigKeyPath: Int] = [:]
    /// Lines of explicit `[table]` headers and of `key = value` definitions, to spot redefinitions.
    var headers: [ConfigKeyPath: Int] = [:]
    var assigned: [ConfigKeyPath: Int] = [:]

    init(bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
    func peek(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

    mutating func advance() {
        if bytes[i] == UInt8(ascii: "\n") { line += 1 }
        i += 1
    }

    mutating func document() {
        while i < bytes.count {
            skipBlank(newlines: true)
            guard let c = peek else { return }
            if c == UInt8(ascii: "[") { header() } else { keyValue(in: table) }
            // Whatever is left of the line is a comment (or an error TOMLKit reported).
            while let c = peek, c != UInt8(ascii: "\n") { advance() }
        }
    }

    /// `[a.b]` or `[[a.b]]`.
    mutating func header() {
        let start = line
        advance()
        let isArray = peek == UInt8(ascii: "[")
        if isArray { advance() }
        let keys = self.keys()
        guard let last = keys.last else { return }
        if isArray {
            let array = resolve(keys.dropLast()).appending(last)
            let n = arrayCounts[array, default: 0]
            arrayCounts[array] = n + 1
            table = array.appending(index: n)
        } else {
            table = resolve(keys[...])
            if let first = headers[table] {
                redefinitions.append(.init(path: table, line: start, firstLine: first))
            } else {
                headers[table] = start
            }
        }
        note(table, start)
    }

    /// The path a header's keys name: through an array of tables, its last element.
    func resolve(_ keys: ArraySlice<String>) -> ConfigKeyPath {
        var path = ConfigKeyPath()
        for key in keys {
            path = path.appending(key)
            if let n = arrayCounts[path] { path = path.appending(index: n - 1) }
        }
        return path
    }

    /// Records `path` and its enclosing paths at `line` unless an earlier line did.
    mutating func note(_ path: ConfigKeyPath, _ line: Int) {
        var p: ConfigKeyPath? = path
        while let current = p, !current.components.isEmpty, lines[current] == nil {
            lines[current] = line
            p = current.parent
        }
    }

    /// `key = value` (also inside an inline table, whose path is `base`).
    mutating func keyValue(in base: ConfigKeyPath) {
        let start = line
        let keys = self.keys()
        guard !keys.isEmpty else { return }
        skipBlank(newlines: false)
        guard peek == UInt8(ascii: "=") else { return }
        advance()
        skipBlank(newlines: false)
        let path = ConfigKeyPath(base.components + keys.map(ConfigKeyPath.Component.key))
        if let first = assigned[path] {
            redefinitions.append(.init(path: path, line: start, firstLine: first))
        } else {
            assigned[path] = start
        }
        note(path, start)
        let span = spans.count
        spans.append((path, start, start))
        value(at: path)
        spans[span].last = line
    }

    /// A dotted key: bare, `"basic"` or `'literal'` parts.
    mutating func keys() -> [String] {
        var keys: [String] = []
        while true {
            skipBlank(newlines: false)
            guard let c = peek else { break }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                keys.append(singleLineString())
            } else if isBare(c) {
                let start = i
                while let c = peek, isBare(c) { advance() }
                keys.append(String(decoding: bytes[start..<i], as: UTF8.self))
            } else {
                break
            }
            skipBlank(newlines: false)
            guard peek == UInt8(ascii: ".") else { break }
            advance()
        }
        return keys
    }

    func isBare(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    /// Skips a value, noting the keys of inline tables and the elements of arrays.
    mutating func value(at path: ConfigKeyPath) {
        guard let c = peek else { return }
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            if peek(1) == c && peek(2) == c { multiLineString(c) } else { _ = singleLineString() }
        case UInt8(ascii: "["):
            advance()
            var n = 0
            while peek != nil {
                skipBlank(newlines: true)
                guard let c = peek else { return }
                if c == UInt8(ascii: "]") {
                    advance()
                    return
                }
                if c == UInt8(ascii: ",") {
                    advance()
                    continue
                }
                let before = i
                note(path.appending(index: n), line)
                value(at: path.appending(index: n))
                n += 1
                if i == before { advance() }  // not a value: step over it
            }
        case UInt8(ascii: "{"):
            advance()
            while peek != nil {
                skipBlank(newlines: true)
                guard let c = peek else { return }
                if c == UInt8(ascii: "}") {
                    advance()
                    return
                }
                if c == UInt8(ascii: ",") {
                    advance()
                    continue
                }
                let before = i
                keyValue(in: path)
                if i == before { advance() }
            }
        default:
            // A number, boolean or date; a date-time may hold one space (`1979-05-27 07:32:00`).
            let start = i
            while let c = peek {
                if c == UInt8(ascii: " "), i - start == 10, bytes[start + 4] == UInt8(ascii: "-"),
                    let d = peek(1), d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9")
                {
                    advance()
                    continue
                }
                if [" ", "\t", "\r", "\n", ",", "]", "}", "#"].contains(where: { UInt8(ascii: $0) == c }) { break }
                advance()
            }
        }
    }

    /// A `"basic"` (escapes decoded, for keys) or `'literal'` string, ending at its quote or the
    /// line's end.
    mutating func singleLineString() -> String {
        let quote = bytes[i]
        advance()
        var out: [UInt8] = []
        while let c = peek, c != UInt8(ascii: "\n") {
            advance()
            if c == quote { break }
            if quote == UInt8(ascii: "\""), c == UInt8(ascii: "\\"), let e = peek, e != UInt8(ascii: "\n") {
                advance()
                out += escaped(e)
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes an escape stands for (`\n`, `\uXXXX`, …); the text itself when unknown.
    mutating func escaped(_ e: UInt8) -> [UInt8] {
        switch e {
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "u") ? 4 : 8
            guard i + count <= bytes.count,
                let v = UInt32(String(decoding: bytes[i..<i + count], as: UTF8.self), radix: 16),
                let scalar = Unicode.Scalar(v)
            else { return [UInt8(ascii: "\\"), e] }
            for _ in 0..<count { advance() }
            return Array(String(Character(scalar)).utf8)
        default: return [e]
        }
    }

    /// `"""…"""` or `'''…'''` (up to two more quotes may end it: `""""` is a quote then the end).
    mutating func multiLineString(_ quote: UInt8) {
        for _ in 0..<3 { advance() }
        while let c = peek {
            if c == quote, peek(1) == quote, peek(2) == quote {
                for _ in 0..<3 { advance() }
                while peek == quote { advance() }
                return
            }
            advance()
            if quote == UInt8(ascii: "\""), c == UInt8(ascii: "\\"), peek != nil { advance() }
        }
    }

    /// Spaces, tabs, carriage returns and comments; line ends too when `newlines`.
    mutating func skipBlank(newlines: Bool) {
        while let c = peek {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "\n") && newlines {
                advance()
            } else if c == UInt8(ascii: "#") {
                while let d = peek, d != UInt8(ascii: "\n") { advance() }
            } else {
                return
            }
        }
    }
}
