import Translation

/// Values given on the command line; nil means "not given", so lower layers show through.
public struct ConfigOverrides: Sendable {
    public var host: String?
    public var port: Int?
    public var endpoint: String?
    public var apiKey: String?
    public var simulate = false
    public var logLevel: String?
    public var logFormat: String?
    public var logBodies: Bool?
    public var modelMap: [String: String] = [:]
    public var dropUnsupportedTools: Bool?
    public var caBundle: String?
    public var insecureSkipTLSVerify: Bool?
    public var connectTimeout: Double?
    public var firstByteTimeout: Double?
    public var idleTimeout: Double?
    public var totalTimeout: Double?
    public var maxAttempts: Int?
    public var maxBodyBytes: Int?
    public var maxConcurrentRequests: Int?
    public var shutdownGrace: Double?

    public init() {}
}

/// Builds the effective configuration from, in increasing priority: defaults, the config file
/// (`--config FILE`, `$NEXUS_CONFIG`, else `~/.config/nexus-claude-api/config.toml` when it
/// exists), environment variables, and flags.
public enum ConfigLoader {
    public static let defaultRelativePath = ".config/nexus-claude-api/config.toml"

    /// - Parameters:
    ///   - configPath: `--config`; an explicit path must exist.
    ///   - readFile: returns a file's text, or nil when it does not exist.
    public static func load(
        configPath: String?, environment env: [String: String], overrides flags: ConfigOverrides,
        readFile: (String) -> String?
    ) throws(ConfigError) -> GatewayConfiguration {
        var config = GatewayConfiguration()

        // 1. The file.
        let explicit = configPath ?? env["NEXUS_CONFIG"]
        let path = explicit ?? env["HOME"].map { "\($0)/\(defaultRelativePath)" }
        if let path {
            if let text = readFile(path) {
                try apply(try ConfigFile(path: path, text: text), to: &config)
                config.configFile = path
            } else if explicit != nil {
                throw ConfigError(path: path, message: "cannot read the configuration file")
            }
        }

        // 2. The environment.
        if let v = env["NEXUS_ENDPOINT"], !v.isEmpty { config.endpoint = v }
        // Keys lose surrounding whitespace: a key file with a final CRLF would otherwise put a
        // carriage return into every request's `authorization` header.
        if let v = (env["NEXUS_API_KEY"] ?? env["AWS_BEARER_TOKEN_BEDROCK"])?.trimmingWhitespace, !v.isEmpty {
            config.nexusKey = Secret(v)
        }
        if let v = env["NEXUS_PROXY_API_KEY"], !v.isEmpty { config.proxyKey = Secret(v) }
        if let v = env["LOG_LEVEL"], !v.isEmpty { config.logLevel = v.lowercased() }
        if let v = env["NEXUS_CA_BUNDLE"] ?? env["SSL_CERT_FILE"], !v.isEmpty { config.caBundle = v }

        // 3. The flags.
        for (name, value) in [
            ("connect-timeout", flags.connectTimeout), ("first-byte-timeout", flags.firstByteTimeout),
            ("idle-timeout", flags.idleTimeout), ("total-timeout", flags.totalTimeout), ("shutdown-grace", flags.shutdownGrace),
        ] {
            if let value, !(value.isFinite && value >= 0 && value < 1e9) {
                throw ConfigError(path: "command line", key: name, message: "\(value) is not a number of seconds")
            }
        }
        if let v = flags.host { config.host = v }
        if let v = flags.port { config.port = v }
        if let v = flags.endpoint { config.endpoint = v }
        if let v = flags.apiKey, !v.isEmpty { config.proxyKey = Secret(v) }
        if let v = flags.logLevel { config.logLevel = v.lowercased() }
        if let v = flags.logFormat { config.logFormat = v.lowercased() }
        if let v = flags.logBodies { config.logBodies = v }
        for (name, id) in flags.modelMap { config.catalog.overrides[name] = id }
        if let v = flags.dropUnsupportedTools { config.translation.dropUnsupportedServerTools = v }
        if let v = flags.caBundle { config.caBundle = v }
        if let v = flags.insecureSkipTLSVerify { config.insecureSkipTLSVerify = v }
        if let v = flags.connectTimeout { config.connectTimeout = .seconds(v) }
        if let v = flags.firstByteTimeout { config.firstByteTimeout = .seconds(v) }
        if let v = flags.idleTimeout { config.idleTimeout = .seconds(v) }
        if let v = flags.totalTimeout { config.totalTimeout = .seconds(v) }
        if let v = flags.maxAttempts { config.retry.maxAttempts = max(1, v) }
        if let v = flags.maxBodyBytes { config.maxBodyBytes = v }
        if let v = flags.maxConcurrentRequests { config.maxConcurrentRequests = v }
        if let v = flags.shutdownGrace { config.shutdownGrace = .seconds(v) }
        config.simulated = flags.simulate

        config.httpsProxy = config.simulated ? nil : GatewayConfiguration.proxy(for: config.endpoint, environment: env)
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(config.logLevel) {
            throw ConfigError(path: "configuration", key: "log_level", message: "'\(config.logLevel)' is not a log level (trace, debug, info, notice, warning, error, critical)")
        }
        if !["text", "json"].contains(config.logFormat) {
            throw ConfigError(path: "configuration", key: "log_format", message: "'\(config.logFormat)' is not text or json")
        }
        return config
    }

    // MARK: The file's keys

    static func apply(_ file: ConfigFile, to config: inout GatewayConfiguration) throws(ConfigError) {
        var profiles: [String: ModelProfile] = [:]
        for key in file.order {
            guard let entry = file.entries[key] else { continue }
            let r = Reader(file: file, key: key, entry: entry)
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            switch (parts[0], parts.count == 2 ? parts[1] : nil) {
            case ("host", nil): config.host = try r.string()
            case ("port", nil): config.port = try r.int(in: 0...65535)
            case ("endpoint", nil): config.endpoint = try r.string()
            case ("api_key", nil): config.proxyKey = Secret(try r.string())
            case ("nexus_api_key", nil): config.nexusKey = Secret(try r.string().trimmingWhitespace)
            case ("log_level", nil): config.logLevel = try r.string().lowercased()
            case ("log_format", nil): config.logFormat = try r.string().lowercased()
            case ("log_bodies", nil): config.logBodies = try r.bool()
            case ("drop_unsupported_tools", nil): config.translation.dropUnsupportedServerTools = try r.bool()
            case ("ca_bundle", nil): config.caBundle = try r.string()
            case ("insecure_skip_tls_verify", nil): config.insecureSkipTLSVerify = try r.bool()
            case ("max_body_bytes", nil): config.maxBodyBytes = try r.int(in: 1024...Int.max)
            case ("max_concurrent_requests", nil): config.maxConcurrentRequests = try r.int(in: 1...1_000_000)
            case ("timeouts", "connect"): config.connectTimeout = try r.seconds()
            case ("timeouts", "first_byte"): config.firstByteTimeout = try r.seconds()
            case ("timeouts", "idle"): config.idleTimeout = try r.seconds()
            case ("timeouts", "total"): config.totalTimeout = try r.seconds()
            case ("timeouts", "ping_interval"): config.pingInterval = try r.seconds()
            case ("timeouts", "shutdown_grace"): config.shutdownGrace = try r.seconds()
            case ("retries", "max_attempts"): config.retry.maxAttempts = try r.int(in: 1...20)
            case ("retries", "max_total"): config.retry.maxTotal = try r.seconds()
            case ("retries", "base_delay"): config.retry.baseDelay = try r.seconds()
            case ("retries", "max_delay"): config.retry.maxDelay = try r.seconds()
            case ("models", let name?):
                config.catalog.overrides[name] = try r.string()
            case ("model", let rest?):
                guard let dot = rest.lastIndex(of: ".") else { throw r.error("expected [model.\"<nexus id>\"] then a field") }
                let id = String(rest[..<dot])
                let field = String(rest[rest.index(after: dot)...])
                var p = profiles[id] ?? config.catalog.profile(nexusID: id) ?? ModelProfile(
                    nexusID: id, family: "", displayName: id, thinking: .enabledAndAdaptive, supportsEffort: false)
                try apply(field, r, to: &p)
                profiles[id] = p
            default:
                throw r.error("unknown key")
            }
        }
        for (id, profile) in profiles.sorted(by: { $0.key < $1.key }) {
            if let i = config.catalog.profiles.firstIndex(where: { $0.nexusID == id }) {
                config.catalog.profiles[i] = profile
            } else {
                config.catalog.profiles.append(profile)
            }
        }
    }

    static func apply(_ field: String, _ r: Reader, to p: inout ModelProfile) throws(ConfigError) {
        switch field {
        case "family": p.family = try r.string()
        case "display_name": p.displayName = try r.string()
        case "thinking":
            let v = try r.string()
            guard let t = ThinkingSupport(rawValue: v) else {
                throw r.error("'\(v)' is not one of \(ThinkingSupport.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            p.thinking = t
        case "effort": p.supportsEffort = try r.bool()
        case "context_management": p.supportsContextManagement = try r.bool()
        case "thinking_display": p.supportsThinkingDisplay = try r.bool()
        case "betas": p.allowedBetas = Set(try r.strings())
        case "context_window": p.contextWindow = try r.int(in: 1...100_000_000)
        case "max_output_tokens": p.maxOutputTokens = try r.int(in: 1...10_000_000)
        default: throw r.error("unknown model field '\(field)'")
        }
    }

    struct Reader {
        let file: ConfigFile
        let key: String
        let entry: ConfigFile.Entry

        func error(_ message: String) -> ConfigError {
            ConfigError(path: file.path, line: entry.line, key: key, message: message)
        }

        func string() throws(ConfigError) -> String {
            guard case .string(let s) = entry.value else { throw error("expected a string, found \(entry.value.typeName)") }
            return s
        }

        func bool() throws(ConfigError) -> Bool {
            guard case .bool(let b) = entry.value else { throw error("expected true or false, found \(entry.value.typeName)") }
            return b
        }

        func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard case .integer(let i) = entry.value else { throw error("expected an integer, found \(entry.value.typeName)") }
            guard range.contains(i) else { throw error("\(i) is out of range") }
            return i
        }

        func seconds() throws(ConfigError) -> Duration {
            switch entry.value {
            case .integer(let i) where i >= 0 && i < 1_000_000_000: return .seconds(i)
            case .float(let d) where d >= 0 && d < 1e9: return .milliseconds(Int64(d * 1000))
            default: throw error("expected a number of seconds, found \(entry.value.typeName)")
            }
        }

        func strings() throws(ConfigError) -> [String] {
            guard case .array(let items) = entry.value else { throw error("expected an array of strings") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw error("expected an array of strings") }
                out.append(s)
            }
            return out
        }
    }
}
