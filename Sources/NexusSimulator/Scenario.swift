/// The behaviour a request asks for with `sim:NAME[:ARG]` markers (see docs/simulator.md).
///
/// Markers are read from the text blocks of the last user message; when that message carries a
/// tool result and no marker, from the latest earlier user message that has markers (the prompt
/// that started the tool loop). Several markers may be combined (`sim:slow_first_byte:2
/// sim:long:50`); for each kind the first one wins. `sim:bash:` and `sim:bash_seq:` take the rest
/// of their text block as the command(s), so they go last.
struct Scenario: Sendable, Equatable {
    /// What the answer holds.
    enum Answer: Sendable, Equatable {
        case greeting
        case echo
        case long(words: Int)
        case tool
        case bash(command: String)
        /// `sim:bash_seq:CMD1;;CMD2…`: one Bash call per step (reasoning first when thinking is
        /// on), then a text with every output.
        case bashSequence(commands: [String])
        case thinking
        case redacted
        case maxTokens
        case stopSequence
        case refusal
    }

    /// A 200 answer a Bedrock client cannot read.
    enum BodyFault: Sendable, Equatable {
        /// `application/json` with a body cut in the middle of the JSON.
        case malformedJSON
        /// `text/html` with an HTML page, as a misconfigured proxy sends.
        case wrongContentType
    }

    /// How a stream goes wrong after some text.
    enum StreamFault: Sendable, Equatable {
        case exception(name: String)
        case cut
        case silent(Duration)
    }

    var answer: Answer = .greeting
    /// `sim:error:NAME`: answer this error instead.
    var error: String?
    /// `sim:throttle:N`: throttle the first N requests with the same marker text.
    var throttle: Int?
    var streamFault: StreamFault?
    /// `sim:slow_first_byte:S`.
    var firstByteDelay: Duration?
    /// `sim:malformed_json`, `sim:wrong_content_type`: a 200 whose body is not a Converse answer.
    var bodyFault: BodyFault?
    /// The text of the message that carried the markers (the key of `sim:throttle`).
    var markerText: String = ""
    /// The index in `messages` of the user message that carried the markers.
    var markerMessage: Int?

    static let maxLongWords = 50_000
    static let maxSeconds = 600.0

    /// The scenario of a conversation.
    static func select(_ view: ConversationView) -> Scenario {
        guard let last = view.userIndices.last else { return Scenario(markerText: view.lastUserText) }
        if var scenario = parse(view.lastUserTexts) {
            scenario.markerMessage = last
            return scenario
        }
        if view.toolResultText != nil {
            // A tool loop: the prompt that started it is the latest user message with markers.
            for index in view.userIndices.dropLast().reversed() {
                if var scenario = parse(ConversationView.texts(of: view.messages[index])) {
                    scenario.markerMessage = index
                    return scenario
                }
            }
        }
        return Scenario(markerText: view.lastUserText)
    }

    /// The scenario described by the markers in `texts`, or nil when there is none.
    static func parse(_ texts: [String]) -> Scenario? {
        var scenario = Scenario()
        var found = false
        var answerSet = false
        for text in texts {
            for marker in Marker.scan(text) {
                found = scenario.apply(marker, answerSet: &answerSet) || found
            }
        }
        guard found else { return nil }
        scenario.markerText = texts.joined(separator: "\n")
        return scenario
    }

    /// Applies one marker; false when the marker is unknown.
    private mutating func apply(_ marker: Marker, answerSet: inout Bool) -> Bool {
        func setAnswer(_ answer: Answer) {
            guard !answerSet else { return }
            self.answer = answer
            answerSet = true
        }
        switch marker.name {
        case "echo": setAnswer(.echo)
        case "long":
            let words = marker.argument.flatMap { Int($0) } ?? 100
            setAnswer(.long(words: min(max(words, 1), Self.maxLongWords)))
        case "tool": setAnswer(.tool)
        case "bash": setAnswer(.bash(command: marker.argument ?? ""))
        case "bash_seq":
            let commands = (marker.argument ?? "").split(separator: ";;").map { Words.trimmed(String($0)) }
            setAnswer(.bashSequence(commands: commands.filter { !$0.isEmpty }))
        case "thinking": setAnswer(.thinking)
        case "redacted": setAnswer(.redacted)
        case "max_tokens": setAnswer(.maxTokens)
        case "stop_sequence": setAnswer(.stopSequence)
        case "refusal": setAnswer(.refusal)
        case "error":
            if error == nil { error = marker.argument ?? "internal" }
        case "throttle":
            if throttle == nil { throttle = max(0, marker.argument.flatMap { Int($0) } ?? 1) }
        case "stream_exception":
            if streamFault == nil { streamFault = .exception(name: marker.argument ?? "model_stream_error") }
        case "stream_cut":
            if streamFault == nil { streamFault = .cut }
        case "stream_silent":
            if streamFault == nil { streamFault = .silent(Self.seconds(marker.argument)) }
        case "slow_first_byte":
            if firstByteDelay == nil { firstByteDelay = Self.seconds(marker.argument) }
        case "malformed_json":
            if bodyFault == nil { bodyFault = .malformedJSON }
        case "wrong_content_type":
            if bodyFault == nil { bodyFault = .wrongContentType }
        default:
            return false
        }
        return true
    }

    /// `S` seconds (fractions allowed, default 1, at most 600).
    static func seconds(_ argument: String?) -> Duration {
        let seconds = argument.flatMap { Double($0) } ?? 1
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .milliseconds(Int(min(seconds, maxSeconds) * 1000))
    }
}

/// One `sim:NAME[:ARG]` occurrence in a text.
struct Marker: Sendable, Equatable {
    var name: String
    var argument: String?

    /// The markers of `text`, in order. A marker starts a word (start of text or after a
    /// character that is not a letter, digit or `_`); NAME is `[a-z0-9_]+`; ARG runs to the next
    /// whitespace (trailing `.,;:!?)` dropped), except for `bash` and `bash_seq`, whose ARG is the
    /// rest of the text.
    static func scan(_ text: String) -> [Marker] {
        let bytes = Array(text.utf8)
        let tag = Array("sim:".utf8)
        var markers: [Marker] = []
        var index = 0
        while index + tag.count <= bytes.count {
            guard bytes[index] == tag[0], bytes[index..<(index + tag.count)].elementsEqual(tag),
                index == 0 || !isWordByte(bytes[index - 1])
            else {
                index += 1
                continue
            }
            var cursor = index + tag.count
            let nameStart = cursor
            while cursor < bytes.count, isNameByte(bytes[cursor]) { cursor += 1 }
            guard cursor > nameStart else {
                index = cursor
                continue
            }
            let name = String(decoding: bytes[nameStart..<cursor], as: UTF8.self)
            var argument: String?
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") {
                cursor += 1
                if Self.takesRestOfText.contains(name) {
                    argument = Words.trimmed(String(decoding: bytes[cursor...], as: UTF8.self))
                    cursor = bytes.count
                } else {
                    let argumentStart = cursor
                    while cursor < bytes.count, !isSpaceByte(bytes[cursor]) { cursor += 1 }
                    var argumentEnd = cursor
                    while argumentEnd > argumentStart, ".,;:!?)".utf8.contains(bytes[argumentEnd - 1]) {
                        argumentEnd -= 1
                    }
                    if argumentEnd > argumentStart {
                        argument = String(decoding: bytes[argumentStart..<argumentEnd], as: UTF8.self)
                    }
                }
            }
            markers.append(Marker(name: name, argument: argument))
            index = cursor
        }
        return markers
    }

    /// Markers whose argument is the rest of the text block (commands with spaces).
    static let takesRestOfText: Set<String> = ["bash", "bash_seq"]

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: "_")
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isNameByte(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    private static func isSpaceByte(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}
