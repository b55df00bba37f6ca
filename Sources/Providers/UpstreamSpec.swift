/// The kinds of upstream the gateway can call, one `Provider` each.
public enum ProviderKind: String, Sendable, Hashable, CaseIterable {
    /// AI Nexus (or Bedrock with a bearer key): Converse and ConverseStream, translated.
    case converse
    /// Any Anthropic-compatible Messages endpoint (the Anthropic API, company gateways): the body
    /// passes through with its model rewritten.
    case anthropic
}

/// How the upstream key is presented.
public enum UpstreamAuth: String, Sendable, Hashable, CaseIterable {
    /// `Authorization: Bearer <key>`.
    case bearer
    /// `x-api-key: <key>`.
    case xAPIKey = "x-api-key"
}

/// One `[[upstreams]]` entry of the configuration file: where requests can go.
public struct UpstreamSpec: Sendable, Hashable {
    /// Names the upstream in targets (`nexus:claude-sonnet-4.6`), logs, metrics and `/health`.
    public var name: String
    public var kind: ProviderKind
    /// Base URL (`https://api.anthropic.com`, `https://genai-nexus.api.corpinter.net`).
    public var endpoint: String
    public var auth: UpstreamAuth
    /// The environment variable the key was read from (never the key itself in the file).
    public var keyEnv: String?
    /// The key, read from `keyEnv` at start-up.
    public var key: Secret?
    /// Top-level body fields this upstream refuses: taken out before the body goes (for
    /// upstreams whose body passes through, `anthropic`).
    public var dropFields: Set<String> = []
    /// `anthropic-beta` values this upstream refuses: not forwarded.
    public var dropBetas: Set<String> = []

    public init(
        name: String, kind: ProviderKind, endpoint: String, auth: UpstreamAuth? = nil, keyEnv: String? = nil,
        key: Secret? = nil
    ) {
        self.name = name
        self.kind = kind
        self.endpoint = endpoint
        self.auth = auth ?? kind.defaultAuth
        self.keyEnv = keyEnv
        self.key = key
    }
}

extension ProviderKind {
    /// The auth an upstream of this kind uses unless configured: AI Nexus takes a bearer key, the
    /// Anthropic API `x-api-key`.
    public var defaultAuth: UpstreamAuth {
        switch self {
        case .converse: .bearer
        case .anthropic: .xAPIKey
        }
    }
}

/// One target of a route: an upstream and the model id sent to it.
public struct TargetSpec: Sendable, Hashable, CustomStringConvertible {
    public var upstream: String
    /// The model id sent upstream; nil when the target names only the upstream (`"backup"`):
    /// then the upstream's own resolution applies (the family map for `converse`, the client's
    /// model name for `anthropic`).
    public var model: String?

    public init(upstream: String, model: String? = nil) {
        self.upstream = upstream
        self.model = model
    }

    /// Parses `upstream:model` or `upstream` (the model part may hold further colons: ARNs).
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let name = parts.first, !name.isEmpty else { return nil }
        if parts.count == 2 {
            guard !parts[1].isEmpty else { return nil }
            self.init(upstream: name, model: parts[1])
        } else {
            self.init(upstream: name)
        }
    }

    public var description: String { model.map { "\(upstream):\($0)" } ?? upstream }
}

/// One `[[routes]]` entry: the client model names it matches and its targets in fallback order.
public struct RouteSpec: Sendable, Hashable {
    /// A client model name, or a glob where `*` matches any run of characters (`claude-sonnet-*`).
    public var model: String
    public var targets: [TargetSpec]

    public init(model: String, targets: [TargetSpec]) {
        self.model = model
        self.targets = targets
    }

    /// Whether `name` matches `pattern` (`*` matches any run of characters, case-sensitive).
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8)
        let n = Array(name.utf8)
        // Iterative glob with backtracking to the last `*`.
        var i = 0
        var j = 0
        var star = -1
        var mark = 0
        while j < n.count {
            if i < p.count, p[i] == UInt8(ascii: "*") {
                star = i
                mark = j
                i += 1
            } else if i < p.count, p[i] == n[j] {
                i += 1
                j += 1
            } else if star >= 0 {
                i = star + 1
                mark += 1
                j = mark
            } else {
                return false
            }
        }
        while i < p.count, p[i] == UInt8(ascii: "*") { i += 1 }
        return i == p.count
    }
}
