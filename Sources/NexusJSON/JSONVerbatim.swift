import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A compact JSON object of a parsed document, kept as its checked source bytes instead of a
/// tree: what `JSONObject` holds for the values of the keys a parse names (`verbatimKeys`).
///
/// Why: a Claude Code request's tool schemas are most of its JSON values (532 of the 737 of the
/// 50 KB capture), and the gateway only copies them to the Converse request. Building their
/// trees, writing them back and freeing them was 38 % of the instructions of translating that
/// request, what keeping them as text saved (`bench/results.md`, section 14). Checked once by `VerbatimScanner`, a schema is
/// written back with one copy; a reader that looks inside gets the tree, parsed on each use.
@usableFromInline
final class JSONVerbatimObject: Sendable {
    /// The object's text, braces included.
    let bytes: ByteBuffer
    /// The number of members.
    @usableFromInline let count: Int

    init(bytes: ByteBuffer, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    /// The members, parsed from `bytes`. The bytes were checked as the parser checks, so this
    /// cannot fail; long strings come out as literals, slices of `bytes`.
    @usableFromInline
    var members: [JSONObject.Element] {
        guard case .object(let object)? = try? JSONValue.parse(bytes) else { return [] }
        return object.storage
    }
}

/// Finds the end of a compact JSON object while checking it, without building anything: the
/// parser's way to keep an object verbatim (`JSONVerbatimObject`).
///
/// It accepts only what the parser would read into the same value with nothing to normalize,
/// and answers nil for the rest, which the parser then reads as a tree (and reports, if it is
/// an error):
/// - whitespace between tokens (the serializer's text is compact);
/// - a key with an escape or a byte >= 0x80 (keys are compared as bytes here, as Swift strings
///   by the parser), or a key twice in one object (the parser keeps the last value);
/// - an object with more than `memberLimit` members (duplicate keys are found by a linear scan);
/// - a string that escapes a lone surrogate (the parser decodes it to U+FFFD), or is invalid;
/// - nesting beyond the depth left, and any other error.
///
/// Its stacks are kept between scans of one parse.
struct VerbatimScanner {
    /// Objects with more members than this are left to the parser.
    static let memberLimit = 64

    private struct Frame {
        var isObject: Bool
        /// Where this object's keys start in `keys`.
        var firstKey: Int
        var members: Int
    }

    private var frames: [Frame] = []
    /// The keys of the open objects, as (start, length) of their content.
    private var keys: [(start: Int, length: Int)] = []

    /// Scans the object that starts at `p[from]` (a `{`) with at most `maxDepth` levels of
    /// nesting, itself included. Returns the index past its closing brace and its number of
    /// members, or nil (see the type's notes).
    mutating func scanObject(
        _ p: UnsafePointer<UInt8>, from: Int, end: Int, maxDepth: Int
    ) -> (end: Int, count: Int)? {
        frames.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        var i = from
        nextValue: while true {
            guard i < end else { return nil }
            switch p[i] {
            case UInt8(ascii: "{"):
                guard frames.count < maxDepth else { return nil }
                i &+= 1
                guard i < end else { return nil }
                if p[i] != UInt8(ascii: "}") {
                    frames.append(Frame(isObject: true, firstKey: keys.count, members: 0))
                    guard let next = key(p, at: i, end: end) else { return nil }
                    i = next
                    continue nextValue
                }
                i &+= 1
                if frames.isEmpty { return (i, 0) }
            case UInt8(ascii: "["):
                guard frames.count < maxDepth else { return nil }
                i &+= 1
                guard i < end else { return nil }
                if p[i] != UInt8(ascii: "]") {
                    frames.append(Frame(isObject: false, firstKey: keys.count, members: 0))
                    continue nextValue
                }
                i &+= 1
            case JSONBytes.quote:
                guard let next = Self.string(p, at: i, end: end) else { return nil }
                i = next
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard case .valid(let next) = JSONBytes.scanNumber(p, from: i, end: end) else { return nil }
                i = next
            case UInt8(ascii: "t"):
                guard let next = Self.literal("true", p, at: i, end: end) else { return nil }
                i = next
            case UInt8(ascii: "f"):
                guard let next = Self.literal("false", p, at: i, end: end) else { return nil }
                i = next
            case UInt8(ascii: "n"):
                guard let next = Self.literal("null", p, at: i, end: end) else { return nil }
                i = next
            default:
                return nil
            }
            // A value ended at `i`: a comma goes on to the next one; brackets close containers.
            while let frame = frames.last {
                guard i < end else { return nil }
                let byte = p[i]
                i &+= 1
                if byte == UInt8(ascii: ",") {
                    if frame.isObject {
                        guard let next = key(p, at: i, end: end) else { return nil }
                        i = next
                    }
                    continue nextValue
                }
                guard byte == (frame.isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return nil }
                frames.removeLast()
                if frame.isObject { keys.removeSubrange(frame.firstKey...) }
                if frames.isEmpty { return (i, frame.members) }
            }
            return nil  // unreachable: the outermost value is an object
        }
    }

    /// Reads the key at `p[i]` and its colon for the innermost object; returns where its value starts.
    private mutating func key(_ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Int? {
        guard i < end, p[i] == JSONBytes.quote else { return nil }
        let contentStart = i &+ 1
        var sawNonASCII = false
        let closingQuote = JSONBytes.firstStringSpecial(p, from: contentStart, end: end, sawNonASCII: &sawNonASCII)
        guard closingQuote < end, p[closingQuote] == JSONBytes.quote else { return nil }
        // `sawNonASCII` may come from a byte just past the quote: only its absence is exact.
        if sawNonASCII, JSONBytes.firstNonASCII(p, from: contentStart, end: closingQuote) != closingQuote {
            return nil
        }
        let length = closingQuote &- contentStart
        let frame = frames.count &- 1
        guard frames[frame].members < Self.memberLimit else { return nil }
        for k in frames[frame].firstKey..<keys.count where keys[k].length == length {
            if memcmp(p + keys[k].start, p + contentStart, length) == 0 { return nil }
        }
        keys.append((contentStart, length))
        frames[frame].members &+= 1
        let colon = closingQuote &+ 1
        guard colon < end, p[colon] == UInt8(ascii: ":") else { return nil }
        return colon &+ 1
    }

    /// Checks the string at `p[i]` (its opening quote); returns the index past its closing quote.
    private static func string(_ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Int? {
        let contentStart = i &+ 1
        var sawNonASCII = false
        var closingQuote = JSONBytes.firstStringSpecial(p, from: contentStart, end: end, sawNonASCII: &sawNonASCII)
        guard closingQuote < end else { return nil }
        if p[closingQuote] != JSONBytes.quote {
            guard let checked = JSONBytes.checkString(p, from: closingQuote, end: end, sawNonASCII: sawNonASCII)
            else { return nil }
            closingQuote = checked.closingQuote
            sawNonASCII = checked.sawNonASCII
        }
        if sawNonASCII, JSONBytes.firstInvalidUTF8(p, from: contentStart, end: closingQuote) != nil { return nil }
        return closingQuote &+ 1
    }

    private static func literal(_ literal: StaticString, _ p: UnsafePointer<UInt8>, at i: Int, end: Int) -> Int? {
        let length = literal.utf8CodeUnitCount
        guard end &- i >= length, memcmp(p + i, literal.utf8Start, length) == 0 else { return nil }
        return i &+ length
    }
}
