import AWSEventStream
import AnthropicAPI
import BedrockAPI
import NIOCore
import NexusJSON
import Testing
import Translation

/// ConverseStream events in, the exact Anthropic SSE text out (reference: "Streaming").
@Suite struct StreamTranslatorTests {
    // MARK: Driving the translator

    static func translator(toolNameMap: [String: String] = [:]) -> StreamTranslator {
        StreamTranslator(
            messageID: "msg_test", model: "claude-sonnet-4-6", requestID: "req_1", estimatedInputTokens: 12,
            toolNameMap: toolNameMap)
    }

    /// Wire-form events: (`:event-type`, JSON payload).
    typealias Wire = (String, String)

    /// Feeds the events (and `finish()` when asked) and returns the SSE text.
    func run(
        _ events: [Wire], finish: Bool = true, toolNameMap: [String: String] = [:]
    ) throws -> String {
        var translator = Self.translator(toolNameMap: toolNameMap)
        var out: [StreamEvent] = []
        for (type, payload) in events { translator.receive(try event(type, payload), into: &out) }
        if finish { translator.finish(into: &out) }
        return sse(out)
    }

    // MARK: Expected frames, written by hand

    static let start =
        frame(
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_test","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,"#
                + #""usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}"#
        ) + frame("ping", #"{"type":"ping"}"#)

    static func blockStart(_ index: Int, _ block: String) -> String {
        frame("content_block_start", #"{"type":"content_block_start","index":\#(index),"content_block":\#(block)}"#)
    }
    static func textStart(_ index: Int) -> String { blockStart(index, #"{"type":"text","text":""}"#) }
    static func thinkingStart(_ index: Int) -> String {
        blockStart(index, #"{"type":"thinking","thinking":"","signature":""}"#)
    }

    /// `value` is the JSON-escaped string content, as it appears on the wire.
    static func delta(_ index: Int, _ type: String, _ field: String, _ value: String) -> String {
        frame(
            "content_block_delta",
            #"{"type":"content_block_delta","index":\#(index),"delta":{"type":"\#(type)","\#(field)":"\#(value)"}}"#)
    }
    static func text(_ index: Int, _ value: String) -> String { delta(index, "text_delta", "text", value) }
    static func stop(_ index: Int) -> String {
        frame("content_block_stop", #"{"type":"content_block_stop","index":\#(index)}"#)
    }

    static func end(_ reason: String, sequence: String? = nil, usage: String) -> String {
        frame(
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"\#(reason)","stop_sequence":\#(sequence.map { "\"\($0)\"" } ?? "null")},"usage":\#(usage)}"#
        ) + frame("message_stop", #"{"type":"message_stop"}"#)
    }

    static func error(_ type: String, _ message: String) -> String {
        frame("error", #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"},"request_id":"req_1"}"#)
    }

    static let messageStart: Wire = (
        "messageStart", #"{"role":"assistant","p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"}"#
    )
    static func textDelta(_ index: Int, _ text: String) -> Wire {
        ("contentBlockDelta", #"{"contentBlockIndex":\#(index),"delta":{"text":"\#(text)"},"p":"abcdef"}"#)
    }
    static func reasoning(_ index: Int, _ member: String, _ value: String) -> Wire {
        (
            "contentBlockDelta",
            #"{"contentBlockIndex":\#(index),"delta":{"reasoningContent":{"\#(member)":"\#(value)"}},"p":"abc"}"#
        )
    }
    static func toolStart(_ index: Int, _ id: String, _ name: String) -> Wire {
        (
            "contentBlockStart",
            #"{"contentBlockIndex":\#(index),"start":{"toolUse":{"toolUseId":"\#(id)","name":"\#(name)"}},"p":"ab"}"#
        )
    }
    static func toolInput(_ index: Int, _ input: String) -> Wire {
        ("contentBlockDelta", #"{"contentBlockIndex":\#(index),"delta":{"toolUse":{"input":"\#(input)"}},"p":"abcd"}"#)
    }
    static func blockStop(_ index: Int) -> Wire {
        ("contentBlockStop", #"{"contentBlockIndex":\#(index),"p":"abcdefg"}"#)
    }
    static func messageStop(_ reason: String) -> Wire {
        ("messageStop", #"{"stopReason":"\#(reason)","p":"abcdefgh"}"#)
    }
    static func metadata(_ input: Int, _ output: Int) -> Wire {
        (
            "metadata",
            #"{"usage":{"inputTokens":\#(input),"outputTokens":\#(output),"totalTokens":\#(input + output)},"metrics":{"latencyMs":812},"p":"abcdefghij"}"#
        )
    }

    // MARK: Sequences

    @Test("SSE frames are the event name and the data JSON; deltas take a shortcut that must agree", arguments: [
        StreamEvent.contentBlockDelta(index: 0, delta: .text("Hi \"there\"\n\u{1}é")),
        .contentBlockDelta(index: 12, delta: .inputJSON(#"{"a":"\n"}"#)),
        .contentBlockDelta(index: 3, delta: .thinking("")), .contentBlockDelta(index: 4, delta: .signature("c2ln")),
        .contentBlockStop(index: 2), .ping, .messageStop,
    ])
    func sseFrame(_ event: StreamEvent) {
        var buffer = ByteBuffer()
        event.write(into: &buffer)
        #expect(String(buffer: buffer) == "event: \(event.name)\ndata: \(event.data.jsonString)\n\n")
    }

    @Test("contentBlockDelta fast path: the full parse's event, or nil", arguments: [
        (#"{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcdefghij"}"#, true),
        (#"{"delta":{"text":"a\nb\"\u00e9\ud83d\ude00\\"},"contentBlockIndex":12}"#, true),
        (#"{"p":"xyz","contentBlockIndex":3,"delta":{"toolUse":{"input":"{\"a\":1}"}}}"#, true),
        (#"{"contentBlockIndex":0,"delta":{"text":"é日"}}"#, true),
        (#"{"contentBlockIndex":0,"delta":{"text":""}}"#, true),
        (#" {"contentBlockIndex":0,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"text":"a"}} "#, false),
        (#"{"contentBlockIndex":01,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":1.0,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":1e2,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":-1,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":1234567890123456789012,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":0,"contentBlockIndex":1,"delta":{"text":"a"}}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"text":"a","x":1}}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"a"}}}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"text":"\x"}}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"text":"a\"}}"#, false),
        ("{\"contentBlockIndex\":0,\"delta\":{\"text\":\"a\u{1}\"}}", false),
        (#"{"contentBlockIndex":0,"delta":{"text":"a"},"p":"é"}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"text":"a"},"p":"a","p":"b"}"#, false),
        (#"{"contentBlockIndex":0,"delta":{"text":"a"}"#, false),
        (#"{"contentBlockIndex":0}"#, false),
        (#"{"delta":{"text":"a"}}"#, false),
        (#"{}"#, false),
    ])
    func contentBlockDeltaFastPath(_ json: String, _ takesFastPath: Bool) throws {
        try checkFastPath(Array(json.utf8), takesFastPath: takesFastPath)
    }

    @Test func contentBlockDeltaFastPathRejectsInvalidUTF8() throws {
        try checkFastPath(Array(#"{"contentBlockIndex":0,"delta":{"text":"a"#.utf8) + [0xFF] + Array(#""}}"#.utf8), takesFastPath: false)
    }

    func checkFastPath(_ bytes: [UInt8], takesFastPath: Bool) throws {
        let fast = bytes.withUnsafeBytes(ConverseStreamEvent.contentBlockDelta(fastPathFrom:))
        let full = Result { try ConverseStreamEvent(eventType: "contentBlockDelta", payload: JSONValue.parse(bytes)) }
        if takesFastPath {
            #expect(fast != nil)
            #expect(fast == (try full.get()))
        } else {
            #expect(fast == nil)
        }
    }

    @Test func plainText() throws {
        let sse = try run([
            Self.messageStart, Self.textDelta(0, "Hel"), Self.textDelta(0, #"lo \"world\"\n"#), Self.blockStop(0),
            Self.messageStop("end_turn"), Self.metadata(25, 3),
        ])
        #expect(
            sse
                == Self.start + Self.textStart(0) + Self.text(0, "Hel") + Self.text(0, #"lo \"world\"\n"#)
                + Self.stop(0)
                + Self.end("end_turn", usage: usageJSON(input: 25, output: 3)))
    }

    @Test func plainTextWholeWire() throws {
        // The same, spelled out once in full.
        let sse = try run([
            Self.messageStart, Self.textDelta(0, "Hi"), Self.blockStop(0), Self.messageStop("end_turn"),
            Self.metadata(25, 3),
        ])
        #expect(
            sse == """
                event: message_start
                data: {"type":"message_start","message":{"id":"msg_test","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}

                event: ping
                data: {"type":"ping"}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":3,"service_tier":"standard"}}

                event: message_stop
                data: {"type":"message_stop"}


                """)
    }

    @Test func toolUse() throws {
        let sse = try run([
            Self.messageStart, Self.textDelta(0, "Running."), Self.blockStop(0), Self.toolStart(1, "toolu_1", "Bash"),
            Self.toolInput(1, #"{\"command\":"#), Self.toolInput(1, #" \"ls\"}"#), Self.blockStop(1),
            Self.messageStop("tool_use"),
            Self.metadata(40, 20),
        ])
        #expect(
            sse
                == Self.start + Self.textStart(0) + Self.text(0, "Running.") + Self.stop(0)
                + Self.blockStart(1, #"{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}"#)
                + Self.delta(1, "input_json_delta", "partial_json", #"{\"command\":"#)
                + Self.delta(1, "input_json_delta", "partial_json", #" \"ls\"}"#) + Self.stop(1)
                + Self.end("tool_use", usage: usageJSON(input: 40, output: 20)))
    }

    @Test func toolNamesAreMappedBack() throws {
        let sse = try run(
            [
                Self.messageStart, Self.toolStart(0, "toolu_1", "fs_read"), Self.blockStop(0),
                Self.messageStop("tool_use"), Self.metadata(1, 1),
            ],
            toolNameMap: ["fs_read": "fs.read"])
        #expect(sse.contains(Self.blockStart(0, #"{"type":"tool_use","id":"toolu_1","name":"fs.read","input":{}}"#)))
    }

    @Test func thinkingWithSignature() throws {
        let sse = try run([
            Self.messageStart, Self.reasoning(0, "text", "Let me"), Self.reasoning(0, "text", " think."),
            Self.reasoning(0, "signature", "c2lnbmF0dXJl"), Self.blockStop(0), Self.textDelta(1, "Done."),
            Self.blockStop(1),
            Self.messageStop("end_turn"), Self.metadata(10, 30),
        ])
        #expect(
            sse
                == Self.start + Self.thinkingStart(0) + Self.delta(0, "thinking_delta", "thinking", "Let me")
                + Self.delta(0, "thinking_delta", "thinking", " think.")
                + Self.delta(0, "signature_delta", "signature", "c2lnbmF0dXJl") + Self.stop(0) + Self.textStart(1)
                + Self.text(1, "Done.") + Self.stop(1) + Self.end("end_turn", usage: usageJSON(input: 10, output: 30)))
    }

    @Test func redactedThinking() throws {
        let sse = try run([
            Self.messageStart, Self.reasoning(0, "redactedContent", "UmVkYWN0ZWQ="), Self.blockStop(0),
            Self.textDelta(1, "Hi"),
            Self.blockStop(1), Self.messageStop("end_turn"), Self.metadata(5, 6),
        ])
        #expect(
            sse
                == Self.start + Self.blockStart(0, #"{"type":"redacted_thinking","data":"UmVkYWN0ZWQ="}"#)
                + Self.stop(0)
                + Self.textStart(1) + Self.text(1, "Hi") + Self.stop(1)
                + Self.end("end_turn", usage: usageJSON(input: 5, output: 6)))
    }

    @Test func interleavedBlocksGetContiguousIndexes() throws {
        // Converse indexes skip (0, 2, 3, 5, 9); Anthropic's are 0...4 in opening order.
        let sse = try run([
            Self.messageStart,
            Self.reasoning(0, "text", "a"), Self.reasoning(0, "signature", "s1"), Self.blockStop(0),
            Self.textDelta(2, "b"), Self.blockStop(2),
            Self.toolStart(3, "toolu_1", "Bash"), Self.toolInput(3, "{}"), Self.blockStop(3),
            Self.reasoning(5, "text", "c"), Self.reasoning(5, "signature", "s2"), Self.blockStop(5),
            Self.textDelta(9, "d"), Self.blockStop(9),
            Self.messageStop("end_turn"), Self.metadata(7, 8),
        ])
        #expect(
            sse
                == Self.start
                + Self.thinkingStart(0) + Self.delta(0, "thinking_delta", "thinking", "a")
                + Self.delta(0, "signature_delta", "signature", "s1") + Self.stop(0)
                + Self.textStart(1) + Self.text(1, "b") + Self.stop(1)
                + Self.blockStart(2, #"{"type":"tool_use","id":"toolu_1","name":"Bash","input":{}}"#)
                + Self.delta(2, "input_json_delta", "partial_json", "{}") + Self.stop(2)
                + Self.thinkingStart(3) + Self.delta(3, "thinking_delta", "thinking", "c")
                + Self.delta(3, "signature_delta", "signature", "s2") + Self.stop(3)
                + Self.textStart(4) + Self.text(4, "d") + Self.stop(4)
                + Self.end("end_turn", usage: usageJSON(input: 7, output: 8)))
    }

    @Test func blocksLeftOpenAreClosedAtMessageStop() throws {
        let sse = try run([
            Self.messageStart, Self.reasoning(0, "text", "a"), Self.messageStop("end_turn"), Self.metadata(1, 2),
        ])
        #expect(
            sse
                == Self.start + Self.thinkingStart(0) + Self.delta(0, "thinking_delta", "thinking", "a") + Self.stop(0)
                + Self.end("end_turn", usage: usageJSON(input: 1, output: 2)))
    }

    @Test func stopSequenceAndCacheUsage() throws {
        let sse = try run([
            Self.messageStart, Self.textDelta(0, "x"), Self.blockStop(0),
            ("messageStop", #"{"stopReason":"stop_sequence","additionalModelResponseFields":{"stop_sequence":"END"}}"#),
            (
                "metadata",
                #"{"usage":{"inputTokens":3,"outputTokens":1,"cacheReadInputTokens":1000,"cacheWriteInputTokens":500,"cacheDetails":[{"ttl":"1h","inputTokens":500}]},"metrics":{"latencyMs":1}}"#
            ),
        ])
        #expect(
            sse
                == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.stop(0)
                + Self.end(
                    "stop_sequence", sequence: "END",
                    usage: usageJSON(input: 3, output: 1, cacheWrite: 500, cacheRead: 1000, write5m: 0, write1h: 500)))
    }

    @Test(arguments: [
        ("guardrail_intervened", "refusal"), ("max_tokens", "max_tokens"),
        ("model_context_window_exceeded", "model_context_window_exceeded"),
    ])
    func stopReasons(_ converse: String, _ anthropic: String) throws {
        let sse = try run([Self.messageStart, Self.textDelta(0, "x"), Self.messageStop(converse), Self.metadata(1, 1)])
        #expect(
            sse == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.stop(0)
                + Self.end(anthropic, usage: usageJSON(input: 1, output: 1)))
    }

    @Test func malformedOutputEndsWithAnError() throws {
        let sse = try run([
            Self.messageStart, Self.textDelta(0, "x"), Self.messageStop("malformed_tool_use"), Self.metadata(1, 1),
        ])
        #expect(
            sse
                == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.stop(0)
                + Self.error(
                    "api_error", "The model produced malformed output (malformed_tool_use). Retry the request."))
    }

    @Test func metadataBeforeMessageStopWaitsForTheStop() throws {
        var translator = Self.translator()
        var out: [StreamEvent] = []
        for wire in [Self.messageStart, Self.textDelta(0, "x"), Self.blockStop(0), Self.metadata(30, 4)] {
            translator.receive(try event(wire.0, wire.1), into: &out)
        }
        #expect(sse(out) == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.stop(0))
        out = []
        translator.receive(try event(Self.messageStop("end_turn").0, Self.messageStop("end_turn").1), into: &out)
        translator.finish(into: &out)
        #expect(sse(out) == Self.end("end_turn", usage: usageJSON(input: 30, output: 4)))
        #expect(translator.finalUsage == Usage(inputTokens: 30, outputTokens: 4))
    }

    @Test func endWithoutMetadataEstimatesUsage() throws {
        let sse = try run([
            Self.messageStart, Self.textDelta(0, "abcdefghijklmnop"), Self.blockStop(0), Self.messageStop("end_turn"),
        ])
        #expect(
            sse
                == Self.start + Self.textStart(0) + Self.text(0, "abcdefghijklmnop") + Self.stop(0)
                + Self.end("end_turn", usage: usageJSON(input: 12, output: 4)))
    }

    @Test func endBeforeMessageStopIsAnError() throws {
        let sse = try run([Self.messageStart, Self.textDelta(0, "x")])
        #expect(
            sse == Self.start + Self.textStart(0) + Self.text(0, "x")
                + Self.error("api_error", "The upstream stream ended before the message was complete."))
    }

    @Test func emptyUpstreamIsAnError() throws {
        var translator = Self.translator()
        var out: [StreamEvent] = []
        translator.finish(into: &out)
        #expect(sse(out) == Self.error("api_error", "The upstream stream ended before the message was complete."))
        #expect(!translator.hasStarted)
        #expect(translator.isDone)
    }

    @Test func messageStartIsSynthesizedWhenMissing() throws {
        let sse = try run([Self.textDelta(0, "x"), Self.messageStop("end_turn"), Self.metadata(1, 1)])
        #expect(
            sse == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.stop(0)
                + Self.end("end_turn", usage: usageJSON(input: 1, output: 1)))
    }

    @Test func toolInputWithoutStartIsAnError() throws {
        let sse = try run([
            Self.messageStart, Self.toolInput(0, "{}"), Self.messageStop("end_turn"), Self.metadata(1, 1),
        ])
        #expect(
            sse == Self.start
                + Self.error("api_error", "The upstream sent tool input for a tool call it never started."))
    }

    @Test func unknownEventsAndDeltasAreIgnored() throws {
        let sse = try run([
            Self.messageStart, ("someFutureEvent", #"{"x":1}"#),
            ("contentBlockStart", #"{"contentBlockIndex":0,"start":{"image":{}}}"#),
            ("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"citation":{"title":"t"}}}"#),
            Self.textDelta(0, "x"),
            Self.messageStop("end_turn"), Self.metadata(1, 1),
        ])
        #expect(
            sse == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.stop(0)
                + Self.end("end_turn", usage: usageJSON(input: 1, output: 1)))
    }

    @Test func nothingAfterDone() throws {
        var translator = Self.translator()
        var out: [StreamEvent] = []
        for wire in [Self.messageStart, Self.textDelta(0, "x"), Self.messageStop("end_turn"), Self.metadata(1, 1)] {
            translator.receive(try event(wire.0, wire.1), into: &out)
        }
        #expect(translator.isDone)
        #expect(translator.finalUsage == Usage(inputTokens: 1, outputTokens: 1))
        out = []
        for wire in [Self.messageStart, Self.textDelta(1, "y"), Self.messageStop("end_turn"), Self.metadata(2, 2)] {
            translator.receive(try event(wire.0, wire.1), into: &out)
        }
        translator.receive(
            EventStreamMessage.exception(
                type: "throttlingException", payload: ByteBuffer(string: #"{"message":"late"}"#)), into: &out)
        translator.finish(into: &out)
        translator.fail(APIError(.api, "late"), into: &out)
        #expect(out.isEmpty)
    }

    @Test func nothingAfterAnError() throws {
        var translator = Self.translator()
        var out: [StreamEvent] = []
        translator.receive(try event(Self.messageStart.0, Self.messageStart.1), into: &out)
        translator.fail(APIError(.overloaded, "Overloaded"), into: &out)
        translator.receive(try event(Self.textDelta(0, "x").0, Self.textDelta(0, "x").1), into: &out)
        translator.finish(into: &out)
        #expect(sse(out) == Self.start + Self.error("overloaded_error", "Overloaded"))
    }

    // MARK: Event-stream frames

    static func eventFrame(_ wire: Wire) -> EventStreamMessage {
        EventStreamMessage.event(type: wire.0, payload: ByteBuffer(string: wire.1))
    }

    @Test func framesDriveTheTranslator() throws {
        var translator = Self.translator()
        var out: [StreamEvent] = []
        for wire in [
            Self.messageStart, Self.textDelta(0, "Hi"), Self.blockStop(0), Self.messageStop("end_turn"),
            Self.metadata(2, 1),
        ] {
            translator.receive(Self.eventFrame(wire), into: &out)
        }
        #expect(
            sse(out) == Self.start + Self.textStart(0) + Self.text(0, "Hi") + Self.stop(0)
                + Self.end("end_turn", usage: usageJSON(input: 2, output: 1)))
    }

    @Test(arguments: [
        (
            "throttlingException", #"{"message":"Too many tokens, please wait before trying again."}"#,
            "rate_limit_error", "Too many tokens, please wait before trying again."
        ),
        ("modelStreamErrorException", #"{"message":"Model stream error"}"#, "api_error", "Model stream error"),
        (
            "validationException", #"{"message":"Input is too long for requested model."}"#, "invalid_request_error",
            "prompt is too long: Input is too long for requested model."
        ),
        ("internalServerException", #"{"Message":"Internal error"}"#, "api_error", "Internal error"),
        ("serviceUnavailableException", #"{"message":"Unavailable"}"#, "overloaded_error", "Unavailable"),
        ("modelTimeoutException", #"{}"#, "timeout_error", "ModelTimeoutException"),
        ("throttlingException", "not json", "rate_limit_error", "ThrottlingException"),
    ])
    func exceptionFrameEndsTheStream(_ type: String, _ payload: String, _ errorType: String, _ message: String) throws {
        var translator = Self.translator()
        var out: [StreamEvent] = []
        translator.receive(Self.eventFrame(Self.messageStart), into: &out)
        translator.receive(Self.eventFrame(Self.textDelta(0, "x")), into: &out)
        translator.receive(EventStreamMessage.exception(type: type, payload: ByteBuffer(string: payload)), into: &out)
        translator.receive(Self.eventFrame(Self.messageStop("end_turn")), into: &out)
        translator.finish(into: &out)
        #expect(sse(out) == Self.start + Self.textStart(0) + Self.text(0, "x") + Self.error(errorType, message))
        #expect(translator.isDone)
    }

    @Test func exceptionBeforeAnythingElse() {
        guard
            case .failure(let error) = StreamTranslator.classify(
                EventStreamMessage.exception(
                    type: "throttlingException", payload: ByteBuffer(string: #"{"message":"slow down"}"#)))
        else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == APIError(.rateLimit, "slow down"))
    }

    @Test func errorFrame() {
        guard
            case .failure(let error) = StreamTranslator.classify(
                EventStreamMessage.error(code: "InternalFailure", message: "boom"))
        else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == APIError(.api, "boom"))
    }

    @Test func classifyEvents() throws {
        guard case .event(let e) = StreamTranslator.classify(Self.eventFrame(Self.textDelta(3, "hi"))) else {
            Issue.record("expected an event")
            return
        }
        #expect(e == .contentBlockDelta(index: 3, delta: .text("hi")))
        // No :message-type: an event.
        var bare = Self.eventFrame(Self.blockStop(1))
        bare[":message-type"] = nil
        guard case .event(let stop) = StreamTranslator.classify(bare) else {
            Issue.record("expected an event")
            return
        }
        #expect(stop == .contentBlockStop(index: 1))
        // No :event-type: nothing to do.
        var anonymous = Self.eventFrame(Self.blockStop(1))
        anonymous[":event-type"] = nil
        guard case .ignored = StreamTranslator.classify(anonymous) else {
            Issue.record("expected .ignored")
            return
        }
    }

    @Test(arguments: [
        (
            "contentBlockStop", #"{"p":"abc"}"#,
            "AI Nexus sent a malformed contentBlockStop event: event without a valid contentBlockIndex"
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":0}"#,
            "AI Nexus sent a malformed contentBlockDelta event: contentBlockDelta without delta"
        ),
        (
            "contentBlockStart", #"{"contentBlockIndex":0,"start":{"toolUse":{"name":"x"}}}"#,
            "AI Nexus sent a malformed contentBlockStart event: contentBlockStart.toolUse without toolUseId or name"
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":-1,"delta":{"text":"x"}}"#,
            "AI Nexus sent a malformed contentBlockDelta event: event without a valid contentBlockIndex"
        ),
    ])
    func malformedEventFrames(_ type: String, _ payload: String, _ message: String) {
        guard case .failure(let error) = StreamTranslator.classify(Self.eventFrame((type, payload))) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == APIError(.api, message))
    }

    @Test func unparsablePayload() {
        guard
            case .failure(let error) = StreamTranslator.classify(
                Self.eventFrame(("contentBlockDelta", "{\"contentBlockIndex\":")))
        else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.kind == .api)
        #expect(error.message.hasPrefix("AI Nexus sent a malformed contentBlockDelta event: "))
    }

    // MARK: Event decoding

    @Test(arguments: [
        ("messageStart", #"{"role":"assistant","p":"xyz"}"#, ConverseStreamEvent.messageStart(role: "assistant")),
        (
            "contentBlockStart", #"{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"t","name":"n"}}}"#,
            .contentBlockStart(index: 2, start: .toolUse(id: "t", name: "n"))
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"text":""},"p":"q"}"#,
            .contentBlockDelta(index: 1, delta: .text(""))
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{"}}}"#,
            .contentBlockDelta(index: 1, delta: .toolUseInput("{"))
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"r"}}}"#,
            .contentBlockDelta(index: 0, delta: .reasoningText("r"))
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"s"}}}"#,
            .contentBlockDelta(index: 0, delta: .reasoningSignature("s"))
        ),
        (
            "contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"reasoningContent":{"redactedContent":"d"}}}"#,
            .contentBlockDelta(index: 0, delta: .redactedContent("d"))
        ),
        ("contentBlockStop", #"{"contentBlockIndex":4}"#, .contentBlockStop(index: 4)),
        (
            "messageStop", #"{"stopReason":"max_tokens"}"#,
            .messageStop(stopReason: "max_tokens", additionalModelResponseFields: nil)
        ),
        (
            "metadata", #"{"usage":{"inputTokens":1,"outputTokens":2},"p":"x"}"#,
            .metadata(usage: ConverseUsage(inputTokens: 1, outputTokens: 2))
        ),
        ("somethingNew", #"{}"#, .unknown("somethingNew")),
    ])
    func decode(_ type: String, _ payload: String, _ expected: ConverseStreamEvent) throws {
        #expect(try event(type, payload) == expected)
    }

    // MARK: SSE rendering

    @Test(arguments: [
        StreamEvent.Delta.text("plain"), .text("quote \" backslash \\ newline \n tab \t nul \u{0} é 🎉"),
        .inputJSON(#"{"a":[1,2]}"#), .thinking("</think>"), .signature("EqQBCkYIBxgC/+=="),
    ])
    func deltaFastPathMatchesTheJSONForm(_ delta: StreamEvent.Delta) {
        let event = StreamEvent.contentBlockDelta(index: 7, delta: delta)
        #expect(sse([event]) == "event: content_block_delta\ndata: \(event.data.jsonString)\n\n")
    }

    @Test func escapedDeltaText() {
        #expect(
            sse([.contentBlockDelta(index: 0, delta: .text("a\"b\\c\nd\u{1}"))])
                == "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\\\"b\\\\c\\nd\\u0001\"}}\n\n"
        )
    }

    @Test func errorEventWithoutRequestID() {
        #expect(
            sse([.error(APIError(.overloaded, "Overloaded"), requestID: nil)])
                == frame("error", #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
    }
}
