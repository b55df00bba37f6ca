import Translation

/// Everything the gateway needs to run, already merged from defaults, environment and flags.
public struct GatewayConfiguration: Sendable {
    /// AI Nexus, the default upstream.
    public static let defaultEndpoint = "https://genai-nexus.api.corpinter.net"

    public var host: String = "127.0.0.1"
    public var port: Int = 4000
    /// Base URL of the Converse API (`…/model/{id}/converse` is appended).
    public var endpoint: String = GatewayConfiguration.defaultEndpoint
    /// The outbound AI Nexus key.
    public var nexusKey: Secret?
    /// When set, clients must present this key (`x-api-key` or `Authorization: Bearer`).
    public var proxyKey: Secret?
    public var catalog: ModelCatalog = ModelCatalog()
    public var translation: TranslationOptions = TranslationOptions()
    /// Largest accepted request body.
    public var maxBodyBytes: Int = 32 * 1024 * 1024
    /// Upstream TCP/TLS connect timeout.
    public var connectTimeout: Duration = .seconds(10)
    /// Longest wait for the upstream's response head (a non-streaming answer arrives whole).
    public var firstByteTimeout: Duration = .seconds(600)
    /// Longest silence between two upstream stream events before the stream is failed.
    public var idleTimeout: Duration = .seconds(300)
    /// Longest a whole request may take.
    public var totalTimeout: Duration = .seconds(900)
    /// How often `ping` events are sent while the upstream is silent.
    public var pingInterval: Duration = .seconds(5)
    /// Limits for fetching `url` image and document sources.
    public var mediaMaxBytes: Int = 10 * 1024 * 1024
    public var mediaTimeout: Duration = .seconds(15)
    /// True when the upstream is the built-in simulator (shown in `/health`).
    public var simulated: Bool = false
    /// Log request bodies at debug level.
    public var logBodies: Bool = false

    public init() {}

    /// True when `host` binds only the loopback interface.
    public var isLoopbackOnly: Bool {
        host == "127.0.0.1" || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Checks rules that keep the user's quota safe; returns a message when the configuration
    /// must not start.
    public func validationProblem() -> String? {
        if !isLoopbackOnly && proxyKey == nil {
            return
                "Refusing to listen on \(host) without a proxy key: anyone on the network could spend your AI Nexus quota. Set --api-key or NEXUS_PROXY_API_KEY, or bind to 127.0.0.1."
        }
        if nexusKey == nil && !simulated {
            return
                "No AI Nexus key. Set NEXUS_API_KEY (or AWS_BEARER_TOKEN_BEDROCK) to your key, or run with --simulate to try the gateway against the built-in simulator."
        }
        return nil
    }
}
