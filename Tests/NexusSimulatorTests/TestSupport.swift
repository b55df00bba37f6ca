import AWSEventStream
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NexusJSON
import NexusSimulator
import Testing

/// A decoded simulator response.
struct SimResponse: Sendable {
    var status: Int
    var headers: HTTPFields
    var body: ByteBuffer

    var json: JSONValue? { try? JSONValue.parse(body) }
    var message: String? { json?["message"]?.stringValue ?? json?["Message"]?.stringValue }
    var errorType: String? { HTTPField.Name("x-amzn-ErrorType").flatMap { headers[$0] } }
    var text: String {
        (json?["output"]?["message"]?["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
    }
    var stopReason: String? { json?["stopReason"]?.stringValue }

    /// The event-stream frames of a ConverseStream body.
    func frames() throws -> [EventStreamMessage] {
        var reader = EventStreamFrameReader()
        reader.append(body)
        var frames: [EventStreamMessage] = []
        while let frame = try reader.next(endOfInput: true) { frames.append(frame) }
        return frames
    }
}

extension EventStreamMessage {
    var json: JSONValue? { try? JSONValue.parse(payload) }
}

enum Sim {
    static let logger = Logger(label: "NexusSimulatorTests")
    static let model = "claude-sonnet-4.6"

    static func app(_ options: SimulatorOptions = SimulatorOptions()) -> some ApplicationProtocol {
        Application(router: NexusSimulator.router(options: options, logger: logger))
    }

    /// Runs `test` against an in-process simulator.
    static func with<Value: Sendable>(
        _ options: SimulatorOptions = SimulatorOptions(),
        _ test: @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        try await app(options).test(.router) { client in try await test(client) }
    }

    /// POSTs `body` to `/model/{model}/{operation}`.
    static func post(
        _ client: any TestClientProtocol, _ operation: String = "converse", model: String = Sim.model,
        key: String? = "test-key", body: JSONValue
    ) async throws -> SimResponse {
        try await post(client, operation, model: model, key: key, raw: ByteBuffer(bytes: body.jsonBytes))
    }

    static func post(
        _ client: any TestClientProtocol, _ operation: String = "converse", model: String = Sim.model,
        key: String? = "test-key", raw: ByteBuffer
    ) async throws -> SimResponse {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let key { headers[.authorization] = "Bearer \(key)" }
        let response = try await client.execute(
            uri: "/model/\(model)/\(operation)", method: .post, headers: headers, body: raw)
        return SimResponse(status: Int(response.status.code), headers: response.headers, body: response.body)
    }

    /// A one-turn request saying `text`.
    static func ask(_ text: String, extra: [(String, JSONValue)] = []) -> JSONValue {
        var object = JSONObject()
        object.append("messages", [user(text)])
        for (key, value) in extra { object.append(key, value) }
        return .object(object)
    }

    static func user(_ text: String) -> JSONValue {
        ["role": "user", "content": [["text": .string(text)]]]
    }

    static func assistant(_ text: String) -> JSONValue {
        ["role": "assistant", "content": [["text": .string(text)]]]
    }

    static func body(messages: [JSONValue], extra: [(String, JSONValue)] = []) -> JSONValue {
        var object = JSONObject()
        object.append("messages", .array(messages))
        for (key, value) in extra { object.append(key, value) }
        return .object(object)
    }

    static let bashTool: JSONValue = [
        "tools": [
            [
                "toolSpec": [
                    "name": "Bash",
                    "inputSchema": [
                        "json": [
                            "type": "object", "properties": ["command": ["type": "string"]], "required": ["command"],
                        ]
                    ],
                ]
            ]
        ]
    ]
}
