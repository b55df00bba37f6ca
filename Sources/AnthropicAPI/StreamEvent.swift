import NIOCore
import NexusJSON

/// One Anthropic server-sent event, rendered as `event: <type>\ndata: <json>\n\n`.
public enum StreamEvent: Sendable, Hashable {
    /// The opening event: an empty message with its id, model and the (estimated) input usage.
    case messageStart(id: String, model: String, usage: Usage)
    case contentBlockStart(index: Int, block: ResponseBlock)
    case contentBlockDelta(index: Int, delta: Delta)
    case contentBlockStop(index: Int)
    case messageDelta(stopReason: String?, stopSequence: String?, usage: Usage)
    case messageStop
    case ping
    case error(APIError, requestID: String?)

    /// The payload of a `content_block_delta`.
    public enum Delta: Sendable, Hashable {
        case text(String)
        case inputJSON(String)
        case thinking(String)
        case signature(String)

        var typeName: String {
            switch self {
            case .text: "text_delta"
            case .inputJSON: "input_json_delta"
            case .thinking: "thinking_delta"
            case .signature: "signature_delta"
            }
        }

        var fieldName: String {
            switch self {
            case .text: "text"
            case .inputJSON: "partial_json"
            case .thinking: "thinking"
            case .signature: "signature"
            }
        }

        /// `,"delta":{"type":"<typeName>","<fieldName>":`: the JSON between the index and the value.
        var membersBeforeValue: StaticString {
            switch self {
            case .text: #","delta":{"type":"text_delta","text":"#
            case .inputJSON: #","delta":{"type":"input_json_delta","partial_json":"#
            case .thinking: #","delta":{"type":"thinking_delta","thinking":"#
            case .signature: #","delta":{"type":"signature_delta","signature":"#
            }
        }

        var value: String {
            switch self {
            case .text(let s), .inputJSON(let s), .thinking(let s), .signature(let s): s
            }
        }
    }

    /// The SSE `event:` name.
    public var name: String {
        switch self {
        case .messageStart: "message_start"
        case .contentBlockStart: "content_block_start"
        case .contentBlockDelta: "content_block_delta"
        case .contentBlockStop: "content_block_stop"
        case .messageDelta: "message_delta"
        case .messageStop: "message_stop"
        case .ping: "ping"
        case .error: "error"
        }
    }

    /// The event's `data:` JSON.
    public var data: JSONValue {
        switch self {
        case .messageStart(let id, let model, let usage):
            var message = JSONObject(minimumCapacity: 8)
            message.append("id", .string(id))
            message.append("type", "message")
            message.append("role", "assistant")
            message.append("model", .string(model))
            message.append("content", .array([]))
            message.append("stop_reason", .null)
            message.append("stop_sequence", .null)
            message.append("usage", usage.jsonValue)
            return ["type": "message_start", "message": .object(message)]
        case .contentBlockStart(let index, let block):
            let start: JSONValue =
                switch block {
                case .text: ["type": "text", "text": ""]
                case .toolUse(let id, let name, _):
                    ["type": "tool_use", "id": .string(id), "name": .string(name), "input": .object([:])]
                case .thinking: ["type": "thinking", "thinking": "", "signature": ""]
                case .redactedThinking: block.jsonValue
                }
            return ["type": "content_block_start", "index": .int(index), "content_block": start]
        case .contentBlockDelta(let index, let delta):
            return [
                "type": "content_block_delta", "index": .int(index),
                "delta": .object(JSONObject([(key: "type", value: .string(delta.typeName)), (key: delta.fieldName, value: .string(delta.value))])),
            ]
        case .contentBlockStop(let index):
            return ["type": "content_block_stop", "index": .int(index)]
        case .messageDelta(let stopReason, let stopSequence, let usage):
            var delta = JSONObject(minimumCapacity: 2)
            delta.append("stop_reason", stopReason.map(JSONValue.string) ?? .null)
            delta.append("stop_sequence", stopSequence.map(JSONValue.string) ?? .null)
            return ["type": "message_delta", "delta": .object(delta), "usage": usage.jsonValue]
        case .messageStop:
            return ["type": "message_stop"]
        case .ping:
            return ["type": "ping"]
        case .error(let error, let requestID):
            return error.jsonValue(requestID: requestID)
        }
    }

    /// Appends the SSE frame to `buffer`. Deltas, the bulk of every stream, are written without
    /// building an intermediate JSON tree, in as few pieces as possible.
    public func write(into buffer: inout ByteBuffer) {
        if case .contentBlockDelta(let index, let delta) = self {
            buffer.writeStaticString("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":")
            buffer.writeString(String(index))
            buffer.writeStaticString(delta.membersBeforeValue)
            JSONValue.writeEscapedString(delta.value, into: &buffer)
            buffer.writeStaticString("}}\n\n")
            return
        }
        buffer.writeStaticString("event: ")
        buffer.writeString(name)
        buffer.writeStaticString("\ndata: ")
        data.write(into: &buffer)
        buffer.writeStaticString("\n\n")
    }
}
