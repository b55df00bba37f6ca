import AsyncHTTPClient
import Foundation
import NIOCore
import Gateway
import HTTPTypes
import NexusJSON
import NexusSimulator
import Testing

@Suite("Gateway against the simulator, live")
struct GatewayLiveTests {
    @Test func healthNeverShowsTheKey() async throws {
        try await withLiveStack { stack in
            let (status, body) = try await stack.get("/health")
            #expect(status == 200)
            let json = try JSONValue.parse(body)
            #expect(json["status"] == "ok")
            #expect(json["key_configured"] == true)
            #expect(!body.contains(stack.nexusKey))
        }
    }

    @Test func plainTextAnswer() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("Hello there"))
            #expect(r.status == 200)
            let json = try JSONValue.parse(r.body)
            #expect(json["type"] == "message")
            #expect(json["role"] == "assistant")
            #expect(json["model"] == "claude-sonnet-4-6")
            #expect(json["id"]?.stringValue?.hasPrefix("msg_") == true)
            #expect(json["stop_reason"] == "end_turn")
            #expect(json["content"]?.arrayValue?.first?["type"] == "text")
            #expect((json["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
            #expect(r.headers[HTTPField.Name("request-id")!]?.hasPrefix("req_") == true)
        }
    }

    @Test func betaQueryParameterIsAccepted() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages?beta=true", json: messagesBody("hi"))
            #expect(r.status == 200)
        }
    }

    @Test func toolUseAnswer() async throws {
        try await withLiveStack { stack in
            let tools = #","tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]"#
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:tool", extra: tools))
            #expect(r.status == 200)
            let json = try JSONValue.parse(r.body)
            #expect(json["stop_reason"] == "tool_use")
            let block = try #require(json["content"]?.arrayValue?.first(where: { $0["type"] == "tool_use" }))
            #expect(block["name"] == "get_weather")
            #expect(block["input"]?["city"]?.stringValue != nil)
        }
    }

    @Test func streamingTextEventsInOrder() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:long:12", stream: true))
            #expect(r.status == 200)
            #expect(r.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let events = sseEvents(r.body)
            let names = events.map(\.event).filter { $0 != "ping" }
            #expect(names.first == "message_start")
            #expect(names.last == "message_stop")
            #expect(names.contains("content_block_delta"))
            let start = try #require(events.first)
            #expect((start.data["message"]?["usage"]?["input_tokens"]?.intValue ?? 0) > 0)
            let delta = try #require(events.first { $0.event == "message_delta" })
            #expect(delta.data["delta"]?["stop_reason"] == "end_turn")
            let text = events.compactMap { $0.data["delta"]?["text"]?.stringValue }.joined()
            #expect(text.split(separator: " ").count == 12)
        }
    }

    @Test func streamExceptionBecomesErrorEvent() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:stream_exception:modelStreamErrorException", stream: true))
            #expect(r.status == 200)
            let events = sseEvents(r.body)
            #expect(events.first?.event == "message_start")
            let last = try #require(events.last)
            #expect(last.event == "error")
            #expect(last.data["error"]?["type"] == "api_error")
        }
    }

    @Test func cutStreamEndsWithErrorEvent() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:stream_cut", stream: true))
            let events = sseEvents(r.body)
            #expect(events.last?.event == "error")
            #expect(!events.contains { $0.event == "message_stop" })
        }
    }

    @Test func silentUpstreamGetsPingsThenTimesOut() async throws {
        try await withLiveStack(configure: { $0.idleTimeout = .seconds(2) }) { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:stream_silent:30", stream: true))
            let events = sseEvents(r.body)
            #expect(events.contains { $0.event == "ping" })
            #expect(events.last?.event == "error")
            #expect(events.last?.data["error"]?["type"] == "timeout_error")
        }
    }

    @Test(arguments: [
        ("throttling", 429, "rate_limit_error"),
        ("validation", 400, "invalid_request_error"),
        ("not_found", 404, "not_found_error"),
        ("model_timeout", 504, "timeout_error"),
        ("model_error", 500, "api_error"),
        ("internal", 500, "api_error"),
        ("unavailable", 529, "overloaded_error"),
        ("access_denied", 403, "permission_error"),
    ])
    func upstreamErrorsMapToAnthropicErrors(name: String, status: Int, type: String) async throws {
        try await withLiveStack { stack in
            for stream in [false, true] {
                let r = try await stack.post("/v1/messages", json: messagesBody("sim:error:\(name)", stream: stream))
                #expect(r.status == status, "\(name) stream=\(stream): \(r.body)")
                let json = try JSONValue.parse(r.body)
                #expect(json["type"] == "error")
                #expect(json["error"]?["type"]?.stringValue == type)
                #expect(json["request_id"]?.stringValue?.hasPrefix("req_") == true)
            }
        }
    }

    @Test func promptTooLongIsMappedForAutoCompact() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:error:too_long"))
            #expect(r.status == 400)
            let message = try JSONValue.parse(r.body)["error"]?["message"]?.stringValue ?? ""
            #expect(message.hasPrefix("prompt is too long"))
        }
    }

    @Test func throttlingIsRetried() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("sim:throttle:2 retry-test-\(UUID())"))
            #expect(r.status == 200, "\(r.body)")
            #expect(r.headers[HTTPField.Name("x-nexus-retries")!] == "2")
        }
    }

    @Test func badKeyUpstreamIsAuthenticationError() async throws {
        try await withLiveStack(configure: { $0.nexusKey = Secret("bad-key-for-test") }) { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("x"))
            #expect(r.status == 401)
            #expect(try JSONValue.parse(r.body)["error"]?["type"] == "authentication_error")
            #expect(!r.body.contains("bad-key-for-test"))
        }
    }

    @Test(arguments: [
        ("{not json", "not valid JSON"),
        (#"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"x"}]}"#, "max_tokens: Field required"),
        (#"{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#, "model: Field required"),
        (#"{"model":"claude-sonnet-4-6","max_tokens":5}"#, "messages: Field required"),
        (#"{"model":"claude-sonnet-4-6","max_tokens":"5","messages":[]}"#, "max_tokens"),
        (#"{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[]}"#, "at least one message"),
        (#"{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[{"role":"robot","content":"x"}]}"#, "messages.0.role"),
        (#"[1,2,3]"#, "JSON object"),
        ("", "empty"),
    ])
    func badInputIsA400(body: String, fragment: String) async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: body)
            #expect(r.status == 400)
            let json = try JSONValue.parse(r.body)
            #expect(json["error"]?["type"] == "invalid_request_error")
            #expect(json["error"]?["message"]?.stringValue?.contains(fragment) == true, "\(r.body)")
            // And the server keeps serving.
            let ok = try await stack.post("/v1/messages", json: messagesBody("still there?"))
            #expect(ok.status == 200)
        }
    }

    @Test func unknownModelIs404NamingKnownModels() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("x", model: "gpt-4o"))
            #expect(r.status == 404)
            let message = try JSONValue.parse(r.body)["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("gpt-4o"))
            #expect(message.contains("claude-sonnet-4.6"))
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        try await withLiveStack(configure: { $0.maxBodyBytes = 10_000 }) { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody(String(repeating: "a", count: 20_000)))
            #expect(r.status == 413)
            #expect(try JSONValue.parse(r.body)["error"]?["type"] == "request_too_large")
        }
    }

    @Test func proxyKeyIsRequiredWhenSet() async throws {
        try await withLiveStack(configure: { $0.proxyKey = Secret("proxy-secret-key-42") }) { stack in
            let denied = try await stack.post("/v1/messages", json: messagesBody("x"))
            #expect(denied.status == 401)
            #expect(try JSONValue.parse(denied.body)["error"]?["type"] == "authentication_error")
            let ok = try await stack.post(
                "/v1/messages", json: messagesBody("x"), headers: [HTTPField.Name("x-api-key")!: "proxy-secret-key-42"])
            #expect(ok.status == 200)
            let bearer = try await stack.post(
                "/v1/messages", json: messagesBody("x"),
                headers: [.authorization: "Bearer proxy-secret-key-42", HTTPField.Name("x-api-key")!: "proxy-secret-key-42"])
            #expect(bearer.status == 200)
            #expect(!denied.body.contains("proxy-secret-key-42"))
        }
    }

    @Test func unreachableUpstreamIs502NamingTheEndpoint() async throws {
        try await withLiveStack(retry: .fast, configure: { $0.connectTimeout = .milliseconds(500) }, endpointOverride: "http://127.0.0.1:9") { stack in
            let r = try await stack.post("/v1/messages", json: messagesBody("x"))
            #expect(r.status == 502)
            #expect(r.body.contains("127.0.0.1:9"))
            #expect(!r.body.contains(stack.nexusKey))
        }
    }

    @Test func countTokensUsesUpstream() async throws {
        try await withLiveStack { stack in
            let r = try await stack.post(
                "/v1/messages/count_tokens",
                json: #"{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Count these words please"}]}"#)
            #expect(r.status == 200, "\(r.body)")
            #expect((try JSONValue.parse(r.body)["input_tokens"]?.intValue ?? 0) > 0)
            #expect(r.headers[HTTPField.Name("x-nexus-token-count")!] == "exact")
        }
    }

    @Test func modelsAreListed() async throws {
        try await withLiveStack { stack in
            let (status, body) = try await stack.get("/v1/models")
            #expect(status == 200)
            let ids = try JSONValue.parse(body)["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains("claude-sonnet-4-6"))
            #expect(ids.contains("claude-opus-4.6"))
            let one = try await stack.get("/v1/models/claude-3-5-haiku-20241022")
            #expect(one.status == 200)
            #expect(try JSONValue.parse(one.body)["display_name"] == "Claude Haiku 4.5")
            #expect(try await stack.get("/v1/models/gpt-4").status == 404)
        }
    }

    @Test func unknownRouteIsAnthropicShaped404() async throws {
        try await withLiveStack { stack in
            let (status, body) = try await stack.get("/v1/nothing")
            #expect(status == 404)
            #expect(try JSONValue.parse(body)["error"]?["type"] == "not_found_error")
        }
    }

    @Test func metricsCountRequestsAndTokens() async throws {
        try await withLiveStack { stack in
            _ = try await stack.post("/v1/messages", json: messagesBody("count me"))
            _ = try await stack.post("/v1/messages", json: messagesBody("sim:long:3", stream: true))
            let (status, body) = try await stack.get("/metrics")
            #expect(status == 200)
            #expect(body.contains(#"nexus_requests_total{model="claude-sonnet-4-6",status="200",stream="false",upstream="nexus"} 1"#), "\(body)")
            #expect(body.contains(#"nexus_requests_total{model="claude-sonnet-4-6",status="200",stream="true",upstream="nexus"} 1"#))
            #expect(body.contains("nexus_tokens_total{"))
            #expect(body.contains("nexus_first_byte_seconds_bucket"))
            #expect(body.contains("nexus_streams_in_flight"))
        }
    }

    @Test func concurrencyLimitAnswers429AtOnce() async throws {
        try await withLiveStack(configure: { $0.maxConcurrentRequests = 1 }) { stack in
            // The test client speaks over one connection; use separate ones to run in parallel.
            let port = try #require(stack.client.port)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            func post(_ body: String) async throws -> (Int, String) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/messages")
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await http.execute(request, timeout: .seconds(30))
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            do {
                async let slow = post(messagesBody("sim:stream_silent:2", stream: true))
                try await Task.sleep(for: .milliseconds(700))
                let refused = try await post(messagesBody("x"))
                #expect(refused.0 == 429)
                #expect(refused.1.contains("concurrent"))
                let first = try await slow
                #expect(first.0 == 200)
                #expect(first.1.contains("message_stop"))
                let after = try await post(messagesBody("x"))
                #expect(after.0 == 200)
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
    }

    @Test func thirtyTwoConcurrentLongStreamsAreAllByteCorrect() async throws {
        try await withLiveStack { stack in
            let port = try #require(stack.client.port)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let words = 300
                let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for i in 0..<32 {
                        group.addTask {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/messages")
                            request.method = .POST
                            request.headers.add(name: "content-type", value: "application/json")
                            request.body = .bytes(ByteBuffer(string: messagesBody("sim:long:\(words) stream \(i)", stream: true)))
                            let response = try await http.execute(request, timeout: .seconds(60))
                            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 8 << 20)))
                        }
                    }
                    var all: [(Int, String)] = []
                    for try await r in group { all.append(r) }
                    return all
                }
                #expect(results.count == 32)
                for (status, body) in results {
                    #expect(status == 200)
                    let events = sseEvents(body).filter { $0.event != "ping" }
                    #expect(events.map(\.event).first == "message_start")
                    #expect(events.map(\.event).suffix(3) == ["content_block_stop", "message_delta", "message_stop"])
                    let text = events.compactMap { $0.data["delta"]?["text"]?.stringValue }.joined()
                    #expect(text.split(separator: " ").count == words)
                    #expect(events.filter { $0.event == "content_block_delta" }.allSatisfy { $0.data["index"] == 0 })
                }
            } catch {
                try await http.shutdown()
                throw error
            }
            try await http.shutdown()
        }
    }
}
