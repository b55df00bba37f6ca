import Hummingbird
import NIOCore
import NexusJSON

/// An Anthropic SSE body: `message_start`, per block `content_block_start`,
/// `content_block_delta`* (`text_delta`, `thinking_delta`, `signature_delta`,
/// `input_json_delta`), `content_block_stop`, then `message_delta` and `message_stop`; a `ping`
/// after the first block starts. One write per event. The scenario's fault (an `error` event,
/// a cut, a silence) comes after about half of the deltas.
struct AnthropicStreamScript: Sendable {
    /// (event name, data).
    var events: [(String, JSONValue)]
    var fault: Scenario.StreamFault?

    init(message: AnthropicMessage, fault: Scenario.StreamFault?) {
        self.fault = fault
        var events: [(String, JSONValue)] = [
            ("message_start", ["type": "message_start", "message": message.json(content: [], final: false)])
        ]
        for (index, block) in message.content.enumerated() {
            let type = block["type"]?.stringValue ?? ""
            var start = block
            var deltas: [JSONValue] = []
            switch type {
            case "text":
                start = ["type": "text", "text": ""]
                deltas = Words.chunks(block["text"]?.stringValue ?? "").map {
                    ["type": "text_delta", "text": .string($0)]
                }
            case "thinking":
                start = ["type": "thinking", "thinking": "", "signature": ""]
                deltas = Words.chunks(block["thinking"]?.stringValue ?? "").map {
                    ["type": "thinking_delta", "thinking": .string($0)]
                }
                deltas.append(["type": "signature_delta", "signature": block["signature"] ?? ""])
            case "tool_use":
                start = [
                    "type": "tool_use", "id": block["id"] ?? "", "name": block["name"] ?? "", "input": .object([:]),
                ]
                deltas = StreamScript.jsonChunks((block["input"] ?? .object([:])).jsonString).map {
                    ["type": "input_json_delta", "partial_json": .string($0)]
                }
            default:
                break
            }
            events.append(
                ("content_block_start", ["type": "content_block_start", "index": .int(index), "content_block": start]))
            if index == 0 { events.append(("ping", ["type": "ping"])) }
            for delta in deltas {
                events.append(
                    ("content_block_delta", ["type": "content_block_delta", "index": .int(index), "delta": delta]))
            }
            events.append(("content_block_stop", ["type": "content_block_stop", "index": .int(index)]))
        }
        var usage = message.usage
        usage["service_tier"] = nil
        usage["cache_creation"] = nil
        events.append(
            (
                "message_delta",
                [
                    "type": "message_delta",
                    "delta": [
                        "stop_reason": .string(message.stopReason),
                        "stop_sequence": message.stopSequence.map { .string($0) } ?? .null,
                    ],
                    "usage": .object(usage),
                ]
            ))
        events.append(("message_stop", ["type": "message_stop"]))
        self.events = events
    }

    /// How many events go out before the fault: the message start and about half of the deltas.
    var faultPoint: Int {
        let deltas = events.indices.filter { events[$0].0 == "content_block_delta" }
        guard !deltas.isEmpty else { return 1 }
        return deltas[max(0, (deltas.count + 1) / 2 - 1)] + 1
    }

    static func encode(_ name: String, _ data: JSONValue) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("event: \(name)\ndata: ")
        data.write(into: &buffer)
        buffer.writeString("\n\n")
        return buffer
    }

    /// Writes the body; throws `StreamScript.DeliberateCut` for a cut (Hummingbird then closes
    /// the connection without the terminating chunk).
    func write(to writer: inout any ResponseBodyWriter) async throws {
        let split = fault == nil ? events.count : faultPoint
        for (index, event) in events[..<split].enumerated() {
            try await writer.write(Self.encode(event.0, event.1))
            if index % 64 == 63 { await Task.yield() }
        }
        switch fault {
        case nil:
            break
        case .cut:
            try await Task.sleep(for: StreamScript.cutGrace)
            throw StreamScript.DeliberateCut()
        case .exception(let name):
            let error = AnthropicErrorCatalog.error(named: name)
            var data = error.body(requestID: AnthropicIDs.requestID()).objectValue ?? JSONObject()
            data["request_id"] = nil
            try await writer.write(Self.encode("error", .object(data)))
        case .silent(let duration):
            try await Task.sleep(for: duration)
            for event in events[split...] { try await writer.write(Self.encode(event.0, event.1)) }
        }
        try await writer.finish(nil)
    }
}
