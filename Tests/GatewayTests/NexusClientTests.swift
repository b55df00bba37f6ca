import Testing

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
}
