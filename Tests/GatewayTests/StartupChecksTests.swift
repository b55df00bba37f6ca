import Gateway
import Testing

/// The start-up checks that let the upstream pool skip per-request header validation: a key or
/// endpoint no HTTP request may carry stops the gateway before it serves anything.
@Suite("Start-up checks of the AI Nexus key and endpoint")
struct StartupChecksTests {
    func load(_ environment: [String: String], configFile: String? = nil) throws -> GatewayConfiguration {
        try ConfigLoader.load(
            configPath: configFile == nil ? nil : "/config.toml", environment: environment,
            overrides: ConfigOverrides(), readFile: { _ in configFile })
    }

    @Test func surroundingWhitespaceAndALineEndAreTrimmedFromTheKey() throws {
        let fromEnvironment = try load(["NEXUS_API_KEY": "  key-0123456789\r\n"])
        #expect(fromEnvironment.nexusKey?.value == "key-0123456789")
        #expect(fromEnvironment.validationProblem() == nil)
        let fromFile = try load([:], configFile: "nexus_api_key = \"key-0123456789\\n\"\n")
        #expect(fromFile.nexusKey?.value == "key-0123456789")
        #expect(fromFile.validationProblem() == nil)
    }

    @Test(arguments: ["sk-secret\r\nX-Injected: 1", "sk-secret\u{0}tail", "sk-secret\ttab", "sk-secret\u{7F}"])
    func aKeyWithAControlCharacterInsideStopsTheStart(key: String) throws {
        let configuration = try load(["NEXUS_API_KEY": key])
        let problem = try #require(configuration.validationProblem())
        #expect(problem.contains("control character"))
        #expect(!problem.contains("sk-secret") && !problem.contains("X-Injected"), "the key is never shown")
    }

    @Test(arguments: [
        "ftp://nexus.example", "nexus.example", "https://nexus example.com", "https://nexus.example/\npath",
        "http://",
    ])
    func anEndpointThatIsNoHTTPURLStopsTheStart(endpoint: String) throws {
        let configuration = try load(["NEXUS_API_KEY": "key-0123456789", "NEXUS_ENDPOINT": endpoint])
        let problem = try #require(configuration.validationProblem())
        #expect(problem.contains("endpoint"))
    }

    @Test func theSimulatorNeedsNoEndpoint() throws {
        var configuration = try load(["NEXUS_ENDPOINT": "not a url"])
        configuration.simulated = true
        #expect(configuration.validationProblem() == nil)
    }
}
