import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON
import NexusSimulator
import Testing

@Suite("HTTP protocol, auth and robustness")
struct ProtocolTests {
    @Test func badJSON() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, raw: ByteBuffer(string: "{\"messages\": [}"))
            #expect(response.status == 400)
            #expect(response.errorType?.hasPrefix("ValidationException:") == true)
            #expect(response.message?.hasPrefix("Malformed input request: ") == true)
            let empty = try await Sim.post(client, raw: ByteBuffer())
            #expect(empty.status == 400)
        }
    }

    @Test func deeplyNestedBody() async throws {
        try await Sim.with { client throws in
            let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
            let response = try await Sim.post(client, raw: ByteBuffer(string: "{\"messages\":\(deep)}"))
            #expect(response.status == 400)
            let document = String(repeating: "{\"a\":", count: 200) + "1" + String(repeating: "}", count: 200)
            let inTool = Sim.ask("hi", extra: [("additionalModelRequestFields", ["top_k": 1])]).jsonString
                .replacingFirst("\"top_k\":1", with: "\"top_k\":\(document)")
            let nested = try await Sim.post(client, raw: ByteBuffer(string: inTool))
            #expect(nested.status == 400)
        }
    }

    @Test func hugeBody() async throws {
        try await Sim.with(SimulatorOptions(maxRequestBytes: 1024)) { client throws in
            let response = try await Sim.post(client, body: Sim.ask(String(repeating: "x", count: 5000)))
            #expect(response.status == 400)
            #expect(response.message == "Input is too long for requested model.")
        }
    }

    @Test func wrongJSONEverywhereNeverCrashes() async throws {
        try await Sim.with { client throws in
            let bodies: [JSONValue] = [
                [], "text", 1, .null, ["messages": [1, "a", .null, []]], ["messages": [["role": 1, "content": "x"]]],
                ["messages": [["role": "user", "content": [["toolResult": ["toolUseId": 5, "content": [1]]]]]]],
                ["system": [[:]], "toolConfig": ["tools": []], "inferenceConfig": ["maxTokens": .number("1e400")]],
            ]
            for body in bodies {
                for operation in ["converse", "converse-stream", "count-tokens"] {
                    let response = try await Sim.post(client, operation, body: body)
                    #expect(response.status == 400, "\(body.jsonString) \(operation)")
                }
            }
        }
        try await Sim.with(SimulatorOptions(validate: false)) { client throws in
            for body: JSONValue in [
                [], "text", ["messages": [1, .null]], ["messages": [["role": "user", "content": 3]]],
            ] {
                let response = try await Sim.post(client, body: body)
                #expect(response.status == 200)
            }
        }
    }

    @Test func authentication() async throws {
        try await Sim.with { client throws in
            let missing = try await Sim.post(client, key: nil, body: Sim.ask("hi"))
            #expect(missing.status == 403)
            #expect(missing.errorType?.hasPrefix("AccessDeniedException:") == true)
            let bad = try await Sim.post(client, key: "bad-key", body: Sim.ask("hi"))
            #expect(bad.status == 403)
            #expect(bad.json?["Message"]?.stringValue == "Authentication failed: invalid API key")
            #expect(bad.json?["message"] == nil)
            #expect(try await Sim.post(client, key: "anything", body: Sim.ask("hi")).status == 200)
        }
    }

    @Test func unknownModel() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, model: "gpt-4", body: Sim.ask("hi"))
            #expect(response.status == 404)
            #expect(response.errorType?.hasPrefix("ResourceNotFoundException:") == true)
        }
    }

    @Test func modelIdIsPercentDecoded() async throws {
        let options = SimulatorOptions(models: ["arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.claude"])
        try await Sim.with(options) { client throws in
            let encoded = "arn%3Aaws%3Abedrock%3Aeu-west-1%3A123456789012%3Ainference-profile%2Feu.claude"
            let response = try await Sim.post(client, model: encoded, body: Sim.ask("hi"))
            #expect(response.status == 200)
        }
    }

    @Test func cannedMode() async throws {
        try await Sim.with(SimulatorOptions(canned: true)) { client throws in
            let response = try await Sim.post(client, raw: ByteBuffer(string: "not even json"))
            #expect(response.status == 200)
            #expect(response.text == "Hello from the AI Nexus simulator.")
            #expect(try await Sim.post(client, key: "bad", body: Sim.ask("hi")).status == 403)
            let counted = try await Sim.post(client, "count-tokens", body: [:])
            #expect(counted.json?["inputTokens"]?.intValue == 100)
        }
    }

    @Test func latencyOption() async throws {
        try await Sim.with(SimulatorOptions(latency: .milliseconds(200))) { client throws in
            let start = ContinuousClock.now
            _ = try await Sim.post(client, body: Sim.ask("hi"))
            #expect(ContinuousClock.now - start >= .milliseconds(200))
        }
    }

    @Test func requestIDHeader() async throws {
        try await Sim.with { client throws in
            let response = try await Sim.post(client, body: Sim.ask("hi"))
            let name = try #require(HTTPField.Name("x-amzn-RequestId"))
            #expect(response.headers[name]?.count == 36)
        }
    }
}

extension String {
    fileprivate func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
