import AnthropicAPI

/// The decisions of one `/v1/messages` exchange, with no I/O and no clock of its own: which
/// target each attempt goes to, whether a failure is retried, falls back to the route's next
/// target or ends the request, and, once the answer streams, when to ping or give up.
///
/// The driver (`MessagesResponder`) feeds it events with the time they happened and carries out
/// what it answers. The rules:
/// - An attempt goes to the first target of its pass that is available (not cooling down); if
///   none is, to the first not yet tried (trying beats failing without a try).
/// - Before the first byte reaches the client, a failure that `classify` calls `retryable`
///   (throttling, overload, 5xx, connection failures) or `fallBack` (timeouts) moves the request
///   to the pass's next target at once. When the pass is over, a retryable failure starts a new
///   pass after the retry policy's backoff (`RetryPolicy`, which counts passes as attempts);
///   anything else is the answer.
/// - After the first byte, never: the stream ends with an `error` event instead.
/// - A single-target route therefore retries exactly as the gateway always has.
public struct ExchangeStateMachine: Sendable {
    /// How a failed attempt is treated.
    public enum FailureClass: Sendable, Equatable {
        /// Worth another attempt on this target later, or on another now.
        case retryable
        /// Worth another target now, not this one again (it took too long).
        case fallBack
        /// The answer: the request itself is wrong, or nobody is left to answer.
        case terminal
    }

    /// The limits of one exchange.
    public struct Limits: Sendable {
        public var retry: RetryPolicy
        public var firstByteTimeout: Duration
        public var totalTimeout: Duration
        public var idleTimeout: Duration
        public var pingInterval: Duration
        public var shutdownGrace: Duration

        public init(
            retry: RetryPolicy = RetryPolicy(), firstByteTimeout: Duration = .seconds(600),
            totalTimeout: Duration = .seconds(900), idleTimeout: Duration = .seconds(300),
            pingInterval: Duration = .seconds(5), shutdownGrace: Duration = .seconds(30)
        ) {
            self.retry = retry
            self.firstByteTimeout = firstByteTimeout
            self.totalTimeout = totalTimeout
            self.idleTimeout = idleTimeout
            self.pingInterval = pingInterval
            self.shutdownGrace = shutdownGrace
        }

        /// How often a stream's timers are checked: often enough for the ping interval.
        public var tickInterval: Duration { min(pingInterval, .seconds(1)) }
    }

    /// What to do after a failed attempt.
    public enum Next: Sendable, Equatable {
        /// Send an attempt to `target` now (a fallback when it is another target).
        case send(target: Int)
        /// Wait, then send an attempt to `target` (a retry).
        case wait(Duration, target: Int)
        /// Answer with this error.
        case fail(APIError)
        /// Nothing: the exchange is over.
        case none
    }

    /// What a stream's timer tick calls for.
    public enum Tick: Sendable, Equatable {
        case none
        case ping
        /// End the stream with this error event; `outcome` names why, for the log line.
        case fail(outcome: String, APIError)
    }

    enum State: Sendable, Equatable {
        case attempting(target: Int)
        case waiting(target: Int)
        case streaming(target: Int)
        case done
    }

    public let limits: Limits
    public let targetCount: Int
    let started: ContinuousClock.Instant
    private(set) var state: State
    /// Passes begun (the retry policy's attempt count).
    public private(set) var pass = 1
    /// When the first pass began (the retry policy's budget runs from there).
    private var passesBegan: ContinuousClock.Instant
    /// Targets tried in the current pass, a bit each.
    private var tried: UInt64 = 0
    /// Retries: attempts after a backoff.
    public private(set) var retries = 0
    /// Fallbacks: attempts moved to another target at once.
    public private(set) var fallbacks = 0

    /// Begins an exchange at `now` over `targetCount` targets; `isAvailable` says which are not
    /// cooling down. Read `target` for the first attempt.
    public init(
        targetCount: Int, limits: Limits, now: ContinuousClock.Instant, isAvailable: (Int) -> Bool = { _ in true }
    ) {
        precondition(targetCount > 0 && targetCount <= 64, "a route has 1 to 64 targets")
        self.limits = limits
        self.targetCount = targetCount
        self.started = now
        self.passesBegan = now
        self.state = .done
        let first = Self.pick(count: targetCount, tried: 0, isAvailable: isAvailable) ?? 0
        tried = 1 << first
        state = .attempting(target: first)
    }

    /// The target of the attempt in flight (or the one waited for).
    public var target: Int {
        switch state {
        case .attempting(let t), .waiting(let t), .streaming(let t): t
        case .done: 0
        }
    }

    public var isDone: Bool { state == .done }

    /// How failures are treated.
    public static func classify(_ error: APIError) -> FailureClass {
        switch error.kind {
        case .rateLimit, .overloaded: return .retryable
        case .api where error.status == 499: return .terminal  // the client left
        case .api: return error.status >= 500 ? .retryable : .terminal
        case .timeout: return .fallBack
        default: return .terminal
        }
    }

    /// The deadline of an attempt begun at `now`: the first-byte timeout, never past the total.
    public func attemptTimeout(now: ContinuousClock.Instant) -> Duration {
        max(.zero, min(limits.firstByteTimeout, limits.totalTimeout - (now - started)))
    }

    /// The attempt in flight failed before anything reached the client.
    /// - Parameter random: in 0...1, for the backoff's jitter.
    public mutating func attemptFailed(
        _ error: APIError, now: ContinuousClock.Instant, random: Double, isAvailable: (Int) -> Bool = { _ in true }
    ) -> Next {
        guard case .attempting = state else { return .none }
        let kind = Self.classify(error)
        guard kind != .terminal else { return end(error) }
        if now - started < limits.totalTimeout,
            let next = Self.pick(count: targetCount, tried: tried, isAvailable: isAvailable)
        {
            tried |= 1 << next
            fallbacks += 1
            state = .attempting(target: next)
            return .send(target: next)
        }
        guard kind == .retryable,
            let wait = limits.retry.retryDelay(after: error, attempt: pass, elapsed: now - passesBegan, random: random)
        else { return end(error) }
        // A new pass, from the first available target.
        let first = Self.pick(count: targetCount, tried: 0, isAvailable: isAvailable) ?? 0
        pass += 1
        retries += 1
        tried = 1 << first
        state = .waiting(target: first)
        return .wait(wait, target: first)
    }

    /// The wait before a retry is over: send to `target`.
    public mutating func waited() -> Int? {
        guard case .waiting(let target) = state else { return nil }
        state = .attempting(target: target)
        return target
    }

    /// The answer's first byte went to the client: from here on failures end the stream.
    public mutating func committed() {
        guard case .attempting(let target) = state else { return }
        state = .streaming(target: target)
    }

    /// The exchange is over (answered, failed, or the client left).
    public mutating func finished() { state = .done }

    private mutating func end(_ error: APIError) -> Next {
        state = .done
        return .fail(error)
    }

    /// A stream's timer tick at `now`: shutdown first, then the total timeout, the idle timeout,
    /// then a `ping` when nothing was written for the ping interval.
    /// - Parameters:
    ///   - lastUpstream: when the upstream last sent bytes; `lastWrite`: when the client was last
    ///     written to; `shutdownSeen`: when the gateway began shutting down, if it did.
    public func tick(
        now: ContinuousClock.Instant, lastUpstream: ContinuousClock.Instant, lastWrite: ContinuousClock.Instant,
        shutdownSeen: ContinuousClock.Instant?, upstream: String
    ) -> Tick {
        guard case .streaming = state else { return .none }
        // Past the grace period the server closes its connections: end the stream with an
        // error event on the last tick before that, while the client can still be told.
        if let seen = shutdownSeen, now - seen + limits.tickInterval * 2 + .milliseconds(250) >= limits.shutdownGrace {
            return .fail(
                outcome: "shutdown",
                APIError(.overloaded, "The gateway is shutting down; the answer was cut. Please retry."))
        }
        if now - started >= limits.totalTimeout {
            return .fail(
                outcome: "total timeout",
                APIError(
                    .timeout,
                    "The answer took longer than the total timeout (\(limits.totalTimeout.components.seconds) s); the stream was stopped."
                ))
        }
        if now - lastUpstream >= limits.idleTimeout {
            return .fail(
                outcome: "idle timeout",
                APIError(
                    .timeout,
                    "\(upstream) sent nothing for \(limits.idleTimeout.components.seconds) s; the stream was stopped."))
        }
        if now - lastWrite >= limits.pingInterval { return .ping }
        return .none
    }

    /// The first target not in `tried` that is available, else the first not in `tried`.
    static func pick(count: Int, tried: UInt64, isAvailable: (Int) -> Bool) -> Int? {
        var fallback: Int?
        for index in 0..<count where tried & (1 << index) == 0 {
            if isAvailable(index) { return index }
            if fallback == nil { fallback = index }
        }
        return fallback
    }
}
