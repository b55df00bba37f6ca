import AsyncHTTPClient
import NIOCore
import Testing
import UpstreamHTTP

@testable import Gateway

@Suite struct NexusClientTests {
    @Test func aPlainModelIDIsItsOwnPathSegment() {
        #expect(NexusClient.pathSegment("claude-sonnet-4.6") == "claude-sonnet-4.6")
        #expect(NexusClient.pathSegment("us.anthropic.claude-haiku-4-5_v1~x") == "us.anthropic.claude-haiku-4-5_v1~x")
    }

    @Test func anARNIsPercentEncoded() {
        #expect(
            NexusClient.pathSegment("arn:aws:bedrock:us-east-1:123:inference-profile/us.claude")
                == "arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.claude")
        #expect(NexusClient.pathSegment("a b\u{1}é") == "a%20b%01%C3%A9")
    }

    @Test func theRequestCarriesTheKeyAndNoDescriptionOfTheClientShowsIt() throws {
        let key = "nexus-secret-key-0123456789abcdef"
        let pool = try HTTP1ConnectionPool(configuration: .init())
        defer { pool.shutdown() }
        let client = NexusClient(
            upstream: pool, http: HTTPClient.shared, endpoint: UpstreamEndpoint("https://nexus.example.com/base"),
            key: Secret(key))
        let request = try client.request(.converseStream, modelID: "claude-sonnet-4.6", body: ByteBuffer(string: "{}"))
        #expect(request.path == "/base/model/claude-sonnet-4.6/converse-stream")
        #expect(request.headers.fields["authorization"] == ["Bearer \(key)"])
        #expect(request.headers.fields["accept"] == ["application/vnd.amazon.eventstream"])
        let converse = try client.request(.converse, modelID: "m", body: ByteBuffer())
        #expect(converse.headers.fields["accept"] == ["application/json"])
        var dumped = ""
        dump(client, to: &dumped)
        #expect(!dumped.contains(key) && dumped.contains("<redacted>"))
        #expect(!"\(client)".contains(key) && !String(reflecting: client).contains(key))
    }
}
