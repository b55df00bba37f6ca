import BedrockAPI
import Hummingbird
import NexusJSON

/// Canned mode's fixed answers, encoded once.
struct CannedAnswers: Sendable {
    static let text = "Hello from the AI Nexus simulator."
    private let converseBody: ByteBuffer
    private let streamBody: ByteBuffer
    private let countTokensBody: ByteBuffer

    init() {
        let answer = SimulatedAnswer(blocks: [.text(Self.text)], stopReason: "end_turn")
        let usage: JSONValue = ["inputTokens": 100, "outputTokens": 6, "totalTokens": 106]
        var json =
            ConverseResponse(content: answer.blocks, stopReason: "end_turn", usage: ConverseUsage()).jsonValue
            .objectValue ?? JSONObject()
        json["usage"] = usage
        var converse = ByteBuffer()
        JSONValue.object(json).write(into: &converse)
        converseBody = converse
        var stream = ByteBuffer()
        let script = StreamScript(answer: answer, usage: usage, fault: nil, started: .now)
        for event in script.events {
            if var frame = try? script.frame(event) { stream.writeBuffer(&frame) }
        }
        streamBody = stream
        var count = ByteBuffer()
        JSONValue.object(["inputTokens": 100]).write(into: &count)
        countTokensBody = count
    }

    func response(for operation: SimulatorService.Operation) -> Response {
        switch operation {
        case .converse:
            Response(
                status: .ok, headers: SimulatorService.headers(contentType: "application/json"),
                body: ResponseBody(byteBuffer: converseBody))
        case .converseStream:
            Response(
                status: .ok, headers: SimulatorService.headers(contentType: "application/vnd.amazon.eventstream"),
                body: ResponseBody(byteBuffer: streamBody))
        case .countTokens:
            Response(
                status: .ok, headers: SimulatorService.headers(contentType: "application/json"),
                body: ResponseBody(byteBuffer: countTokensBody))
        }
    }
}
