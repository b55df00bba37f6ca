import Providers
import Testing

@Suite struct RouteSpecTests {
    @Test func globs() {
        #expect(RouteSpec.matches("claude-sonnet-*", "claude-sonnet-4-6"))
        #expect(RouteSpec.matches("*", "anything"))
        #expect(RouteSpec.matches("claude-*-4-6", "claude-opus-4-6"))
        #expect(RouteSpec.matches("exact", "exact"))
        #expect(!RouteSpec.matches("exact", "exactly"))
        #expect(!RouteSpec.matches("claude-sonnet-*", "claude-opus-4-6"))
        #expect(RouteSpec.matches("a*b*c", "aXXbYYc"))
        #expect(!RouteSpec.matches("a*b*c", "aXXbYY"))
    }

    @Test func targets() {
        #expect(
            TargetSpec(parsing: "nexus:claude-sonnet-4.6") == TargetSpec(upstream: "nexus", model: "claude-sonnet-4.6"))
        #expect(TargetSpec(parsing: "backup") == TargetSpec(upstream: "backup"))
        #expect(TargetSpec(parsing: "b:arn:aws:bedrock:x")?.model == "arn:aws:bedrock:x")
        #expect(TargetSpec(parsing: ":x") == nil)
        #expect(TargetSpec(parsing: "x:") == nil)
    }
}
