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
