import NexusJSON

/// One event of a ConverseStream response, decoded from an event-stream frame's
/// `:event-type` header and JSON payload. Padding (`"p"`) and unknown members are ignored.
public enum ConverseStreamEvent: Sendable, Hashable {
    case messageStart(role: String)
    case contentBlockStart(index: Int, start: BlockStart)
    case contentBlockDelta(index: Int, delta: Delta)
    case contentBlockStop(index: Int)
    case messageStop(stopReason: String, additionalModelResponseFields: JSONValue?)
    case metadata(usage: ConverseUsage)
    /// An event type this gateway does not know; skipped by the translator.
    case unknown(String)

    public enum BlockStart: Sendable, Hashable {
        case toolUse(id: String, name: String)
        case other
    }

    public enum Delta: Sendable, Hashable {
        case text(String)
        case toolUseInput(String)
        case reasoningText(String)
        case reasoningSignature(String)
        case redactedContent(String)
        case other
    }

    /// Decodes an event from its type and parsed payload.
    public init(eventType: String, payload: JSONValue) throws(ConverseDecodingError) {
        switch eventType {
        case "messageStart":
            self = .messageStart(role: payload["role"]?.stringValue ?? "assistant")
        case "contentBlockStart":
            let index = try Self.index(payload)
            if let toolUse = payload["start"]?["toolUse"] {
                guard let id = toolUse["toolUseId"]?.stringValue, let name = toolUse["name"]?.stringValue else {
                    throw ConverseDecodingError("contentBlockStart.toolUse without toolUseId or name")
                }
                self = .contentBlockStart(index: index, start: .toolUse(id: id, name: name))
            } else {
                self = .contentBlockStart(index: index, start: .other)
            }
        case "contentBlockDelta":
            let index = try Self.index(payload)
            guard let delta = payload["delta"] else { throw ConverseDecodingError("contentBlockDelta without delta") }
            if let text = delta["text"]?.stringValue {
                self = .contentBlockDelta(index: index, delta: .text(text))
            } else if let input = delta["toolUse"]?["input"]?.stringValue {
                self = .contentBlockDelta(index: index, delta: .toolUseInput(input))
            } else if let reasoning = delta["reasoningContent"] {
                if let text = reasoning["text"]?.stringValue {
                    self = .contentBlockDelta(index: index, delta: .reasoningText(text))
                } else if let signature = reasoning["signature"]?.stringValue {
                    self = .contentBlockDelta(index: index, delta: .reasoningSignature(signature))
                } else if let redacted = reasoning["redactedContent"]?.stringValue {
                    self = .contentBlockDelta(index: index, delta: .redactedContent(redacted))
                } else {
                    self = .contentBlockDelta(index: index, delta: .other)
                }
            } else {
                self = .contentBlockDelta(index: index, delta: .other)
            }
        case "contentBlockStop":
            self = .contentBlockStop(index: try Self.index(payload))
        case "messageStop":
            self = .messageStop(
                stopReason: payload["stopReason"]?.stringValue ?? "end_turn",
                additionalModelResponseFields: payload["additionalModelResponseFields"])
        case "metadata":
            self = .metadata(usage: ConverseUsage(json: payload["usage"]))
        default:
            self = .unknown(eventType)
        }
    }

    static func index(_ payload: JSONValue) throws(ConverseDecodingError) -> Int {
        guard let i = payload["contentBlockIndex"]?.intValue, i >= 0 else {
            throw ConverseDecodingError("event without a valid contentBlockIndex")
        }
        return i
    }

    /// The event type name and JSON payload, as the simulator writes them.
    public var wire: (eventType: String, payload: JSONValue) {
        switch self {
        case .messageStart(let role):
            return ("messageStart", ["role": .string(role)])
        case .contentBlockStart(let index, let start):
            let s: JSONValue =
                switch start {
                case .toolUse(let id, let name): ["toolUse": ["toolUseId": .string(id), "name": .string(name)]]
                case .other: .object([:])
                }
            return ("contentBlockStart", ["start": s, "contentBlockIndex": .int(index)])
        case .contentBlockDelta(let index, let delta):
            let d: JSONValue =
                switch delta {
                case .text(let t): ["text": .string(t)]
                case .toolUseInput(let i): ["toolUse": ["input": .string(i)]]
                case .reasoningText(let t): ["reasoningContent": ["text": .string(t)]]
                case .reasoningSignature(let s): ["reasoningContent": ["signature": .string(s)]]
                case .redactedContent(let r): ["reasoningContent": ["redactedContent": .string(r)]]
                case .other: .object([:])
                }
            return ("contentBlockDelta", ["delta": d, "contentBlockIndex": .int(index)])
        case .contentBlockStop(let index):
            return ("contentBlockStop", ["contentBlockIndex": .int(index)])
        case .messageStop(let stopReason, let fields):
            var o = JSONObject()
            o.append("stopReason", .string(stopReason))
            if let fields { o.append("additionalModelResponseFields", fields) }
            return ("messageStop", .object(o))
        case .metadata(let usage):
            return ("metadata", ["usage": usage.jsonValue, "metrics": ["latencyMs": 1]])
        case .unknown(let name):
            return (name, .object([:]))
        }
    }
}

// MARK: - contentBlockDelta fast path

extension ConverseStreamEvent {
    /// Decodes a `contentBlockDelta` payload of the usual shape without building a JSON tree:
    /// compact `{…}` with the members `"contentBlockIndex":<integer>`, `"delta":{"text":<string>}`
    /// or `"delta":{"toolUse":{"input":<string>}}`, and optionally `"p":<string>` (padding), in any
    /// order, each at most once, no whitespace.
    ///
    /// Returns nil for anything else, valid or not: the caller then parses the payload in full
    /// (`JSONValue.parse` and `init(eventType:payload:)`), so every other shape, and every
    /// malformed payload, gets exactly the general path's result or error. Strings are decoded
    /// by `JSONValue.parse` on their literal alone (same escapes, same UTF-8 validation); the
    /// padding is only checked, not decoded.
    public static func contentBlockDelta(fastPathFrom payload: UnsafeRawBufferPointer) -> ConverseStreamEvent? {
        guard let base = payload.baseAddress else { return nil }
        var scanner = DeltaScanner(bytes: base.assumingMemoryBound(to: UInt8.self), end: payload.count)
        return scanner.scan()
    }
}

/// The byte scanner of `ConverseStreamEvent.contentBlockDelta(fastPathFrom:)`. Every read checks
/// `position < end`; any surprise returns nil.
private struct DeltaScanner {
    let bytes: UnsafePointer<UInt8>
    let end: Int
    var position = 0

    init(bytes: UnsafePointer<UInt8>, end: Int) {
        self.bytes = bytes
        self.end = end
    }

    mutating func scan() -> ConverseStreamEvent? {
        guard consume("{") else { return nil }
        var index: Int?
        var delta: ConverseStreamEvent.Delta?
        var sawPadding = false
        repeat {
            if index == nil, consume(#""contentBlockIndex":"#) {
                guard let value = integer() else { return nil }
                index = value
            } else if delta == nil, consume(#""delta":{"#) {
                if consume(#""text":"#) {
                    guard let text = string(), consume("}") else { return nil }
                    delta = .text(text)
                } else if consume(#""toolUse":{"input":"#) {
                    guard let input = string(), consume("}}") else { return nil }
                    delta = .toolUseInput(input)
                } else {
                    return nil
                }
            } else if !sawPadding, consume(#""p":"#) {
                guard skipPlainString() else { return nil }
                sawPadding = true
            } else {
                return nil
            }
        } while consume(",")
        guard consume("}"), position == end, let index, let delta else { return nil }
        return .contentBlockDelta(index: index, delta: delta)
    }

    /// Skips `literal` if the input continues with it.
    mutating func consume(_ literal: StaticString) -> Bool {
        let length = literal.utf8CodeUnitCount
        guard end - position >= length else { return false }
        for k in 0..<length where bytes[position + k] != literal.utf8Start[k] { return false }
        position += length
        return true
    }

    /// A JSON integer without sign, fraction or exponent (`0` or no leading zero), at most 18 digits.
    mutating func integer() -> Int? {
        let start = position
        var value = 0
        while position < end, bytes[position] &- UInt8(ascii: "0") < 10, position - start < 18 {
            value = value * 10 + Int(bytes[position] &- UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        // A longer number, a fraction or an exponent: not this shape.
        guard position < end, bytes[position] == UInt8(ascii: ",") || bytes[position] == UInt8(ascii: "}") else {
            return nil
        }
        return value
    }

    /// A string literal decoded by the JSON parser itself, or nil if it is not a valid one.
    mutating func string() -> String? {
        guard position < end, bytes[position] == UInt8(ascii: "\"") else { return nil }
        let start = position
        position += 1
        while position < end {
            switch bytes[position] {
            case UInt8(ascii: "\\"): position += 2
            case UInt8(ascii: "\""):
                position += 1
                let literal = UnsafeRawBufferPointer(start: bytes + start, count: position - start)
                return (try? JSONValue.parse(literal))?.stringValue
            default: position += 1
            }
        }
        return nil
    }

    /// Skips a string literal of printable ASCII without escapes (Bedrock's padding), else nil.
    mutating func skipPlainString() -> Bool {
        guard position < end, bytes[position] == UInt8(ascii: "\"") else { return false }
        position += 1
        while position < end {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return true }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return false }
        }
        return false
    }
}
