import Foundation
import Translation
import UpstreamHTTP

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
    /// `trace` … `critical`.
    public var logLevel: String = "info"
    /// `text` or `json` (one JSON object per line).
    public var logFormat: String = "text"
    /// Extra root certificates (PEM) trusted for the upstream, besides the system's.
    public var caBundle: String?
    /// Diagnosis only: do not verify the upstream's certificate.
    public var insecureSkipTLSVerify: Bool = false
    /// The HTTPS proxy for the upstream (from `HTTPS_PROXY`), unless `NO_PROXY` matches it.
    public var httpsProxy: ProxySetting?
    public var retry: RetryPolicy = RetryPolicy()
    /// Requests served at once; more answer 429 at once instead of queueing without bound.
    public var maxConcurrentRequests: Int = 512
    /// On SIGINT/SIGTERM, how long running requests and streams may take to finish.
    public var shutdownGrace: Duration = .seconds(30)
    /// `[[upstreams]]` of the configuration file; empty means one implicit `nexus` upstream
    /// (`endpoint`, `nexusKey`, kind `converse`).
    public var upstreams: [UpstreamSpec] = []
    /// `[[routes]]`, in file order (the first match wins).
    public var routes: [RouteSpec] = []
    /// The configuration file that was read, if any.
    public var configFile: String?

    public init() {}

    /// An HTTP(S) proxy for the upstream connection (CONNECT for https endpoints).
    public struct ProxySetting: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: Secret?

        public init(host: String, port: Int, username: String? = nil, password: Secret? = nil) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
        }

        /// Parses `http://[user:pass@]host[:port]` (scheme optional).
        public static func parse(_ text: String) -> ProxySetting? {
            var rest = Substring(text.trimmingWhitespace)
            if let r = rest.range(of: "://") { rest = rest[r.upperBound...] }
            if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
            var username: String?
            var password: Secret?
            if let at = rest.lastIndex(of: "@") {
                let credentials = rest[..<at]
                rest = rest[rest.index(after: at)...]
                let parts = credentials.split(separator: ":", maxSplits: 1).map(String.init)
                username = parts.first.map { $0.removingPercentEncodingIfPossible }
                if parts.count == 2 { password = Secret(parts[1].removingPercentEncodingIfPossible) }
            }
            var host = String(rest)
            var port = 80
            if let colon = rest.lastIndex(of: ":"), let p = Int(rest[rest.index(after: colon)...]) {
                host = String(rest[..<colon])
                port = p
            }
            guard !host.isEmpty else { return nil }
            return ProxySetting(host: host, port: port, username: username, password: password)
        }

        public var description: String {
            "http://\(username.map { "\($0):****@" } ?? "")\(host):\(port)"
        }
    }

    /// The proxy to use for `endpoint`, from the usual environment variables: `HTTPS_PROXY` /
    /// `https_proxy` (for http endpoints `HTTP_PROXY` / `http_proxy`), skipped when `NO_PROXY` /
    /// `no_proxy` matches the host (exact, domain suffix, `.suffix`, or `*`) and for loopback.
    public static func proxy(for endpoint: String, environment: [String: String]) -> ProxySetting? {
        let https = endpoint.lowercased().hasPrefix("https://")
        let names = https ? ["HTTPS_PROXY", "https_proxy"] : ["HTTP_PROXY", "http_proxy"]
        guard let raw = names.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) else { return nil }
        let host = UpstreamEndpoint(endpoint).host.split(separator: ":").first.map(String.init)?.lowercased() ?? ""
        if host == "localhost" || host.hasPrefix("127.") || host == "[::1]" { return nil }
        let noProxy = environment["NO_PROXY"] ?? environment["no_proxy"] ?? ""
        for entry in noProxy.split(separator: ",") {
            var pattern = String(entry).trimmingWhitespace.lowercased()
            if pattern == "*" { return nil }
            if let colon = pattern.firstIndex(of: ":") { pattern = String(pattern[..<colon]) }
            if pattern.hasPrefix("*.") { pattern = String(pattern.dropFirst()) }
            if pattern.hasPrefix(".") {
                if host.hasSuffix(pattern) || host == String(pattern.dropFirst()) { return nil }
            } else if host == pattern || host.hasSuffix("." + pattern) {
                return nil
            }
        }
        return ProxySetting.parse(raw)
    }

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
        // With `[[upstreams]]`, each upstream's key was checked when the file was read.
        if nexusKey == nil && !simulated && upstreams.isEmpty {
            return
                "No AI Nexus key. Set NEXUS_API_KEY (or AWS_BEARER_TOKEN_BEDROCK) to your key, or run with --simulate to try the gateway against the built-in simulator."
        }
        // Checked here, to say what is wrong at start-up: a request whose fields HTTP forbids is
        // never sent (`HTTP1RequestFields.areValid`). The key itself is never shown.
        if let key = nexusKey?.value, key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return
                "The AI Nexus key contains a control character (a line break, say), which no HTTP header may carry. Check where the key comes from (NEXUS_API_KEY, AWS_BEARER_TOKEN_BEDROCK or nexus_api_key)."
        }
        let endpointUnfit =
            endpoint.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) || HTTP1Target.parse(url: endpoint) == nil
        if !simulated, endpointUnfit {
            return
                "The AI Nexus endpoint must be an http:// or https:// URL without spaces or control characters (check NEXUS_ENDPOINT, --endpoint or endpoint)."
        }
        return nil
    }
}

extension String {
    var trimmingWhitespace: String { trimmingCharacters(in: .whitespacesAndNewlines) }

    /// `%40` → `@` in proxy credentials; the text itself when it is not valid percent-encoding.
    var removingPercentEncodingIfPossible: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%"), let h = utf8.index(i, offsetBy: 2, limitedBy: utf8.endIndex), h < utf8.endIndex,
                let v = UInt8(String(decoding: utf8[utf8.index(after: i)...h], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                i = utf8.index(after: h)
            } else {
                bytes.append(b)
                i = utf8.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
