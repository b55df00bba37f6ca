import NIOCore

/// A JSON string value: a Swift `String`, or a long string literal of a parsed document kept as
/// its source bytes, escapes and all.
///
/// Why: a gateway copies most of a request's text from one JSON document to another without
/// reading it: system prompts, tool descriptions, tool results. Turning each such literal into a
/// `String` (unescaping it, then the standard library validating its UTF-8 a byte at a time)
/// and writing it back (escaping it again) was about 40 % of the time of translating a 50 KB
/// Claude Code request (`bench/results.md`, section 13). A literal is checked once by the parser (valid escapes, valid UTF-8, no
/// control characters) and written back as it came, with one copy.
///
/// - `string` decodes a literal on each use: read it once where its text matters.
/// - Two values are equal when their texts are; `"\u0041"` and `"A"` are equal.
/// - Only `JSONValue.parse` on a `ByteBuffer` makes literals, for strings of at least
///   `JSONString.literalThreshold` bytes: short strings (keys, types, ids) are read, not copied.
///   A literal holds a slice of that buffer, so the buffer lives as long as the value.
public struct JSONString: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    @usableFromInline
    enum Storage: Sendable {
        case string(String)
        case literal(Literal)
    }

    /// A checked literal, boxed so that a `JSONString` stays the size of a `String` (and a
    /// `JSONValue` the size it was): copying one is a single retain whatever it holds.
    @usableFromInline
    final class Literal: Sendable {
        /// The bytes between the quotes.
        let bytes: ByteBuffer
        /// False when `bytes` are the text's UTF-8 as they are.
        let hasEscapes: Bool

        init(bytes: ByteBuffer, hasEscapes: Bool) {
            self.bytes = bytes
            self.hasEscapes = hasEscapes
        }
    }

    @usableFromInline let storage: Storage

    /// Literals this long or longer are kept as bytes by `JSONValue.parse` on a `ByteBuffer`.
    public static let literalThreshold = 128

    @inlinable public init(_ string: String) { storage = .string(string) }

    @inlinable public init(stringLiteral value: String) { storage = .string(value) }

    /// A literal's content, checked by the parser.
    init(literal: ByteBuffer, hasEscapes: Bool) { storage = .literal(Literal(bytes: literal, hasEscapes: hasEscapes)) }

    /// The text.
    public var string: String {
        switch storage {
        case .string(let string):
            return string
        case .literal(let literal):
            return literal.bytes.withUnsafeReadableBytes { raw in
                let content = raw.assumingMemoryBound(to: UInt8.self)
                return literal.hasEscapes
                    ? JSONParser.decodeCheckedLiteral(content) : String(decoding: content, as: UTF8.self)
            }
        }
    }

    public var description: String { string }

    /// The length of the text's UTF-8, without decoding a literal.
    public var utf8Count: Int {
        switch storage {
        case .string(let string):
            return string.utf8.count
        case .literal(let literal):
            guard literal.hasEscapes else { return literal.bytes.readableBytes }
            return literal.bytes.withUnsafeReadableBytes {
                JSONBytes.decodedLength(ofCheckedLiteral: $0.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// True for the empty text (never a literal: literals are long).
    public var isEmpty: Bool {
        switch storage {
        case .string(let string): string.isEmpty
        case .literal(let literal): literal.bytes.readableBytes == 0
        }
    }

    /// True when the text is empty or only whitespace (`Character.isWhitespace`). A literal is
    /// decoded only when its first character that is not ASCII whitespace is not ASCII either.
    public var isBlank: Bool {
        if case .literal(let literal) = storage {
            let verdict: Bool? = literal.bytes.withUnsafeReadableBytes { raw in
                var index = 0
                while index < raw.count {
                    switch raw[index] {
                    case 0x20, 0x09, 0x0A, 0x0D:
                        index &+= 1
                    case JSONBytes.backslash:
                        // Checked literals never end with a lone backslash.
                        switch raw[index &+ 1] {
                        case UInt8(ascii: "n"), UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "f"): index &+= 2
                        case UInt8(ascii: "u"): return nil  // decide on the text
                        default: return false  // `\"`, `\\`, `\/`, `\b`
                        }
                    case 0x21...0x7E:
                        return false
                    default:
                        return nil  // non-ASCII: decide on the text
                    }
                }
                return true
            }
            if let verdict { return verdict }
        }
        return string.allSatisfy(\.isWhitespace)
    }

    public static func == (lhs: JSONString, rhs: JSONString) -> Bool {
        if case .literal(let left) = lhs.storage, case .literal(let right) = rhs.storage, left.bytes == right.bytes {
            return true
        }
        return lhs.string == rhs.string
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(string) }
}

extension JSONString {
    /// Appends the quoted literal to `output`: a parsed literal as it came, a `String` escaped.
    func write(to writer: inout JSONWriter) {
        switch storage {
        case .string(let string):
            writer.writeString(string)
        case .literal(let literal):
            writer.output.append(JSONBytes.quote)
            writer.output.append(literal.bytes)
            writer.output.append(JSONBytes.quote)
        }
    }

    /// What `write(to:)` appends if a `String` needs no escapes; exact for a literal.
    var estimatedByteCount: Int {
        switch storage {
        case .string(let string): JSONWriter.estimatedByteCount(ofString: string)
        case .literal(let literal): literal.bytes.readableBytes &+ 2
        }
    }

    /// The length of what `write(to:)` appends.
    var jsonByteCount: Int {
        switch storage {
        case .string(let string): JSONWriter.byteCount(ofString: string)
        case .literal(let literal): literal.bytes.readableBytes &+ 2
        }
    }
}
