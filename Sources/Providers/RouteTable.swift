import AnthropicAPI
import Synchronization

/// Where a client's model name goes: the targets of the first `[[routes]]` entry whose pattern
/// matches it, in fallback order; with no match, the first upstream, which resolves the name its
/// own way (the family map for `converse`, the name as it is for `anthropic`).
///
/// Routes are resolved once per client model name and kept (a name's route never changes while
/// the gateway runs); targets share one `TargetHealth` per upstream and model, whatever routes
/// name them.
public final class RouteTable: Sendable {
    /// The upstreams, in configuration order.
    public let providers: [any Provider]
    public let routes: [RouteSpec]
    let breakerPolicy: CircuitBreaker.Policy
    private let health = Mutex<[String: TargetHealth]>([:])
    private let cache = Mutex<[String: Route]>([:])

    public init(providers: [any Provider], routes: [RouteSpec], breakerPolicy: CircuitBreaker.Policy = .init()) {
        precondition(!providers.isEmpty, "at least one upstream")
        self.providers = providers
        self.routes = routes
        self.breakerPolicy = breakerPolicy
        // Targets that name their model are known before any request: /health lists them from
        // the start.
        for route in routes {
            for target in route.targets {
                guard let model = target.model, let provider = provider(named: target.upstream),
                    let resolved = try? provider.resolve(model: model, clientModel: model)
                else { continue }
                _ = health(target.upstream, resolved.id)
            }
        }
    }

    public func provider(named name: String) -> (any Provider)? { providers.first { $0.spec.name == name } }

    /// The route of a client model name; a 404 naming the known models when no target can take it.
    public func route(for model: String) throws(APIError) -> Route {
        if let route = cache.withLock({ $0[model] }) { return route }
        let specs: [TargetSpec] =
            routes.first { RouteSpec.matches($0.model, model) }?.targets
            ?? [TargetSpec(upstream: providers[0].spec.name)]
        var targets: [RouteTarget] = []
        var firstError: APIError?
        for spec in specs {
            guard let provider = provider(named: spec.upstream) else { continue }
            do throws(APIError) {
                let resolved = try provider.resolve(model: spec.model, clientModel: model)
                targets.append(
                    RouteTarget(provider: provider, model: resolved, health: health(provider.spec.name, resolved.id)))
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        guard !targets.isEmpty else {
            throw firstError ?? APIError(.notFound, "model: \(model) has no route to an upstream.")
        }
        let route = Route(targets: targets)
        cache.withLock {
            if $0.count >= 1024 { $0.removeAll() }
            $0[model] = route
        }
        return route
    }

    private func health(_ upstream: String, _ model: String) -> TargetHealth {
        let name = "\(upstream):\(model)"
        return health.withLock { table in
            if let existing = table[name] { return existing }
            let made = TargetHealth(name: name, policy: breakerPolicy)
            table[name] = made
            return made
        }
    }

    /// Every target any request has used so far, by name.
    public var targetHealth: [TargetHealth] {
        health.withLock { Array($0.values) }.sorted { $0.name < $1.name }
    }
}

/// A client model name's targets, in fallback order.
public final class Route: Sendable {
    public let targets: [RouteTarget]
    /// Whether the targets are on more than one upstream (only then can a request's thinking
    /// signatures be another upstream's).
    public let spansUpstreams: Bool

    init(targets: [RouteTarget]) {
        self.targets = targets
        self.spansUpstreams = targets.contains { $0.upstream != targets[0].upstream }
    }
}

/// One upstream and the model id sent to it.
public final class RouteTarget: Sendable {
    public let provider: any Provider
    public let model: ResolvedModel
    public let health: TargetHealth
    /// The upstream's name (kept: read through the provider, it would copy the whole spec).
    public let upstream: String

    init(provider: any Provider, model: ResolvedModel, health: TargetHealth) {
        self.provider = provider
        self.model = model
        self.health = health
        self.upstream = provider.spec.name
    }
}

/// How one target has fared: its circuit breaker and its last error, shared by every request.
public final class TargetHealth: Sendable {
    /// `upstream:model`.
    public let name: String
    private let state: Mutex<State>

    struct State {
        var breaker: CircuitBreaker
        var lastError: String?
        var lastErrorAt: ContinuousClock.Instant?
        var served = 0
        var failed = 0
    }

    init(name: String, policy: CircuitBreaker.Policy) {
        self.name = name
        self.state = Mutex(State(breaker: CircuitBreaker(policy: policy)))
    }

    /// Whether a request may go here now (see `CircuitBreaker.allows`).
    public func allows(now: ContinuousClock.Instant) -> Bool { state.withLock { $0.breaker.allows(now: now) } }

    /// The target answered (whatever it answered: a bad request is no sign of ill health).
    public func answered() {
        state.withLock {
            $0.served += 1
            $0.breaker.recordSuccess()
        }
    }

    /// The target failed the way `ExchangeStateMachine.classify` calls retryable or fall-back.
    public func failed(_ error: APIError, now: ContinuousClock.Instant) {
        state.withLock {
            $0.failed += 1
            $0.lastError = error.description
            $0.lastErrorAt = now
            $0.breaker.recordFailure(now: now)
        }
    }

    /// What `/health` shows.
    public struct Snapshot: Sendable {
        public var name: String
        /// `healthy` or `cooling down`.
        public var status: String
        public var served: Int
        public var failed: Int
        public var lastError: String?
        /// Seconds since the last error.
        public var lastErrorAge: Int?
    }

    public func snapshot(now: ContinuousClock.Instant) -> Snapshot {
        state.withLock {
            Snapshot(
                name: name, status: $0.breaker.isCoolingDown(now: now) ? "cooling down" : "healthy",
                served: $0.served, failed: $0.failed, lastError: $0.lastError,
                lastErrorAge: $0.lastErrorAt.map { Int((now - $0).components.seconds) })
        }
    }
}
