import AWSEventStream
import BedrockAPI
import Hummingbird
import NexusJSON

/// A ConverseStream body: the events of an answer, written one frame per write, with the
/// scenario's fault (exception frame, cut, silence) after some text.
struct StreamScript: Sendable {
    var events: [ConverseStreamEvent]
    /// The `usage` of the final `metadata` event.
    var usage: JSONValue
    var fault: Scenario.StreamFault?
    /// When the request arrived, for `metrics.latencyMs`.
    var started: ContinuousClock.Instant

    /// The connection was closed on purpose in the middle of the body (`sim:stream_cut`).
    struct DeliberateCut: Error {}

    /// How long the cut waits after its last frame, so the bytes reach the socket before it closes.
    static let cutGrace: Duration = .milliseconds(50)

    init(answer: SimulatedAnswer, usage: JSONValue, fault: Scenario.StreamFault?, started: ContinuousClock.Instant) {
        self.events = Self.events(for: answer)
        self.usage = usage
        self.fault = fault
        self.started = started
    }

    /// Bedrock's event sequence for `answer`: `messageStart`, per block [`contentBlockStart` for
    /// tool use] `contentBlockDelta`* `contentBlockStop`, then `messageStop` and `metadata`.
    static func events(for answer: SimulatedAnswer) -> [ConverseStreamEvent] {
        var events: [ConverseStreamEvent] = [.messageStart(role: "assistant")]
        for (index, block) in answer.blocks.enumerated() {
            switch block {
            case .text(let text):
                for piece in Words.chunks(text.string) {
                    events.append(.contentBlockDelta(index: index, delta: .text(piece)))
                }
            case .toolUse(let id, let name, let input):
                events.append(.contentBlockStart(index: index, start: .toolUse(id: id, name: name)))
                for piece in jsonChunks(input.jsonString) {
                    events.append(.contentBlockDelta(index: index, delta: .toolUseInput(piece)))
                }
            case .reasoningText(let text, let signature):
                for piece in Words.chunks(text.string) {
                    events.append(.contentBlockDelta(index: index, delta: .reasoningText(piece)))
                }
                if let signature {
                    events.append(.contentBlockDelta(index: index, delta: .reasoningSignature(signature.string)))
                }
            case .redactedContent(let data):
                events.append(.contentBlockDelta(index: index, delta: .redactedContent(data)))
            default:
                continue
            }
            events.append(.contentBlockStop(index: index))
        }
        events.append(
            .messageStop(
                stopReason: answer.stopReason, additionalModelResponseFields: answer.additionalModelResponseFields))
        events.append(.metadata(usage: ConverseUsage()))
        return events
    }

    /// Splits tool input JSON into a few partial strings (on character boundaries).
    static func jsonChunks(_ json: String, pieces: Int = 4) -> [String] {
        let characters = Array(json)
        let size = max(4, (characters.count + pieces - 1) / pieces)
        return stride(from: 0, to: characters.count, by: size).map {
            String(characters[$0..<min($0 + size, characters.count)])
        }
    }

    /// How many events go out before the fault: the message start and about half of the deltas.
    var faultPoint: Int {
        let deltas = events.indices.filter {
            if case .contentBlockDelta = events[$0] { return true }
            return false
        }
        guard !deltas.isEmpty else { return 1 }
        return deltas[max(0, (deltas.count + 1) / 2 - 1)] + 1
    }

    /// Writes the body to `writer`. Throws `DeliberateCut` for `sim:stream_cut`: Hummingbird
    /// then closes the connection without the terminating chunk.
    func write(to writer: inout any ResponseBodyWriter) async throws {
        let split = fault == nil ? events.count : faultPoint
        for (index, event) in events[..<split].enumerated() {
            try await writer.write(try frame(event))
            // A writer with room never suspends: let the other connections of this thread (an
            // event loop, with NIO as the global executor) run between bursts of frames.
            if index % 64 == 63 { await Task.yield() }
        }
        switch fault {
        case nil:
            break
        case .cut:
            try await Task.sleep(for: Self.cutGrace)
            throw DeliberateCut()
        case .exception(let name):
            var buffer = ByteBuffer()
            try EventStreamEncoder.encode(ErrorCatalog.streamException(named: name).exceptionFrame(), into: &buffer)
            try await writer.write(buffer)
            try await writer.finish(nil)
            return
        case .silent(let duration):
            try await Task.sleep(for: duration)
            for event in events[split...] { try await writer.write(try frame(event)) }
        }
        try await writer.finish(nil)
    }

    /// One event frame; every payload gets Bedrock's `"p"` padding, `metadata` the real usage and latency.
    func frame(_ event: ConverseStreamEvent) throws -> ByteBuffer {
        let (type, payload) = event.wire
        var object = payload.objectValue ?? JSONObject()
        if case .metadata = event {
            object["usage"] = usage
            object["metrics"] = ["latencyMs": .int(Self.milliseconds(since: started))]
        }
        object.append("p", .string(RandomText.padding()))
        return try Self.encode(type: type, payload: .object(object))
    }

    static func encode(type: String, payload: JSONValue) throws -> ByteBuffer {
        var json = ByteBuffer()
        payload.write(into: &json)
        var buffer = ByteBuffer()
        try EventStreamEncoder.encode(EventStreamMessage.event(type: type, payload: json), into: &buffer)
        return buffer
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
