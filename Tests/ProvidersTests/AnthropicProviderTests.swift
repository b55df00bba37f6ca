import AnthropicAPI
import NIOCore
import NIOHTTP1
import NexusJSON
import Testing

@testable import Providers
@testable import UpstreamHTTP

/// The `anthropic` provider's pure parts: the body it sends, the errors it maps, the stream it
/// relays. (End to end against the simulator's Anthropic face: `tests/python/test_providers.py`.)
@Suite struct AnthropicProviderTests {
    func provider(_ configure: (inout UpstreamSpec) -> Void = { _ in }) -> AnthropicProvider {
        var spec = UpstreamSpec(
            name: "backup", kind: .anthropic, endpoint: "https://gw.example.com/v1/messages", key: Secret("k-123"))
        configure(&spec)
        return AnthropicProvider(spec: spec, endpoint: UpstreamEndpoint(spec.endpoint))
    }

    func request(_ text: String, betas: [String] = [], version: String? = "2023-06-01") throws -> ClientRequest {
        let body = ByteBuffer(string: text)
        return try ClientRequest(
            body: body, json: JSONValue.parse(body, verbatimKeys: MessagesRequest.verbatimKeys), betas: betas,
            anthropicVersion: version)
    }

    let body =
        #"{"model":"claude-sonnet-4-6","max_tokens":10,"context_management":{"edits":[]},"messages":[{"role":"user","content":"hi"}]}"#

    @Test func theBodyPassesThroughByteForByteWhenTheModelIsTheSame() throws {
        let p = provider()
        let client = try request(body)
        let call = try p.prepare(client, model: ResolvedModel(id: "claude-sonnet-4-6"))
        #expect(call.request.body == client.body)
        #expect(call.request.path == "/v1/messages")
        let head = String(buffer: try #require(HTTP1RequestEncoding.head(of: call.request, proxy: nil)))
        #expect(head.contains("\r\nx-api-key: k-123\r\n") && head.contains("\r\nanthropic-version: 2023-06-01\r\n"))
        #expect(!head.contains("anthropic-beta"))
    }

    @Test func anotherModelIdIsWrittenIntoTheBody() throws {
        let call = try provider().prepare(try request(body), model: ResolvedModel(id: "claude-opus-4-6"))
        let sent = try JSONValue.parse(call.request.body)
        #expect(sent["model"]?.stringValue == "claude-opus-4-6")
        #expect(sent["messages"]?.arrayValue?.count == 1 && sent["context_management"] != nil)
    }

    @Test func theCapabilityTableDropsFieldsAndBetas() throws {
        let p = provider {
            $0.dropFields = ["context_management"]
            $0.dropBetas = ["context-management-2025-06-27"]
            $0.auth = .bearer
        }
        let call = try p.prepare(
            try request(
                body, betas: ["context-management-2025-06-27", "interleaved-thinking-2025-05-14"], version: nil),
            model: ResolvedModel(id: "claude-sonnet-4-6"))
        let sent = try JSONValue.parse(call.request.body)
        #expect(sent["context_management"] == nil && sent["model"]?.stringValue == "claude-sonnet-4-6")
        let head = String(buffer: try #require(HTTP1RequestEncoding.head(of: call.request, proxy: nil)))
        #expect(head.contains("\r\nanthropic-beta: interleaved-thinking-2025-05-14\r\n"))
        #expect(head.contains("\r\nauthorization: Bearer k-123\r\n") && head.contains("anthropic-version: 2023-06-01"))
    }

    @Test func errorsKeepTheirTypeStatusAndRetryAfter() throws {
        let call = try provider().prepare(try request(body), model: ResolvedModel(id: "claude-sonnet-4-6"))
        let headers = HTTP1Fields([("retry-after", "7"), ("content-type", "application/json")])
        let error = call.failure(
            status: .tooManyRequests, headers: headers,
            body: ByteBuffer(string: #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#))
        #expect(error == APIError(.rateLimit, "slow down", status: 429, retryAfter: 7))
        let overloaded = call.failure(status: HTTPResponseStatus(statusCode: 529), headers: HTTP1Fields(), body: nil)
        #expect(overloaded.kind == .overloaded && overloaded.status == 529)
        let key = call.failure(
            status: .unauthorized, headers: HTTP1Fields(),
            body: ByteBuffer(
                string: #"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#))
        #expect(key.kind == .authentication && key.message.contains("refused the gateway's key"))
        #expect(!key.message.contains("k-123"))
    }

    @Test func theStreamIsRelayedWithTheClientsModelAndItsUsage() throws {
        let call = try provider().prepare(try request(body), model: ResolvedModel(id: "upstream-model"))
        let stream = try call.openStream(
            headers: HTTP1Fields([("content-type", "text/event-stream")]),
            context: AnswerContext(model: "claude-sonnet-4-6", requestID: "req_1"))
        let sse = """
            event: message_start
            data: {"type":"message_start","message":{"id":"m","model":"upstream-model","usage":{"input_tokens":12,"output_tokens":1}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}

            event: message_stop
            data: {"type":"message_stop"}


            """
        let bytes = Array(sse.utf8)
        guard case .needMore = stream.open(ByteBuffer(bytes: bytes[..<20])) else {
            Issue.record("a partial first event is not enough")
            return
        }
        guard case .ready = stream.open(ByteBuffer(bytes: bytes[20..<200])) else {
            Issue.record("the first event is a message_start")
            return
        }
        var out = ByteBuffer()
        stream.relayFirst(into: &out)
        #expect(String(buffer: out).contains(#""model":"claude-sonnet-4-6""#))
        #expect(!String(buffer: out).contains("upstream-model"))
        stream.relay(ByteBuffer(bytes: bytes[200...]), into: &out)
        #expect(stream.isDone && stream.problem == nil)
        #expect(stream.usage == Usage(inputTokens: 12, outputTokens: 5))
        #expect(String(buffer: out).hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
    }

    @Test func anErrorFirstIsAFailedAttemptAndAnEndTooEarlyIsAnErrorEvent() throws {
        let call = try provider().prepare(try request(body), model: ResolvedModel(id: "claude-sonnet-4-6"))
        let context = AnswerContext(model: "claude-sonnet-4-6", requestID: "req_1")
        let sse = HTTP1Fields([("content-type", "text/event-stream; charset=utf-8")])
        let failing = try call.openStream(headers: sse, context: context)
        let opening = failing.open(
            ByteBuffer(
                string:
                    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}\n\n"
            ))
        guard case .failed(let error) = opening else {
            Issue.record("expected a failed opening")
            return
        }
        #expect(error.kind == .overloaded)
        let cut = try call.openStream(headers: sse, context: context)
        _ = cut.open(
            ByteBuffer(string: "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\nevent: con"))
        var out = ByteBuffer()
        cut.relay(nil, into: &out)
        cut.end(into: &out)
        #expect(cut.isDone && cut.problem == "truncated event")
        #expect(String(buffer: out).contains("event: error"))
        #expect(throws: APIError.self) {
            _ = try call.openStream(headers: HTTP1Fields([("content-type", "text/html")]), context: context)
        }
    }

    @Test func anEndpointGivenWholeIsTakenAsTheAPIRoot() {
        #expect(AnthropicProvider.trimmedBase("/v1/messages") == "")
        #expect(AnthropicProvider.trimmedBase("/gateway/v1/") == "/gateway")
        #expect(AnthropicProvider.trimmedBase("") == "")
    }
}
