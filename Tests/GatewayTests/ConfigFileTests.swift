import Foundation
import Gateway
import Testing

/// Loads `text` as the configuration file `/etc/gw.toml`.
private func load(
    _ text: String, environment: [String: String] = [:], simulate: Bool = false
) throws(ConfigError) -> GatewayConfiguration {
    var overrides = ConfigOverrides()
    overrides.simulate = simulate
    return try ConfigLoader.load(
        configPath: "/etc/gw.toml", environment: environment, overrides: overrides, readFile: { _ in text })
}

/// The error loading `text` gives, nil when it loads.
private func failure(_ text: String, environment: [String: String] = [:], simulate: Bool = false) -> ConfigError? {
    do {
        _ = try load(text, environment: environment, simulate: simulate)
        return nil
    } catch {
        return error
    }
}

@Suite("Configuration file: TOML forms")
struct ConfigTOMLFormTests {
    @Test func theDocumentedFileStillWorks() throws {
        let config = try load(
            """
            port = 4000
            endpoint = "https://genai-nexus.api.corpinter.net"
            ca_bundle = "/etc/ssl/certs/corp-root.pem"
            log_format = "json"
            api_key = "proxy-key-0123456789"
            nexus_api_key = "nexus-key-0123456789\\n"

            [timeouts]          # seconds
            idle = 300
            shutdown_grace = 30.5

            [retries]
            max_attempts = 4
            base_delay = 0.25

            [models]            # client model name = AI Nexus id
            "claude-3-5-haiku-20241022" = "claude-haiku-4.5"

            [model."claude-opus-4.6"]   # the capability table of one upstream model
            thinking = "adaptive"
            effort = true
            context_management = true
            betas = ["interleaved-thinking-2025-05-14", "context-management-2025-06-27"]
            """)
        #expect(config.port == 4000)
        #expect(config.caBundle == "/etc/ssl/certs/corp-root.pem")
        #expect(config.logFormat == "json")
        #expect(config.proxyKey?.value == "proxy-key-0123456789")
        #expect(config.nexusKey?.value == "nexus-key-0123456789")
        #expect(config.idleTimeout == .seconds(300))
        #expect(config.shutdownGrace == .milliseconds(30_500))
        #expect(config.retry.maxAttempts == 4)
        #expect(config.retry.baseDelay == .milliseconds(250))
        #expect(config.catalog.overrides["claude-3-5-haiku-20241022"] == "claude-haiku-4.5")
        let opus = try #require(config.catalog.profiles.first { $0.nexusID == "claude-opus-4.6" })
        #expect(opus.thinking.rawValue == "adaptive")
        #expect(opus.allowedBetas == ["interleaved-thinking-2025-05-14", "context-management-2025-06-27"])
        #expect(config.upstreams.isEmpty && config.routes.isEmpty)
        #expect(config.configFile == "/etc/gw.toml")
    }

    @Test func multiLineArraysWithCommentsAndATrailingComma() throws {
        let config = try load(
            """
            [model."claude-x"]
            betas = [
              "a-2025",   # the first
              'b-2025',
            ]
            """)
        #expect(config.catalog.profiles.first { $0.nexusID == "claude-x" }?.allowedBetas == ["a-2025", "b-2025"])
    }

    @Test func inlineTablesAndDottedKeys() throws {
        let config = try load(
            """
            timeouts = { connect = 3, idle = 4.5 }
            retries.max_attempts = 7
            model."claude-x".thinking = "none"
            model."claude-x".context_window = 1_000_000
            """)
        #expect(config.connectTimeout == .seconds(3))
        #expect(config.idleTimeout == .milliseconds(4500))
        #expect(config.retry.maxAttempts == 7)
        let x = try #require(config.catalog.profiles.first { $0.nexusID == "claude-x" })
        #expect(x.thinking.rawValue == "none" && x.contextWindow == 1_000_000)
    }

    @Test func stringsOfEveryKind() throws {
        let config = try load(
            #"""
            ca_bundle = 'C:\certs\corp #1.pem'
            endpoint = "https://nexus.example/\u0061pi"
            [models]
            "quoted \"name\"" = """
            claude-\
              haiku-4.5"""
            'literal.key' = '''two
            lines'''
            [model."claude-x"]
            display_name = "Tab\tand é"
            """#)
        #expect(config.caBundle == #"C:\certs\corp #1.pem"#)
        #expect(config.endpoint == "https://nexus.example/api")
        #expect(config.catalog.overrides[#"quoted "name""#] == "claude-haiku-4.5")
        #expect(config.catalog.overrides["literal.key"] == "two\nlines")
        #expect(config.catalog.profiles.first { $0.nexusID == "claude-x" }?.displayName == "Tab\tand é")
    }

    @Test func integersInEveryBase() throws {
        let config = try load("port = 0x1F90\nmax_body_bytes = 1_048_576\nmax_concurrent_requests = 0o17\n")
        #expect(config.port == 8080 && config.maxBodyBytes == 1_048_576 && config.maxConcurrentRequests == 15)
    }

    @Test func anEmptyFileIsTheDefaults() throws {
        let config = try load("# nothing yet\n\n")
        #expect(config.port == 4000 && config.endpoint == GatewayConfiguration.defaultEndpoint)
    }
}

@Suite("Configuration file: errors name the file, the line and the key")
struct ConfigFileErrorTests {
    @Test(arguments: [
        ("port = 4000\nmax_body_bytes = \"big\"\n", 2, "max_body_bytes", "expected an integer, found a string"),
        ("[timeouts]\nconnect = 5\nfirst_bite = 10\n", 3, "timeouts.first_bite", "unknown key"),
        ("colour = \"blue\"\n", 1, "colour", "unknown key"),
        ("[colour]\n", 1, "colour", "unknown key"),
        ("port = 70000\n", 1, "port", "out of range"),
        ("[timeouts]\nidle = \"long\"\n", 2, "timeouts.idle", "number of seconds"),
        ("timeouts = 5\n", 1, "timeouts", "expected a table, found an integer"),
        ("timeouts = { connect = 1, idle = true }\n", 1, "timeouts.idle", "number of seconds"),
        ("log_bodies = \"yes\"\n", 1, "log_bodies", "true or false"),
        (
            "[model.\"claude-sonnet-4.6\"]\nthinking = \"sometimes\"\n", 2, "model.claude-sonnet-4.6.thinking",
            "is not one of"
        ),
        ("[model.\"claude-x\"]\n\n# c\nflavour = \"x\"\n", 4, "model.claude-x.flavour", "unknown key"),
        ("[model]\nfamily = \"x\"\n", 2, "model.family", "expected [model.\"<nexus id>\"] then a field"),
        ("[models]\nx = 1\n", 2, "models.x", "expected a string"),
        ("when = 1979-05-27T07:32:00Z\n", 1, "when", "unknown key"),
    ])
    func aSemanticError(text: String, line: Int, key: String, words: String) throws {
        let error = try #require(failure(text))
        #expect(error.path == "/etc/gw.toml")
        #expect(error.line == line, "\(error)")
        #expect(error.key == key, "\(error)")
        #expect(error.message.contains(words), "\(error)")
        #expect(error.description.hasPrefix("/etc/gw.toml:\(line): key '\(key)': "))
    }

    @Test func aKeyDefinedTwiceSaysWhereItWasFirstDefined() throws {
        let error = try #require(failure("endpoint = \"https://a.example\"\n# again\nendpoint = \"x\"\n"))
        #expect(error.line == 3 && error.key == "endpoint")
        #expect(error.message == "defined twice (first on line 1)")
        let table = try #require(failure("[timeouts]\nidle = 1\n[retries]\n[timeouts]\nconnect = 2\n"))
        #expect(table.line == 4 && table.key == "timeouts" && table.message.contains("defined twice (first on line 1)"))
    }

    @Test(arguments: [
        ("# comment\n\nlog_level = info\n", 3, "log_level"),
        ("endpoint = \"https://example.invalid\n", 1, "endpoint"),
        ("[model.\"x\"]\nbetas = [\n  \"a\",\n  b,\n]\n", 4, "model.x.betas"),
    ])
    func aSyntaxErrorNamesItsLineAndKey(text: String, line: Int, key: String) throws {
        let error = try #require(failure(text))
        #expect(error.line == line, "\(error)")
        #expect(error.key == key, "\(error)")
        #expect(error.message.contains("(column "), "\(error)")
    }

    @Test func aNULCharacterIsAnErrorNotTheEndOfTheFile() throws {
        let error = try #require(failure("port = 4000\nendpoint = \"https://a.example\u{0}\"\ncolour = 1\n"))
        #expect(error.line == 2 && error.key == "endpoint" && error.message.contains("NUL"), "\(error)")
    }

    @Test func aBareWordForAValueGetsAHint() throws {
        let error = try #require(failure("# comment\n\nlog_level = info\n"))
        #expect(error.message.hasSuffix("; strings need quotes"), "\(error)")
        let number = try #require(failure("port = 40x0\n"))
        #expect(!number.message.contains("quotes"), "\(number)")
    }

    @Test(arguments: [("[timeouts\nconnect = 1\n", 1), ("port 4000\n", 1), ("\n\n[[upstreams]\n", 3)])
    func aSyntaxErrorOutsideAKeyNamesItsLine(text: String, line: Int) throws {
        let error = try #require(failure(text))
        #expect(error.line == line, "\(error)")
        #expect(error.description.hasPrefix("/etc/gw.toml:\(line): "))
    }
}

@Suite("Configuration file: [[upstreams]] and [[routes]]")
struct ConfigUpstreamTests {
    static let file = """
        [[upstreams]]
        name = "nexus"
        kind = "converse"
        endpoint = "https://genai-nexus.example"
        key_env = "NEXUS_API_KEY"

        [[upstreams]]
        name = "anthropic"
        kind = "anthropic"
        endpoint = "https://api.anthropic.com"
        key_env = "ANTHROPIC_API_KEY"

        [[upstreams]]
        name = "local_gw-2"
        kind = "anthropic"
        endpoint = "http://127.0.0.1:9000"
        auth = "bearer"

        [[routes]]
        model = "claude-sonnet-*"
        targets = ["nexus:claude-sonnet-4.6", "anthropic:claude-sonnet-4-6"]

        [[routes]]
        model = "*"
        targets = [
          "local_gw-2",
          "nexus:arn:aws:bedrock:eu-central-1:1:inference-profile/x",
        ]
        """
    static let keys = ["NEXUS_API_KEY": "nexus-key-0123456789", "ANTHROPIC_API_KEY": "  sk-ant-0123456789\r\n"]

    @Test func upstreamsAndRoutesAreRead() throws {
        let config = try load(Self.file, environment: Self.keys)
        #expect(
            config.upstreams == [
                UpstreamSpec(
                    name: "nexus", kind: .converse, endpoint: "https://genai-nexus.example", auth: .bearer,
                    keyEnv: "NEXUS_API_KEY", key: Secret("nexus-key-0123456789")),
                UpstreamSpec(
                    name: "anthropic", kind: .anthropic, endpoint: "https://api.anthropic.com", auth: .xAPIKey,
                    keyEnv: "ANTHROPIC_API_KEY", key: Secret("sk-ant-0123456789")),
                UpstreamSpec(name: "local_gw-2", kind: .anthropic, endpoint: "http://127.0.0.1:9000", auth: .bearer),
            ])
        #expect(
            config.routes == [
                RouteSpec(
                    model: "claude-sonnet-*",
                    targets: [
                        TargetSpec(upstream: "nexus", model: "claude-sonnet-4.6"),
                        TargetSpec(upstream: "anthropic", model: "claude-sonnet-4-6"),
                    ]),
                RouteSpec(
                    model: "*",
                    targets: [
                        TargetSpec(upstream: "local_gw-2"),
                        TargetSpec(upstream: "nexus", model: "arn:aws:bedrock:eu-central-1:1:inference-profile/x"),
                    ]),
            ])
        // Each upstream has its own key: NEXUS_API_KEY as such is not demanded.
        var withoutNexusKey = config
        withoutNexusKey.nexusKey = nil
        #expect(withoutNexusKey.validationProblem() == nil)
    }

    @Test func anInlineArrayOfTablesWorksToo() throws {
        let config = try load(
            """
            upstreams = [
              { name = "a", kind = "anthropic", endpoint = "https://a.example" },
              { name = "b", kind = "converse", endpoint = "https://b.example", auth = "x-api-key" },
            ]
            routes = [{ model = "claude-*", targets = ["b:claude-x", "a"] }]
            """)
        #expect(config.upstreams.map(\.name) == ["a", "b"])
        #expect(config.upstreams.map(\.auth) == [.xAPIKey, .xAPIKey])
        #expect(config.routes.first?.targets.map(\.description) == ["b:claude-x", "a"])
    }

    @Test func anUnknownKeyInAnInlineUpstreamIsFoundOnItsLine() throws {
        let error = try #require(
            failure(
                """
                upstreams = [
                  { name = "a", kind = "anthropic", endpoint = "https://a.example" },
                  { name = "b", kind = "converse", endpoint = "https://b.example", flavour = 1 },
                ]
                """))
        #expect(error.line == 3 && error.key == "upstreams[1].flavour" && error.message == "unknown key")
    }

    @Test func routesWithoutUpstreamsUseTheImplicitNexus() throws {
        let config = try load("[[routes]]\nmodel = \"my-model\"\ntargets = [\"nexus:claude-opus-4.6\"]\n")
        #expect(config.upstreams.isEmpty)
        #expect(
            config.routes == [
                RouteSpec(model: "my-model", targets: [TargetSpec(upstream: "nexus", model: "claude-opus-4.6")])
            ])
        let error = try #require(failure("[[routes]]\nmodel = \"m\"\ntargets = [\"other\"]\n"))
        #expect(error.line == 3 && error.key == "routes[0].targets[0]")
        #expect(error.message.contains("no defined upstream 'other' (defined: nexus)"))
    }

    /// The file with one line replaced (lines from 1).
    static func file(replacing line: Int, with text: String) -> String {
        var lines = file.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[line - 1] = text
        return lines.joined(separator: "\n")
    }

    @Test(arguments: [
        (3, "kind = \"bedrock\"", "upstreams[0].kind", "unknown kind 'bedrock' (converse, anthropic)"),
        (8, "name = \"nexus\"", "upstreams[1].name", "the upstream name 'nexus' is used twice (first on line 2)"),
        (8, "name = \"my gateway\"", "upstreams[1].name", "not a valid upstream name"),
        (10, "endpoint = \"api.anthropic.com\"", "upstreams[1].endpoint", "not an http:// or https:// URL"),
        (10, "endpoint = \"https://api anthropic.com\"", "upstreams[1].endpoint", "not an http:// or https:// URL"),
        (17, "auth = \"basic\"", "upstreams[2].auth", "unknown auth 'basic' (bearer, x-api-key)"),
        (17, "region = \"eu\"", "upstreams[2].region", "unknown key"),
        (
            21, "targets = [\"nexus:claude-sonnet-4.6\", \"ghost:claude\"]", "routes[0].targets[1]",
            "target 'ghost:claude' names no defined upstream 'ghost' (defined: nexus, anthropic, local_gw-2)"
        ),
        (26, "  \"nexus:\",", "routes[1].targets[0]", "'nexus:' is not \"upstream:model\" or \"upstream\""),
        (21, "targets = []", "routes[0].targets", "non-empty array"),
        (21, "target = [\"nexus\"]", "routes[0].target", "unknown key"),
        (20, "models = \"x\"", "routes[0].models", "unknown key"),
    ])
    func anError(line: Int, replacement: String, key: String, words: String) throws {
        let error = try #require(failure(Self.file(replacing: line, with: replacement), environment: Self.keys))
        #expect(error.line == line, "\(error)")
        #expect(error.key == key, "\(error)")
        #expect(error.message.contains(words), "\(error)")
    }

    @Test func aMissingRequiredKeyIsNamedOnItsTablesLine() throws {
        let error = try #require(failure(Self.file(replacing: 10, with: ""), environment: Self.keys))
        #expect(error.line == 7 && error.key == "upstreams[1].endpoint" && error.message.contains("'anthropic'"))
        let noName = try #require(failure("[[upstreams]]\nkind = \"converse\"\nendpoint = \"https://x.example\"\n"))
        #expect(noName.line == 1 && noName.key == "upstreams[0].name")
        let noTargets = try #require(failure(Self.file(replacing: 21, with: ""), environment: Self.keys))
        #expect(noTargets.line == 19 && noTargets.key == "routes[0].targets")
    }

    @Test func aPassThroughUpstreamsCapabilityTableIsRead() throws {
        let text = """
            [[upstreams]]
            name = "gw"
            kind = "anthropic"
            endpoint = "https://gw.example"
            drop_fields = ["context_management", "output_config"]
            drop_betas = ["context-management-2025-06-27"]
            """
        let config = try load(text)
        #expect(config.upstreams.first?.dropFields == ["context_management", "output_config"])
        #expect(config.upstreams.first?.dropBetas == ["context-management-2025-06-27"])
        let error = try #require(failure(text.replacingOccurrences(of: "\"output_config\"", with: "\"messages\"")))
        #expect(error.line == 5 && error.key == "upstreams[0].drop_fields" && error.message.contains("'messages'"))
    }

    @Test func aKeyInTheFileIsRefusedUnshown() throws {
        let error = try #require(
            failure(Self.file(replacing: 11, with: "key = \"sk-ant-in-the-file\""), environment: Self.keys))
        #expect(error.line == 11 && error.key == "upstreams[1].key")
        #expect(error.message.contains("key_env") && !error.description.contains("sk-ant-in-the-file"))
    }

    @Test func anUnsetKeyVariableStopsTheStartNamingTheUpstream() throws {
        for environment in [
            ["NEXUS_API_KEY": "nexus-key-0123456789"], Self.keys.merging(["ANTHROPIC_API_KEY": " \n"]) { $1 },
        ] {
            let error = try #require(failure(Self.file, environment: environment))
            #expect(error.line == 11 && error.key == "upstreams[1].key_env", "\(error)")
            #expect(error.message.contains("upstream 'anthropic'") && error.message.contains("ANTHROPIC_API_KEY"))
            #expect(error.message.contains("not set or empty"))
        }
    }

    @Test func aKeyWithAControlCharacterInsideIsNamedByItsVariableNeverShown() throws {
        let error = try #require(
            failure(
                Self.file, environment: Self.keys.merging(["ANTHROPIC_API_KEY": "sk-ant-01\r\nX-Injected: 1"]) { $1 }))
        #expect(error.line == 11 && error.key == "upstreams[1].key_env")
        #expect(error.message.contains("ANTHROPIC_API_KEY") && error.message.contains("control character"))
        #expect(!error.description.contains("sk-ant-01") && !error.description.contains("X-Injected"))
    }

    @Test func simulateAllowsMissingKeys() throws {
        let config = try load(Self.file, environment: [:], simulate: true)
        #expect(config.upstreams.map(\.key) == Array(repeating: Secret("simulator-key"), count: 3))
        #expect(config.upstreams.map(\.keyEnv) == ["NEXUS_API_KEY", "ANTHROPIC_API_KEY", nil])
        // A key that is set is still used.
        let withKey = try load(Self.file, environment: Self.keys, simulate: true)
        #expect(withKey.upstreams[1].key == Secret("sk-ant-0123456789"))
        #expect(withKey.validationProblem() == nil)
    }

    @Test func describePrintsUpstreamsAndRoutesWithKeysMasked() throws {
        let text = try load(Self.file, environment: Self.keys).describe()
        #expect(
            text.contains(
                "[[upstreams]]\nname = \"anthropic\"\nkind = \"anthropic\"\nendpoint = \"https://api.anthropic.com\"\nauth = \"x-api-key\"\nkey_env = \"ANTHROPIC_API_KEY\"\nkey = \"**** (17 chars)\"  # masked"
            ))
        #expect(
            text.contains(
                "[[routes]]\nmodel = \"*\"\ntargets = [\"local_gw-2\", \"nexus:arn:aws:bedrock:eu-central-1:1:inference-profile/x\"]"
            ))
        #expect(!text.contains("sk-ant-0123456789") && !text.contains("nexus-key-0123456789"))
        // What it prints reads back (keys aside, which never sit in the file).
        let back = text.split(separator: "\n").filter { line in
            !["key = ", "key_env = \"\"", "https_proxy", "nexus_api_key", "api_key"].contains { line.hasPrefix($0) }
        }
        let reread = try load(back.joined(separator: "\n"), environment: Self.keys)
        #expect(reread.upstreams == (try load(Self.file, environment: Self.keys)).upstreams)
        #expect(reread.routes.count == 2)
    }
}
