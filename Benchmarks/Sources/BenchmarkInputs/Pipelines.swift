import AWSEventStream
import AnthropicAPI
import BedrockAPI
import NIOCore
import NexusJSON
import Translation

/// The gateway's hot paths, step for step as `Gateway` runs them (Sources/Gateway/Gateway.swift,
/// MessagesResponder.swift), without the network: what the micro-benchmarks measure and `nexus-profile`
/// runs under callgrind or perf.
public enum Pipelines {
    public static let catalog = ModelCatalog()
    public static let requestTranslator = RequestTranslator()

    /// Client body → JSON → `MessagesRequest` → `RequestTranslator` → Converse body, as
    /// `Gateway.messages` does before the upstream call (media resolution aside: no URL sources).
    @inline(never)
    public static func translateRequest(_ body: ByteBuffer, betas: [String]) throws -> ByteBuffer {
        let json = try JSONValue.parse(body, verbatimKeys: MessagesRequest.verbatimKeys)
        let request = try MessagesRequest(json: json)
        let profile = try catalog.resolve(request.model)
        let translated = try requestTranslator.translate(request, profile: profile, betas: betas)
        return serialize(translated.converse, clientBytes: body.readableBytes)
    }

    /// A client request's `ConverseRequest` (steps 1–3 of `translateRequest`), the input of
    /// `serialize`.
    public static func converseRequest(_ input: Inputs.ClientRequest) throws -> ConverseRequest {
        let request = try MessagesRequest(json: input.json)
        let profile = try catalog.resolve(request.model)
        return try requestTranslator.translate(request, profile: profile, betas: input.betas).converse
    }

    /// The last step of `translateRequest`: `ConverseRequest` → body bytes, written without a
    /// value tree into a buffer sized from the client's body, as `Gateway.body` does.
    @inline(never)
    public static func serialize(_ converse: ConverseRequest, clientBytes: Int) -> ByteBuffer {
        var out = ByteBuffer()
        out.writeJSON(estimatedByteCount: clientBytes + clientBytes / 32 + 1024) { converse.write(to: &$0) }
        return out
    }

    /// Upstream event-stream chunks → frames → `StreamTranslator` → SSE bytes, one flush per
    /// chunk, as `MessagesResponder` does. Returns the number of SSE bytes written.
    @inline(never)
    public static func translateStream(_ chunks: [ByteBuffer]) throws -> Int {
        var translator = StreamTranslator(
            messageID: "msg_01BenchBenchBenchBenchBe", model: "claude-sonnet-4-6", requestID: "req_01BenchBenchBenchBenchBe",
            estimatedInputTokens: 12_000)
        var reader = EventStreamFrameReader()
        var events: [StreamEvent] = []
        events.reserveCapacity(8)
        var out = ByteBuffer()
        var written = 0
        for chunk in chunks {
            reader.append(chunk)
            while let message = try reader.next() { translator.receive(message, into: &events) }
            guard !events.isEmpty else { continue }
            out.clear()
            for event in events { event.write(into: &out) }
            events.removeAll(keepingCapacity: true)
            written += out.readableBytes
        }
        translator.finish(into: &events)
        precondition(translator.isDone)
        return written
    }

    /// Event-stream chunks → frames (prelude, headers, CRCs), nothing else. Returns the frame count.
    @inline(never)
    public static func decodeFrames(_ chunks: [ByteBuffer]) throws -> Int {
        var reader = EventStreamFrameReader()
        var frames = 0
        for chunk in chunks {
            reader.append(chunk)
            while let message = try reader.next() { frames += message.payload.readableBytes > 0 ? 1 : 0 }
        }
        return frames
    }

    /// Frames → `ConverseStreamEvent`s (the JSON payload of each parsed). Returns the event count.
    @inline(never)
    public static func decodeEvents(_ chunks: [ByteBuffer]) throws -> Int {
        var reader = EventStreamFrameReader()
        var events = 0
        for chunk in chunks {
            reader.append(chunk)
            while let message = try reader.next() {
                if case .event = StreamTranslator.classify(message) { events += 1 }
            }
        }
        return events
    }

    /// Converse JSON → `ConverseResponse` → `ResponseTranslator` → Anthropic JSON, as
    /// `Gateway.complete` does.
    @inline(never)
    public static func renderResponse(_ body: ByteBuffer) throws -> ByteBuffer {
        let converse = try ConverseResponse(json: try JSONValue.parse(body))
        let message = try ResponseTranslator.message(converse, id: "msg_01BenchBenchBenchBenchBe", model: "claude-sonnet-4-6")
        var out = ByteBuffer()
        out.writeJSON(estimatedByteCount: body.readableBytes + body.readableBytes / 32 + 1024) {
            message.write(to: &$0)
        }
        return out
    }
}
