import HTTPTypes
import HummingbirdTesting
import NIOCore
import NexusJSON
import NexusSimulator

/// Requests to the Anthropic face of an in-process simulator.
enum Anth {
    static let model = "claude-sonnet-4-6"

    /// POSTs `body` to `path` with `x-api-key` (or `Authorization: Bearer` when `bearer`),
    /// `anthropic-version` and `anthropic-beta` as given.
    static func post(
        _ client: any TestClientProtocol, _ path: String = "/v1/messages", key: String? = "test-key",
        bearer: Bool = false, version: String? = "2023-06-01", beta: String? = nil, body: JSONValue
    ) async throws -> SimResponse {
        try await post(
            client, path, key: key, bearer: bearer, version: version, beta: beta, raw: ByteBuffer(bytes: body.jsonBytes)
        )
    }

    static func post(
        _ client: any TestClientProtocol, _ path: String = "/v1/messages", key: String? = "test-key",
        bearer: Bool = false, version: String? = "2023-06-01", beta: String? = nil, raw: ByteBuffer
    ) async throws -> SimResponse {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let key {
            if bearer {
                headers[.authorization] = "Bearer \(key)"
            } else {
                headers[HTTPField.Name("x-api-key")!] = key
            }
        }
        if let version { headers[HTTPField.Name("anthropic-version")!] = version }
        if let beta { headers[HTTPField.Name("anthropic-beta")!] = beta }
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: raw)
        return SimResponse(status: Int(response.status.code), headers: response.headers, body: response.body)
    }

    /// A Messages body: `messages`, `max_tokens` 1024 and the model, plus `extra` members.
    static func body(
        _ messages: [JSONValue], model: String = Anth.model, maxTokens: Int = 1024, extra: [(String, JSONValue)] = []
    ) -> JSONValue {
        var object = JSONObject()
        object.append("model", .string(model))
        object.append("max_tokens", .int(maxTokens))
        object.append("messages", .array(messages))
        for (key, value) in extra { object.append(key, value) }
        return .object(object)
    }

    static func ask(_ text: String, extra: [(String, JSONValue)] = []) -> JSONValue {
        body([user(text)], extra: extra)
    }

    static func user(_ text: String) -> JSONValue { ["role": "user", "content": .string(text)] }
    static func user(_ blocks: [JSONValue]) -> JSONValue { ["role": "user", "content": .array(blocks)] }
    static func assistant(_ blocks: [JSONValue]) -> JSONValue { ["role": "assistant", "content": .array(blocks)] }

    static let bashTool: JSONValue = [
        [
            "name": "Bash", "description": "Run a command",
            "input_schema": ["type": "object", "properties": ["command": ["type": "string"]], "required": ["command"]],
        ]
    ]

    /// The SSE events of a body, as (event name, data).
    static func events(_ response: SimResponse) -> [(String, JSONValue)] {
        var events: [(String, JSONValue)] = []
        for chunk in String(buffer: response.body).split(separator: "\n\n") where !chunk.isEmpty {
            var name = ""
            var data = ""
            for line in chunk.split(separator: "\n") {
                if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            events.append((name, (try? JSONValue.parse(ByteBuffer(string: data))) ?? .null))
        }
        return events
    }
}

extension SimResponse {
    /// The Anthropic error type and message.
    var anthropicError: (type: String?, message: String?) {
        (json?["error"]?["type"]?.stringValue, json?["error"]?["message"]?.stringValue)
    }

    /// The text blocks of an Anthropic message, joined.
    var anthropicText: String {
        (json?["content"]?.arrayValue ?? []).compactMap {
            $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil
        }
        .joined()
    }
}
