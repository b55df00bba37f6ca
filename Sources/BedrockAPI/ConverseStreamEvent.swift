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
