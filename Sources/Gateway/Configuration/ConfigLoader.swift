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
                try apply(
                    try ConfigFile(path: path, text: text), environment: env, simulate: flags.simulate, to: &config)
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
            ("idle-timeout", flags.idleTimeout), ("total-timeout", flags.totalTimeout),
            ("shutdown-grace", flags.shutdownGrace),
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
            throw ConfigError(
                path: "configuration", key: "log_level",
                message:
                    "'\(config.logLevel)' is not a log level (trace, debug, info, notice, warning, error, critical)")
        }
        if !["text", "json"].contains(config.logFormat) {
            throw ConfigError(
                path: "configuration", key: "log_format", message: "'\(config.logFormat)' is not text or json")
        }
        return config
    }

    // MARK: The file's keys

    /// Applies the file's keys to `config`, in file order. Every key is known or an error, at
    /// every level. `environment` gives the upstreams' keys (`key_env`); with `simulate` a
    /// missing one is allowed.
    static func apply(
        _ file: ConfigFile, environment: [String: String], simulate: Bool, to config: inout GatewayConfiguration
    ) throws(ConfigError) {
        var profiles: [String: ModelProfile] = [:]
        var upstreams: Reader?
        var routes: Reader?
        for r in Reader(file: file, path: ConfigKeyPath(), value: .table(file.root)).children() {
            switch r.name {
            case "host": config.host = try r.string()
            case "port": config.port = try r.int(in: 0...65535)
            case "endpoint": config.endpoint = try r.string()
            case "api_key": config.proxyKey = Secret(try r.string())
            case "nexus_api_key": config.nexusKey = Secret(try r.string().trimmingWhitespace)
            case "log_level": config.logLevel = try r.string().lowercased()
            case "log_format": config.logFormat = try r.string().lowercased()
            case "log_bodies": config.logBodies = try r.bool()
            case "drop_unsupported_tools": config.translation.dropUnsupportedServerTools = try r.bool()
            case "ca_bundle": config.caBundle = try r.string()
            case "insecure_skip_tls_verify": config.insecureSkipTLSVerify = try r.bool()
            case "max_body_bytes": config.maxBodyBytes = try r.int(in: 1024...Int.max)
            case "max_concurrent_requests": config.maxConcurrentRequests = try r.int(in: 1...1_000_000)
            case "timeouts":
                for t in try r.table() {
                    switch t.name {
                    case "connect": config.connectTimeout = try t.seconds()
                    case "first_byte": config.firstByteTimeout = try t.seconds()
                    case "idle": config.idleTimeout = try t.seconds()
                    case "total": config.totalTimeout = try t.seconds()
                    case "ping_interval": config.pingInterval = try t.seconds()
                    case "shutdown_grace": config.shutdownGrace = try t.seconds()
                    default: throw t.error("unknown key")
                    }
                }
            case "retries":
                for t in try r.table() {
                    switch t.name {
                    case "max_attempts": config.retry.maxAttempts = try t.int(in: 1...20)
                    case "max_total": config.retry.maxTotal = try t.seconds()
                    case "base_delay": config.retry.baseDelay = try t.seconds()
                    case "max_delay": config.retry.maxDelay = try t.seconds()
                    default: throw t.error("unknown key")
                    }
                }
            case "models":
                for m in try r.table() { config.catalog.overrides[m.name] = try m.string() }
            case "model":
                for m in try r.table() {
                    guard case .table = m.value else { throw m.error("expected [model.\"<nexus id>\"] then a field") }
                    let id = m.name
                    var p =
                        profiles[id] ?? config.catalog.profile(nexusID: id)
                        ?? ModelProfile(
                            nexusID: id, family: "", displayName: id, thinking: .enabledAndAdaptive,
                            supportsEffort: false)
                    for field in try m.table() { try apply(field, to: &p) }
                    profiles[id] = p
                }
            case "upstreams": upstreams = r
            case "routes": routes = r
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
        // Routes name upstreams, which may come later in the file.
        if let upstreams {
            config.upstreams = try self.upstreams(upstreams, environment: environment, simulate: simulate)
        }
        if let routes {
            let names = config.upstreams.isEmpty ? ["nexus"] : config.upstreams.map(\.name)
            config.routes = try self.routes(routes, upstreams: names)
        }
    }

    static func apply(_ r: Reader, to p: inout ModelProfile) throws(ConfigError) {
        switch r.name {
        case "family": p.family = try r.string()
        case "display_name": p.displayName = try r.string()
        case "thinking":
            let v = try r.string()
            guard let t = ThinkingSupport(rawValue: v) else {
                throw r.error(
                    "'\(v)' is not one of \(ThinkingSupport.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            p.thinking = t
        case "effort": p.supportsEffort = try r.bool()
        case "context_management": p.supportsContextManagement = try r.bool()
        case "thinking_display": p.supportsThinkingDisplay = try r.bool()
        case "betas": p.allowedBetas = Set(try r.strings())
        case "context_window": p.contextWindow = try r.int(in: 1...100_000_000)
        case "max_output_tokens": p.maxOutputTokens = try r.int(in: 1...10_000_000)
        default:
            throw r.error(
                "unknown key (a model's fields: family, display_name, thinking, effort, context_management, thinking_display, betas, context_window, max_output_tokens)"
            )
        }
    }

    /// One value of the file with its path, for reading it as the type a key takes; its errors
    /// name the file, the value's line and its key.
    struct Reader {
        let file: ConfigFile
        let path: ConfigKeyPath
        let value: ConfigFile.Value

        /// The value's own key (for an array element, the array's).
        var name: String { path.lastKey ?? "" }

        func error(_ message: String) -> ConfigError {
            ConfigError(path: file.path, line: file.line(of: path), key: path.description, message: message)
        }

        /// An error about a key this table lacks, on the table's line.
        func missing(_ key: String, _ message: String) -> ConfigError {
            ConfigError(
                path: file.path, line: file.line(of: path), key: path.appending(key).description, message: message)
        }

        /// A table's entries in file order; empty for other values.
        func children() -> [Reader] {
            guard case .table(let entries) = value else { return [] }
            return file.ordered(entries, at: path).map {
                Reader(file: file, path: path.appending($0.key), value: $0.value)
            }
        }

        func table() throws(ConfigError) -> [Reader] {
            guard case .table = value else { throw error("expected a table, found \(value.typeName)") }
            return children()
        }

        /// The elements of an array of tables (`[[name]]`).
        func tables() throws(ConfigError) -> [Reader] {
            guard case .array(let items) = value, items.allSatisfy({ if case .table = $0 { true } else { false } })
            else {
                throw error("expected [[\(name)]] tables, found \(value.typeName)")
            }
            return items.enumerated().map {
                Reader(file: file, path: path.appending(index: $0.offset), value: $0.element)
            }
        }

        func string() throws(ConfigError) -> String {
            guard case .string(let s) = value else { throw error("expected a string, found \(value.typeName)") }
            return s
        }

        func bool() throws(ConfigError) -> Bool {
            guard case .bool(let b) = value else { throw error("expected true or false, found \(value.typeName)") }
            return b
        }

        func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard case .integer(let i) = value else { throw error("expected an integer, found \(value.typeName)") }
            guard range.contains(i) else { throw error("\(i) is out of range") }
            return i
        }

        func seconds() throws(ConfigError) -> Duration {
            switch value {
            case .integer(let i) where i >= 0 && i < 1_000_000_000: return .seconds(i)
            case .float(let d) where d >= 0 && d < 1e9: return .milliseconds(Int64(d * 1000))
            default: throw error("expected a number of seconds, found \(value.typeName)")
            }
        }

        func strings() throws(ConfigError) -> [String] {
            guard case .array(let items) = value else { throw error("expected an array of strings") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw error("expected an array of strings") }
                out.append(s)
            }
            return out
        }
    }
}
