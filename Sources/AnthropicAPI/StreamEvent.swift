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

        var fieldName: StaticString {
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

    /// The event's `data:` JSON, as `writeData(to:)` writes it.
    public var data: JSONValue { JSONValue.written { writeData(to: &$0) } }

    /// Writes the event's `data:` JSON (no tree built).
    public func writeData(to json: inout JSONStreamWriter) {
        if case .error(let error, let requestID) = self {
            json.value(error.jsonValue(requestID: requestID))  // the error body of every answer
            return
        }
        json.beginObject()
        json.key("type")
        switch self {
        case .messageStart(let id, let model, let usage):
            json.string("message_start")
            json.key("message")
            // The opening message: an answer with no content yet.
            MessagesResponse(id: id, model: model, content: [], stopReason: nil, stopSequence: nil, usage: usage)
                .write(to: &json)
        case .contentBlockStart(let index, let block):
            json.string("content_block_start")
            json.key("index")
            json.int(index)
            json.key("content_block")
            switch block {
            case .text: ResponseBlock.text("").write(to: &json)
            case .toolUse(let id, let name, _): ResponseBlock.toolUse(id: id, name: name, input: [:]).write(to: &json)
            case .thinking: ResponseBlock.thinking(thinking: "", signature: "").write(to: &json)
            case .redactedThinking: block.write(to: &json)
            }
        case .contentBlockDelta(let index, let delta):
            json.string("content_block_delta")
            json.key("index")
            json.int(index)
            json.key("delta")
            json.beginObject()
            json.key("type")
            json.string(delta.typeName)
            json.key(delta.fieldName)
            json.string(delta.value)
            json.endObject()
        case .contentBlockStop(let index):
            json.string("content_block_stop")
            json.key("index")
            json.int(index)
        case .messageDelta(let stopReason, let stopSequence, let usage):
            json.string("message_delta")
            json.key("delta")
            json.beginObject()
            json.key("stop_reason")
            json.string(orNull: stopReason)
            json.key("stop_sequence")
            json.string(orNull: stopSequence)
            json.endObject()
            json.key("usage")
            usage.write(to: &json)
        case .messageStop:
            json.string("message_stop")
        case .ping:
            json.string("ping")
        case .error:
            break  // written above
        }
        json.endObject()
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
        buffer.writeJSON(estimatedByteCount: 512) { writeData(to: &$0) }
        buffer.writeStaticString("\n\n")
    }
}
