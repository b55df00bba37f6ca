import AnthropicAPI
import BedrockAPI
import NexusJSON

/// The ConverseStream → Anthropic SSE state machine.
///
/// Feed it every upstream event in order (`receive`), then `finish()` when the upstream body
/// ends, or `fail(_:)` when it breaks. It emits Anthropic events with contiguous block indexes,
/// opens text and thinking blocks on their first delta (Converse sends no `contentBlockStart`
/// for them), holds the stop reason until usage arrives (Converse sends `metadata` after
/// `messageStop`), and always ends the stream with `message_stop` or exactly one `error`.
public struct StreamTranslator: Sendable {
    enum BlockKind: Sendable, Equatable { case text, thinking, toolUse, redacted }

    struct OpenBlock: Sendable {
        var index: Int
        var kind: BlockKind
    }

    enum Phase: Sendable, Equatable { case idle, streaming, stopped, done }

    public let messageID: String
    public let model: String
    public let requestID: String?
    let estimatedInputTokens: Int
    let toolNameMap: [String: String]

    var phase: Phase = .idle
    var open: [Int: OpenBlock] = [:]
    var nextIndex = 0
    var stopReason: String?
    var stopSequence: String?
    var outputCharacters = 0
    /// Usage that arrived before `messageStop` (out of the usual order), used once the stop arrives.
    var earlyUsage: Usage?
    var sentMessageStart = false

    /// - Parameters:
    ///   - estimatedInputTokens: the input-token figure for `message_start` (the exact one follows in
    ///     `message_delta`).
    public init(
        messageID: String, model: String, requestID: String? = nil, estimatedInputTokens: Int,
        toolNameMap: [String: String] = [:]
    ) {
        self.messageID = messageID
        self.model = model
        self.requestID = requestID
        self.estimatedInputTokens = estimatedInputTokens
        self.toolNameMap = toolNameMap
    }

    /// True once the stream ended, cleanly or with an error: nothing more will be emitted.
    public var isDone: Bool { phase == .done }

    /// True once `message_start` went out (the HTTP status is committed).
    public var hasStarted: Bool { sentMessageStart }

    /// The final usage, once known (for logs and metrics).
    public private(set) var finalUsage: Usage?

    /// Translates one upstream event.
    public mutating func receive(_ event: ConverseStreamEvent, into out: inout [StreamEvent]) {
        guard phase != .done else { return }
        switch event {
        case .messageStart:
            start(into: &out)
        case .contentBlockStart(let i, .toolUse(let id, let name)):
            start(into: &out)
            closeIfOpen(i, into: &out)
            let index = allocate(i, .toolUse)
            out.append(.contentBlockStart(index: index, block: .toolUse(id: id, name: toolNameMap[name] ?? name, input: .object([:]))))
        case .contentBlockStart:
            start(into: &out)
        case .contentBlockDelta(let i, let delta):
            start(into: &out)
            self.delta(i, delta, into: &out)
        case .contentBlockStop(let i):
            closeIfOpen(i, into: &out)
        case .messageStop(let reason, let fields):
            start(into: &out)
            closeAll(into: &out)
            do {
                let mapped = try ResponseTranslator.stopReason(reason)
                stopReason = mapped
                stopSequence = ResponseTranslator.stopSequence(fields, stopReason: mapped)
                phase = .stopped
                if let usage = earlyUsage { end(usage: usage, into: &out) }
            } catch {
                fail(error, into: &out)
            }
        case .metadata(let usage):
            guard phase == .stopped else {
                earlyUsage = ResponseTranslator.usage(usage)  // usage before messageStop: wait for the stop
                return
            }
            end(usage: ResponseTranslator.usage(usage), into: &out)
        case .unknown:
            break
        }
    }

    /// The upstream body ended. A stream stopped but without `metadata` ends with an estimate; one
    /// that never stopped ends with an error.
    public mutating func finish(into out: inout [StreamEvent]) {
        switch phase {
        case .done:
            return
        case .stopped:
            end(
                usage: Usage(inputTokens: estimatedInputTokens, outputTokens: max(1, outputCharacters / 4)),
                into: &out)
        case .idle, .streaming:
            fail(APIError(.api, "The upstream stream ended before the message was complete."), into: &out)
        }
    }

    /// Ends the stream with an `error` event (exception frame, corrupt frame, dropped or silent upstream).
    public mutating func fail(_ error: APIError, into out: inout [StreamEvent]) {
        guard phase != .done else { return }
        out.append(.error(error, requestID: requestID))
        phase = .done
    }

    // MARK: -

    mutating func start(into out: inout [StreamEvent]) {
        guard phase == .idle else { return }
        phase = .streaming
        sentMessageStart = true
        out.append(.messageStart(id: messageID, model: model, usage: Usage(inputTokens: estimatedInputTokens, outputTokens: 1)))
        out.append(.ping)
    }

    mutating func allocate(_ converseIndex: Int, _ kind: BlockKind) -> Int {
        let index = nextIndex
        nextIndex += 1
        open[converseIndex] = OpenBlock(index: index, kind: kind)
        return index
    }

    mutating func delta(_ i: Int, _ delta: ConverseStreamEvent.Delta, into out: inout [StreamEvent]) {
        let wanted: BlockKind
        switch delta {
        case .text: wanted = .text
        case .reasoningText, .reasoningSignature: wanted = .thinking
        case .redactedContent: wanted = .redacted
        case .toolUseInput: wanted = .toolUse
        case .other: return
        }
        if let block = open[i], block.kind != wanted || wanted == .redacted {
            // A new kind of content under the same Converse index: close and reopen.
            closeIfOpen(i, into: &out)
        }
        var index: Int
        if let block = open[i] {
            index = block.index
        } else {
            switch delta {
            case .text:
                index = allocate(i, .text)
                out.append(.contentBlockStart(index: index, block: .text("")))
            case .reasoningText, .reasoningSignature:
                index = allocate(i, .thinking)
                out.append(.contentBlockStart(index: index, block: .thinking(thinking: "", signature: "")))
            case .redactedContent(let data):
                index = allocate(i, .redacted)
                out.append(.contentBlockStart(index: index, block: .redactedThinking(data: data)))
                return
            case .toolUseInput:
                fail(APIError(.api, "The upstream sent tool input for a tool call it never started."), into: &out)
                return
            case .other:
                return
            }
        }
        switch delta {
        case .text(let t):
            outputCharacters += t.utf8.count
            out.append(.contentBlockDelta(index: index, delta: .text(t)))
        case .toolUseInput(let json):
            outputCharacters += json.utf8.count
            out.append(.contentBlockDelta(index: index, delta: .inputJSON(json)))
        case .reasoningText(let t):
            outputCharacters += t.utf8.count
            out.append(.contentBlockDelta(index: index, delta: .thinking(t)))
        case .reasoningSignature(let s):
            out.append(.contentBlockDelta(index: index, delta: .signature(s)))
        case .redactedContent, .other:
            break
        }
    }

    mutating func closeIfOpen(_ i: Int, into out: inout [StreamEvent]) {
        guard let block = open.removeValue(forKey: i) else { return }
        out.append(.contentBlockStop(index: block.index))
    }

    mutating func closeAll(into out: inout [StreamEvent]) {
        for block in open.values.sorted(by: { $0.index < $1.index }) {
            out.append(.contentBlockStop(index: block.index))
        }
        open.removeAll()
    }

    mutating func end(usage: Usage, into out: inout [StreamEvent]) {
        closeAll(into: &out)
        finalUsage = usage
        out.append(.messageDelta(stopReason: stopReason, stopSequence: stopSequence, usage: usage))
        out.append(.messageStop)
        phase = .done
    }
}

import AWSEventStream

extension StreamTranslator {
    /// Translates one decoded event-stream frame: an event, an exception (`:message-type`
    /// `exception`, still under HTTP 200) or an error frame.
    public mutating func receive(_ message: EventStreamMessage, into out: inout [StreamEvent]) {
        switch Self.classify(message) {
        case .event(let event): receive(event, into: &out)
        case .failure(let error): fail(error, into: &out)
        case .ignored: break
        }
    }

    /// What a frame means, before any state is touched.
    public enum Frame: Sendable {
        case event(ConverseStreamEvent)
        case failure(APIError)
        case ignored
    }

    /// Decodes a frame into an event or a client-facing error.
    public static func classify(_ message: EventStreamMessage) -> Frame {
        switch message.messageType ?? "event" {
        case "event":
            guard let type = message.eventType else { return .ignored }
            if type == "contentBlockDelta",
                let event = message.payload.withUnsafeReadableBytes(ConverseStreamEvent.contentBlockDelta(fastPathFrom:))
            {
                return .event(event)
            }
            do {
                let payload = try JSONValue.parse(message.payload)
                return .event(try ConverseStreamEvent(eventType: type, payload: payload))
            } catch {
                return .failure(APIError(.api, "AI Nexus sent a malformed \(type) event: \(error)"))
            }
        case "exception":
            let name = BedrockError.normalize(message.exceptionType ?? "InternalServerException")
            let payload = try? JSONValue.parse(message.payload)
            let text = payload?["message"]?.stringValue ?? payload?["Message"]?.stringValue ?? name
            let error = BedrockError(name: name, message: text, status: BedrockError.status(forName: name))
            return .failure(ResponseTranslator.error(error))
        default:
            let code = message.errorCode ?? "InternalError"
            let text = message.errorMessage ?? "AI Nexus reported an error in the stream"
            let error = BedrockError(name: BedrockError.normalize(code), message: text, status: 500)
            return .failure(ResponseTranslator.error(error))
        }
    }
}
