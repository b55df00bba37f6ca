import ArgumentParser
import Foundation
import Gateway
import Hummingbird
import Logging
import NexusSimulator
import ServiceLifecycle
import Translation

/// The options that shape the configuration; shared by `serve` and `config`.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Configuration file (TOML). Default: $NEXUS_CONFIG, else ~/.config/nexus-claude-api/config.toml when present.")
    var configFile: String?

    @Option(help: "Address to listen on (default 127.0.0.1). Anything but loopback requires --api-key.")
    var host: String?

    @Option(help: "Port to listen on (default 4000; 0: any free port).")
    var port: Int?

    @Option(help: "AI Nexus base URL (default: $NEXUS_ENDPOINT, else \(GatewayConfiguration.defaultEndpoint)).")
    var endpoint: String?

    @Option(name: .customLong("api-key"), help: "Require clients to present this key (x-api-key or Authorization: Bearer). Default: $NEXUS_PROXY_API_KEY; none on loopback.")
    var apiKey: String?

    @Flag(help: "Start a built-in AI Nexus simulator and use it as the upstream (no key needed).")
    var simulate = false

    @Option(name: .customLong("simulator-reject-beta"), help: ArgumentHelp("With --simulate: make the simulator refuse this beta (\"invalid beta flag\"), to see the gateway recover (repeatable).", visibility: .hidden))
    var simulatorRejectBetas: [String] = []

    @Option(name: .customLong("simulator-adaptive-only"), help: ArgumentHelp("With --simulate: make the simulator accept only adaptive thinking for this model id (repeatable).", visibility: .hidden))
    var simulatorAdaptiveOnly: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (default: $LOG_LEVEL, else info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line).")
    var logFormat: String?

    @Flag(name: .customLong("log-bodies"), help: "Log translated request bodies at debug level (prompts end up in logs).")
    var logBodies = false

    @Option(name: .customLong("model-map"), help: ArgumentHelp("Map a client model name to an AI Nexus model id, as NAME=ID (repeatable).", valueName: "NAME=ID"))
    var modelMap: [String] = []

    @Flag(name: .customLong("drop-unsupported-tools"), help: "Drop server tools AI Nexus cannot run (web search…) instead of answering 400.")
    var dropUnsupportedTools = false

    @Option(name: .customLong("ca-bundle"), help: "Extra trusted root certificates (PEM) for AI Nexus, e.g. a TLS-inspecting proxy's CA. Default: $NEXUS_CA_BUNDLE, else $SSL_CERT_FILE.")
    var caBundle: String?

    @Flag(name: .customLong("insecure-skip-tls-verify"), help: "Diagnosis only: do not verify AI Nexus's TLS certificate. Logged loudly.")
    var insecureSkipTLSVerify = false

    @Option(name: .customLong("connect-timeout"), help: "Seconds to connect to AI Nexus (default 10).")
    var connectTimeout: Double?

    @Option(name: .customLong("first-byte-timeout"), help: "Seconds to wait for AI Nexus to start answering (default 600).")
    var firstByteTimeout: Double?

    @Option(name: .customLong("idle-timeout"), help: "Seconds of upstream silence before a stream is failed (default 300).")
    var idleTimeout: Double?

    @Option(name: .customLong("total-timeout"), help: "Seconds a whole request may take (default 900).")
    var totalTimeout: Double?

    @Option(name: .customLong("max-attempts"), help: "Upstream attempts per request, retries included (default 4).")
    var maxAttempts: Int?

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body accepted (default 33554432).")
    var maxBodyBytes: Int?

    @Option(name: .customLong("max-concurrent-requests"), help: "Requests served at once; more get 429 (default 512).")
    var maxConcurrentRequests: Int?

    @Option(name: .customLong("shutdown-grace"), help: "Seconds running requests may take to finish on SIGINT/SIGTERM (default 30).")
    var shutdownGrace: Double?

    /// The effective configuration: defaults < file < environment < flags.
    func load() throws -> GatewayConfiguration {
        var o = ConfigOverrides()
        o.host = host
        o.port = port
        o.endpoint = endpoint
        o.apiKey = apiKey
        o.simulate = simulate
        o.logLevel = logLevel
        o.logFormat = logFormat
        o.logBodies = logBodies ? true : nil
        o.dropUnsupportedTools = dropUnsupportedTools ? true : nil
        o.caBundle = caBundle
        o.insecureSkipTLSVerify = insecureSkipTLSVerify ? true : nil
        o.connectTimeout = connectTimeout
        o.firstByteTimeout = firstByteTimeout
        o.idleTimeout = idleTimeout
        o.totalTimeout = totalTimeout
        o.maxAttempts = maxAttempts
        o.maxBodyBytes = maxBodyBytes
        o.maxConcurrentRequests = maxConcurrentRequests
        o.shutdownGrace = shutdownGrace
        for entry in modelMap {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--model-map takes NAME=ID, got '\(entry)'")
            }
            o.modelMap[parts[0]] = parts[1]
        }
        return try ConfigLoader.load(
            configPath: configFile, environment: ProcessInfo.processInfo.environment, overrides: o,
            readFile: { try? String(contentsOfFile: $0, encoding: .utf8) })
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway.",
        discussion: """
            Environment:
              NEXUS_API_KEY             the AI Nexus key (else AWS_BEARER_TOKEN_BEDROCK)
              NEXUS_ENDPOINT            the AI Nexus URL (default \(GatewayConfiguration.defaultEndpoint))
              NEXUS_PROXY_API_KEY       a key clients must present (same as --api-key)
              NEXUS_CONFIG              the configuration file (same as --config)
              NEXUS_CA_BUNDLE           extra trusted roots (else SSL_CERT_FILE; same as --ca-bundle)
              HTTPS_PROXY, NO_PROXY     the corporate proxy for AI Nexus (HTTP CONNECT)
              LOG_LEVEL                 trace, debug, info, notice, warning, error (same as --log-level)
            Precedence: defaults < configuration file < environment < flags. `nexus-claude-api config`
            prints the result with secrets masked.
            """)

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        var config: GatewayConfiguration
        do {
            config = try options.load()
        } catch let error as ConfigError {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
        if config.simulated, config.nexusKey == nil { config.nexusKey = Secret("simulator-key") }
        if let problem = config.validationProblem() {
            printError(problem)
            throw ExitCode(2)
        }

        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        let json = config.logFormat == "json"
        LoggingSystem.bootstrap { label in
            LineLogHandler(label: label, level: level, format: json ? .json : .text)
        }
        let logger = Logger(label: "nexus-claude-api")
        if config.logBodies { logger.notice("--log-bodies is on: request bodies (prompts) are logged at debug level") }
        if config.insecureSkipTLSVerify {
            logger.critical("--insecure-skip-tls-verify is on: AI Nexus's TLS certificate is NOT verified. Use this for diagnosis only.")
        }
        if let proxy = config.httpsProxy { logger.info("using proxy \(proxy) for AI Nexus") }
        if let file = config.configFile { logger.info("configuration file: \(file)") }

        let endpointBox = UpstreamEndpoint(config.endpoint)
        let client: NexusClient
        do {
            client = NexusClient(
                upstream: try GatewayApplication.makeUpstreamPool(config), http: try GatewayApplication.makeHTTPClient(config),
                endpoint: endpointBox, key: config.nexusKey)
        } catch {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
        // With --simulate every configured upstream is pointed at the built-in simulator, which
        // serves both faces (Converse and Anthropic) once it listens.
        let upstreamEndpoints = Dictionary(
            uniqueKeysWithValues: config.upstreams.map { ($0.name, UpstreamEndpoint($0.endpoint)) })
        let gateway = Gateway(
            configuration: config, client: client, logger: logger, retryPolicy: config.retry,
            upstreamEndpoints: upstreamEndpoints)

        var services: [any Service] = [HTTPClientService(client: client), MemoryTrimService(gateway: gateway)]
        let (simulatorReady, simulatorPort) = AsyncStream.makeStream(of: Int.self)
        if config.simulated {
            var simOptions = SimulatorOptions()
            simOptions.applyTestKnobs(rejectBetas: options.simulatorRejectBetas, adaptiveOnly: options.simulatorAdaptiveOnly)
            let simulator = NexusSimulator.application(
                host: "127.0.0.1", port: 0, options: simOptions, logger: Logger(label: "nexus-simulator"),
                onServerRunning: { port in
                    simulatorPort.yield(port)
                    simulatorPort.finish()
                })
            services.append(simulator)
        } else {
            simulatorPort.finish()
        }
        let simulated = config.simulated
        let listenHost = config.host
        let app = GatewayApplication.application(gateway) { port in
            if simulated, let simPort = await simulatorReady.first(where: { _ in true }) {
                endpointBox.set("http://127.0.0.1:\(simPort)")
                for endpoint in upstreamEndpoints.values { endpoint.set("http://127.0.0.1:\(simPort)") }
            }
            let names = gateway.routes.providers.map { "\($0.spec.name) (\($0.spec.kind.rawValue))" }
            let upstream =
                simulated
                ? "the built-in AI Nexus simulator (\(endpointBox.current))"
                    + (upstreamEndpoints.isEmpty ? "" : " as \(names.joined(separator: ", "))")
                : upstreamEndpoints.isEmpty ? endpointBox.host : names.joined(separator: ", ")
            printOut(
                """
                nexus-claude-api \(gatewayVersion) listening on http://\(listenHost):\(port) → \(upstream)
                Point Claude Code at it:
                  export ANTHROPIC_BASE_URL=http://\(listenHost):\(port)
                """)
        }
        services.append(app)
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger)
        // Running answers get this long to finish; then they are cut with an `error` event.
        groupConfiguration.maximumGracefulShutdownDuration = config.shutdownGrace
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }
}

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the effective configuration (defaults < file < environment < flags), secrets masked.")

    @OptionGroup var options: ConfigurationOptions

    func run() throws {
        do {
            printOut(try options.load().describe())
        } catch let error as ConfigError {
            printError("configuration error: \(error)")
            throw ExitCode(2)
        }
    }
}

/// Prints a line to stdout at once (tests and scripts wait for these lines).
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func printError(_ text: String) {
    LogWriter.standardError.flush()  // the log lines before it come first
    FileHandle.standardError.write(Data("nexus-claude-api: \(text)\n".utf8))
}

import AsyncHTTPClient

extension SimulatorOptions {
    /// Hidden `serve --simulate` knobs that let end-to-end tests make the simulator stricter.
    mutating func applyTestKnobs(rejectBetas: [String], adaptiveOnly: [String]) {
        if !rejectBetas.isEmpty {
            for model in models { rejectedBetas[model, default: []].formUnion(rejectBetas) }
        }
        for model in adaptiveOnly {
            adaptiveOnlyModels.insert(model)
            enabledOnlyModels.remove(model)
        }
    }
}
