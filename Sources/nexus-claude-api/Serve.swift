import ArgumentParser
import Gateway
import Hummingbird
import Logging
import NexusSimulator
import ServiceLifecycle
import Translation

import Foundation

/// Options shared by the commands that translate requests.
struct TranslationFlags: ParsableArguments {
    @Option(
        name: .customLong("model-map"),
        help: ArgumentHelp(
            "Map a client model name to an AI Nexus model id, as NAME=ID (repeatable), e.g. claude-3-5-haiku-20241022=claude-haiku-4.5.",
            valueName: "NAME=ID"))
    var modelMap: [String] = []

    @Flag(name: .customLong("drop-unsupported-tools"), help: "Drop server tools AI Nexus cannot run (web search…) instead of answering 400.")
    var dropUnsupportedTools = false

    func catalog() throws -> ModelCatalog {
        var overrides: [String: String] = [:]
        for entry in modelMap {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--model-map takes NAME=ID, got '\(entry)'")
            }
            overrides[parts[0]] = parts[1]
        }
        return ModelCatalog(overrides: overrides)
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
              LOG_LEVEL                 trace, debug, info, notice, warning, error (same as --log-level)
            """)

    @Option(help: "Address to listen on. Anything but loopback requires --api-key.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 4000

    @Option(help: "AI Nexus base URL (default: $NEXUS_ENDPOINT, else \(GatewayConfiguration.defaultEndpoint)).")
    var endpoint: String?

    @Option(name: .customLong("api-key"), help: "Require clients to present this key (x-api-key or Authorization: Bearer). Default: $NEXUS_PROXY_API_KEY; none on loopback.")
    var apiKey: String?

    @Flag(help: "Start a built-in AI Nexus simulator and use it as the upstream (no key needed).")
    var simulate = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (default: $LOG_LEVEL, else info).")
    var logLevel: String?

    @Flag(name: .customLong("log-bodies"), help: "Log translated request bodies at debug level (prompts end up in logs).")
    var logBodies = false

    @OptionGroup var translation: TranslationFlags

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var config = GatewayConfiguration()
        config.host = host
        config.port = port
        config.endpoint = endpoint ?? env["NEXUS_ENDPOINT"] ?? GatewayConfiguration.defaultEndpoint
        if let key = env["NEXUS_API_KEY"] ?? env["AWS_BEARER_TOKEN_BEDROCK"], !key.isEmpty { config.nexusKey = Secret(key) }
        if let key = apiKey ?? env["NEXUS_PROXY_API_KEY"], !key.isEmpty { config.proxyKey = Secret(key) }
        config.simulated = simulate
        config.logBodies = logBodies
        config.catalog = try translation.catalog()
        config.translation.dropUnsupportedServerTools = translation.dropUnsupportedTools
        if simulate, config.nexusKey == nil { config.nexusKey = Secret("simulator-key") }
        if let problem = config.validationProblem() {
            printError(problem)
            throw ExitCode(2)
        }

        let level = Logger.Level(rawValue: (logLevel ?? env["LOG_LEVEL"] ?? "info").lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "nexus-claude-api")
        if logBodies { logger.notice("--log-bodies is on: request bodies (prompts) are logged at debug level") }

        let endpointBox = UpstreamEndpoint(config.endpoint)
        let http = GatewayApplication.makeHTTPClient(config)
        let gateway = Gateway(configuration: config, client: NexusClient(http: http, endpoint: endpointBox, key: config.nexusKey), logger: logger)

        var services: [any Service] = [HTTPClientService(client: http)]
        let (simulatorReady, simulatorPort) = AsyncStream.makeStream(of: Int.self)
        if simulate {
            let simulator = NexusSimulator.application(
                host: "127.0.0.1", port: 0, options: SimulatorOptions(), logger: Logger(label: "nexus-simulator"),
                onServerRunning: { port in
                    simulatorPort.yield(port)
                    simulatorPort.finish()
                })
            services.append(simulator)
        } else {
            simulatorPort.finish()
        }
        let simulated = simulate
        let listenHost = config.host
        let app = GatewayApplication.application(gateway) { port in
            if simulated, let simPort = await simulatorReady.first(where: { _ in true }) {
                endpointBox.set("http://127.0.0.1:\(simPort)")
            }
            let upstream = simulated ? "the built-in AI Nexus simulator (\(endpointBox.current))" : endpointBox.host
            printOut(
                """
                nexus-claude-api \(gatewayVersion) listening on http://\(listenHost):\(port) → \(upstream)
                Point Claude Code at it:
                  export ANTHROPIC_BASE_URL=http://\(listenHost):\(port)
                """)
        }
        services.append(app)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Prints a line to stdout and flushes at once (tests and scripts wait for these lines).
func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data("nexus-claude-api: \(text)\n".utf8))
}
