import AsyncHTTPClient
import NIOCore
import Testing

@testable import Gateway
@testable import UpstreamHTTP
import Providers
import Translation

@Suite struct NexusClientTests {
    @Test func aPlainModelIDIsItsOwnPathSegment() {
        #expect(ConverseProvider.pathSegment("claude-sonnet-4.6") == "claude-sonnet-4.6")
        #expect(ConverseProvider.pathSegment("us.anthropic.claude-haiku-4-5_v1~x") == "us.anthropic.claude-haiku-4-5_v1~x")
    }

    @Test func anARNIsPercentEncoded() {
        #expect(
            ConverseProvider.pathSegment("arn:aws:bedrock:us-east-1:123:inference-profile/us.claude")
                == "arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.claude")
        #expect(ConverseProvider.pathSegment("a b\u{1}é") == "a%20b%01%C3%A9")
    }

    @Test func theRequestCarriesTheKeyAndNoDescriptionOfTheClientShowsIt() throws {
        let key = "nexus-secret-key-0123456789abcdef"
        let pool = try HTTP1ConnectionPool(configuration: .init())
        defer { pool.shutdown() }
        _ = pool
        let client = ConverseProvider(
            spec: UpstreamSpec(name: "nexus", kind: .converse, endpoint: "https://nexus.example.com/base", key: Secret(key)),
            endpoint: UpstreamEndpoint("https://nexus.example.com/base"), catalog: ModelCatalog(),
            translation: TranslationOptions())
        let request = try client.request(.converseStream, modelID: "claude-sonnet-4.6", body: ByteBuffer(string: "{}"))
        #expect(request.path == "/base/model/claude-sonnet-4.6/converse-stream")
        let head = String(buffer: try #require(HTTP1RequestEncoding.head(of: request, proxy: nil)))
        #expect(head.contains("\r\nauthorization: Bearer \(key)\r\n"))
        #expect(head.contains("\r\naccept: application/vnd.amazon.eventstream\r\n"))
        let converse = try client.request(.converse, modelID: "m", body: ByteBuffer())
        let converseHead = try #require(HTTP1RequestEncoding.head(of: converse, proxy: nil))
        #expect(String(buffer: converseHead).contains("\r\naccept: application/json\r\n"))
        var dumped = ""
        dump(client, to: &dumped)
        #expect(!dumped.contains(key) && dumped.contains("<redacted>"))
        #expect(!"\(client)".contains(key) && !String(reflecting: client).contains(key))
    }
}
