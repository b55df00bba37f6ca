import Testing

@testable import NexusJSON

/// One malformed input and the error it must produce.
struct ErrorCase: Sendable, CustomTestStringConvertible {
    var input: [UInt8]
    var reason: String
    var line: Int
    var column: Int
    var offset: Int?

    init(_ input: String, _ reason: String, line: Int = 1, column: Int, offset: Int? = nil) {
        self.init(bytes: Array(input.utf8), reason, line: line, column: column, offset: offset)
    }

    init(bytes: [UInt8], _ reason: String, line: Int = 1, column: Int, offset: Int? = nil) {
        self.input = bytes
        self.reason = reason
        self.line = line
        self.column = column
        self.offset = offset
    }

    var testDescription: String { String(decoding: input, as: UTF8.self).debugDescription }
}

@Suite("Rejecting malformed JSON")
struct ParserErrorTests {
    static let structureCases: [ErrorCase] = [
        ErrorCase("", "Unexpected end of input", column: 1),
        ErrorCase("   ", "Unexpected end of input", column: 4),
        ErrorCase("[", "Unexpected end of input", column: 2),
        ErrorCase(#"{"a":"#, "Unexpected end of input", column: 6),
        ErrorCase("[1,2", "Unexpected end of input", column: 5),
        ErrorCase(#"{"a""#, "Unexpected end of input", column: 5),
        ErrorCase("{", "Unexpected end of input", column: 2),
        ErrorCase(#"{"a":1}}"#, "Unexpected character '}' after the JSON value", column: 8),
        ErrorCase("1 2", "Unexpected character '2' after the JSON value", column: 3),
        ErrorCase("[1] x", "Unexpected character 'x' after the JSON value", column: 5),
        ErrorCase("[1,]", "Unexpected character ']'", column: 4),
        ErrorCase("[,1]", "Unexpected character ','", column: 2),
        ErrorCase("[1 2]", "Expected ',' or ']' but found '2'", column: 4),
        ErrorCase("[1}", "Expected ',' or ']' but found '}'", column: 3),
        ErrorCase(#"{"a":1,}"#, "Expected a double-quoted object key but found '}'", column: 8),
        ErrorCase("{a:1}", "Expected a double-quoted object key but found 'a'", column: 2),
        ErrorCase("{'a':1}", "Expected a double-quoted object key but found '''", column: 2),
        ErrorCase(#"{"a" 1}"#, "Expected ':' after object key but found '1'", column: 6),
        ErrorCase(#"{"a":1 "b":2}"#, "Expected ',' or '}' but found '\"'", column: 8),
        ErrorCase(#"{"a":1]"#, "Expected ',' or '}' but found ']'", column: 7),
        ErrorCase("{\n  \"a\": 1,\n  \"b\": }", "Unexpected character '}'", line: 3, column: 8),
        ErrorCase("[\r\n1,\r\n\t@]", "Unexpected character '@'", line: 3, column: 2),
        ErrorCase(#"["é", x]"#, "Unexpected character 'x'", column: 7, offset: 7),
        ErrorCase("é", "Unexpected character 'é' (U+00E9)", column: 1),
        ErrorCase("[\u{1}]", "Unexpected control character U+0001", column: 2),
        ErrorCase("[\u{FEFF}1]", "Unexpected character '\u{FEFF}' (U+FEFF)", column: 2),
        ErrorCase(bytes: [0x5B, 0xFF, 0x5D], "Unexpected invalid UTF-8 byte 0xFF", column: 2),
    ]

    static let literalsAndNumbersCases: [ErrorCase] = [
        ErrorCase("tru", "Invalid literal, expected 'true'", column: 1),
        ErrorCase("[truE]", "Invalid literal, expected 'true'", column: 2),
        ErrorCase("falsy", "Invalid literal, expected 'false'", column: 1),
        ErrorCase("nul", "Invalid literal, expected 'null'", column: 1),
        ErrorCase("None", "Unexpected character 'N'", column: 1),
        ErrorCase("NaN", "Unexpected character 'N'", column: 1),
        ErrorCase("[Infinity]", "Unexpected character 'I'", column: 2),
        ErrorCase("-Infinity", "Invalid number: expected a digit after '-'", column: 2),
        ErrorCase("01", "Invalid number: leading zeros are not allowed", column: 1),
        ErrorCase("[-012]", "Invalid number: leading zeros are not allowed", column: 2),
        ErrorCase("00", "Invalid number: leading zeros are not allowed", column: 1),
        ErrorCase(".5", "Unexpected character '.'", column: 1),
        ErrorCase("+1", "Unexpected character '+'", column: 1),
        ErrorCase("1.", "Invalid number: expected a digit after '.'", column: 3),
        ErrorCase("1.e5", "Invalid number: expected a digit after '.'", column: 3),
        ErrorCase("-", "Invalid number: expected a digit after '-'", column: 2),
        ErrorCase("- 1", "Invalid number: expected a digit after '-'", column: 2),
        ErrorCase("1e", "Invalid number: expected a digit in the exponent", column: 3),
        ErrorCase("1E+", "Invalid number: expected a digit in the exponent", column: 4),
        ErrorCase("[1e-x]", "Invalid number: expected a digit in the exponent", column: 5),
        ErrorCase("0x10", "Unexpected character 'x' after the JSON value", column: 2),
        ErrorCase("1.5.2", "Unexpected character '.' after the JSON value", column: 4),
    ]

    static let stringsCases: [ErrorCase] = [
        ErrorCase(#""abc"#, "Unterminated string", column: 1),
        ErrorCase(#"["a", "b"#, "Unterminated string", column: 7),
        ErrorCase(#""ab\"#, "Unterminated string", column: 1),
        ErrorCase(#""ab\n"#, "Unterminated string", column: 1),
        ErrorCase("\"a\nb\"", "Unescaped control character U+000A in string", column: 3),
        ErrorCase("\"a\tb\"", "Unescaped control character U+0009 in string", column: 3),
        ErrorCase("\"\u{0}\"", "Unescaped control character U+0000 in string", column: 2),
        ErrorCase("\"\\n\u{1F}\"", "Unescaped control character U+001F in string", column: 4),
        ErrorCase(#""\x""#, #"Invalid escape sequence '\x' in string"#, column: 2),
        ErrorCase(#""ok\'""#, #"Invalid escape sequence '\'' in string"#, column: 4),
        ErrorCase("\"\\\u{1}\"", #"Invalid escape sequence '\U+0001' in string"#, column: 2),
        ErrorCase(#""a\é""#, #"Invalid escape sequence '\é' in string"#, column: 3),
        ErrorCase(#""\U0041""#, #"Invalid escape sequence '\U' in string"#, column: 2),
        ErrorCase(#""\u12G4""#, #"Invalid \u escape in string, expected 4 hex digits"#, column: 2),
        ErrorCase(#""\u12""#, #"Invalid \u escape in string, expected 4 hex digits"#, column: 2),
        ErrorCase(#""\u"#, #"Invalid \u escape in string, expected 4 hex digits"#, column: 2),
        ErrorCase(#""\uD83D\u12""#, #"Invalid \u escape in string, expected 4 hex digits"#, column: 8),
        ErrorCase(#"{"k\q":1}"#, #"Invalid escape sequence '\q' in string"#, column: 4),
    ]

    static let invalidUTF8Cases: [ErrorCase] = [
        ErrorCase(bytes: [0x22, 0x61, 0xFF, 0x22], "Invalid UTF-8 byte 0xFF in string", column: 3, offset: 2),
        ErrorCase(bytes: [0x22, 0x80, 0x22], "Invalid UTF-8 byte 0x80 in string", column: 2, offset: 1),
        ErrorCase(bytes: [0x22, 0xC0, 0xAF, 0x22], "Invalid UTF-8 byte 0xC0 in string", column: 2, offset: 1),
        ErrorCase(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], "Invalid UTF-8 byte 0xE0 in string", column: 2),
        ErrorCase(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], "Invalid UTF-8 byte 0xED in string", column: 2),
        ErrorCase(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "Invalid UTF-8 byte 0xF4 in string", column: 2),
        ErrorCase(bytes: [0x22, 0xE2, 0x82, 0x22], "Invalid UTF-8 byte 0xE2 in string", column: 2),
        ErrorCase(bytes: [0x22, 0xC3, 0x5C, 0x6E, 0x22], "Invalid UTF-8 byte 0xC3 in string", column: 2),
        ErrorCase(
            bytes: Array(#"{"k":"\n"#.utf8) + [0xC3, 0xA9, 0xFE] + Array(#""}"#.utf8),
            "Invalid UTF-8 byte 0xFE in string", column: 10, offset: 10),
        ErrorCase(
            bytes: Array(#"["abcdefghijklmnop"#.utf8) + [0xF0, 0x9F, 0x98] + Array(#"qrstuvwxyz"]"#.utf8),
            "Invalid UTF-8 byte 0xF0 in string", column: 19, offset: 18),
    ]

    @Test("Structural errors", arguments: structureCases)
    func structural(_ errorCase: ErrorCase) { check(errorCase) }

    @Test("Literal and number errors", arguments: literalsAndNumbersCases)
    func literalsAndNumbers(_ errorCase: ErrorCase) { check(errorCase) }

    @Test("String errors", arguments: stringsCases)
    func strings(_ errorCase: ErrorCase) { check(errorCase) }

    @Test("Invalid UTF-8 is rejected", arguments: invalidUTF8Cases)
    func invalidUTF8(_ errorCase: ErrorCase) { check(errorCase) }

    @Test("The description is the client-facing message")
    func description() {
        let error = parseError(Array("{\n  \"a\": 1,\n  \"b\": }".utf8))
        #expect(error?.description == "Unexpected character '}' at line 3 column 8")
        #expect(error?.offset == 19)
    }

    @Test("Deep nesting throws instead of overflowing the stack", arguments: ["[", "{\"a\":", "[{\"a\":"])
    func hugeNesting(opener: String) {
        let text = String(repeating: opener, count: 100_000)
        let error = parseError(Array(text.utf8))
        #expect(error?.reason == "Nesting too deep (the limit is 256 levels)")
    }

    @Test("Deep nesting that is closed properly still hits the limit")
    func closedHugeNesting() {
        let text = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let error = parseError(Array(text.utf8))
        #expect(error?.reason == "Nesting too deep (the limit is 256 levels)")
        #expect(error?.offset == 256)
    }

    @Test("Every truncation of a valid document is handled")
    func truncations() throws {
        let document = Array(#"{"a":[1,-2.5e+3,"x\"y\u00e9😀",true,false,null],"b":{"c":{}},"d":"é"}"#.utf8)
        _ = try JSONValue.parse(document)
        for length in 0..<document.count {
            #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(document[..<length])) }
        }
    }

    @Test("Random corruption never crashes the parser")
    func corruption() throws {
        let document = Array(#"{"a":[1,-2.5e+3,"x\"y\u00e9😀\ud83d\ude00",true,false,null],"b":{"c":{}},"d":"é"}"#.utf8)
        let interesting: [UInt8] =
            Array(#"{}[]",:\-+.eE0123456789tfnu "#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xED, 0xF0, 0xFF]
        var random = SplitMix64(seed: 42)
        var parsed = 0
        for _ in 0..<5_000 {
            var bytes = document
            for _ in 0...random.next(upTo: 3) {
                let position = random.next(upTo: bytes.count)
                switch random.next(upTo: 3) {
                case 0: bytes[position] = interesting[random.next(upTo: interesting.count)]
                case 1: bytes.remove(at: position)
                default: bytes.insert(interesting[random.next(upTo: interesting.count)], at: position)
                }
            }
            if let value = try? JSONValue.parse(bytes) {
                parsed += 1
                #expect(try JSONValue.parse(value.jsonBytes) == value)
            }
        }
        #expect(parsed < 5_000)
    }

    private func check(_ errorCase: ErrorCase, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = parseError(errorCase.input) else {
            Issue.record("expected an error", sourceLocation: sourceLocation)
            return
        }
        #expect(error.reason == errorCase.reason, sourceLocation: sourceLocation)
        #expect(error.line == errorCase.line, "line", sourceLocation: sourceLocation)
        #expect(error.column == errorCase.column, "column", sourceLocation: sourceLocation)
        if let offset = errorCase.offset {
            #expect(error.offset == offset, "offset", sourceLocation: sourceLocation)
        }
        #expect(error.description == "\(errorCase.reason) at line \(errorCase.line) column \(errorCase.column)")
    }

    private func parseError(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONValue.parse(bytes)
            return nil
        } catch {
            return error
        }
    }
}
