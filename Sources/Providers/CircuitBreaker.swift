/// Whether a target is worth trying: a circuit breaker on an injected clock.
///
/// Closed (healthy) until `failureThreshold` failures in a row; then open (cooling down) for
/// `cooldown`, during which a route's requests go to its other targets. When the cooldown is
/// over, one request may probe the target (half-open): a success closes the breaker, a failure
/// opens it again for twice as long, up to `maxCooldown`. Only failures that say the target is
/// unwell count (throttling, overload, 5xx, timeouts, connection failures), never a client's
/// bad request.
public struct CircuitBreaker: Sendable, Equatable {
    public struct Policy: Sendable, Equatable {
        public var failureThreshold: Int
        public var cooldown: Duration
        public var maxCooldown: Duration

        public init(failureThreshold: Int = 3, cooldown: Duration = .seconds(30), maxCooldown: Duration = .seconds(300))
        {
            self.failureThreshold = failureThreshold
            self.cooldown = cooldown
            self.maxCooldown = maxCooldown
        }
    }

    public enum State: Sendable, Equatable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant, cooldown: Duration)
        /// The cooldown is over and one probe is in flight since `since` (`cooldown`: the last
        /// one). A probe that never reports (its client left) lets another go after a cooldown.
        case halfOpen(since: ContinuousClock.Instant, cooldown: Duration)
    }

    public let policy: Policy
    public private(set) var state: State = .closed(failures: 0)

    public init(policy: Policy = Policy()) { self.policy = policy }

    /// Whether a request may go to the target at `now`. Past the cooldown, the first caller gets
    /// `true` and becomes the probe; others get `false` until it reports.
    public mutating func allows(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until, let cooldown):
            guard now >= until else { return false }
            state = .halfOpen(since: now, cooldown: cooldown)
            return true
        case .halfOpen(let since, let cooldown):
            guard now - since >= cooldown else { return false }
            state = .halfOpen(since: now, cooldown: cooldown)
            return true
        }
    }

    /// Whether the target is cooling down at `now` (for `/health`; changes nothing).
    public func isCoolingDown(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed: false
        case .open(let until, _): now < until
        case .halfOpen: true
        }
    }

    public mutating func recordSuccess() { state = .closed(failures: 0) }

    public mutating func recordFailure(now: ContinuousClock.Instant) {
        switch state {
        case .closed(let failures):
            if failures + 1 >= policy.failureThreshold {
                state = .open(until: now + policy.cooldown, cooldown: policy.cooldown)
            } else {
                state = .closed(failures: failures + 1)
            }
        case .open(let until, let cooldown):
            state = .open(until: max(until, now + cooldown), cooldown: cooldown)
        case .halfOpen(_, let cooldown):
            let longer = min(cooldown * 2, policy.maxCooldown)
            state = .open(until: now + longer, cooldown: longer)
        }
    }
}
