import AnthropicAPI

/// When and how long to wait before trying the upstream again.
///
/// Retries happen only before the first byte reaches the client: throttling, model-not-ready,
/// 500/503/529 and connection failures. Validation errors are never retried. Backoff is
/// exponential with full jitter, capped, and honours `retry-after`.
public struct RetryPolicy: Sendable, Hashable {
    /// Total attempts, the first included.
    public var maxAttempts: Int = 4
    public var baseDelay: Duration = .milliseconds(500)
    public var maxDelay: Duration = .seconds(20)
    /// No retry is started once this much time has passed since the first attempt.
    public var maxTotal: Duration = .seconds(60)

    public init() {}

    /// Whether an error is worth another attempt.
    public static func isRetryable(_ error: APIError) -> Bool {
        switch error.kind {
        case .rateLimit, .overloaded: return true
        case .api: return error.status == 500 || error.status == 502 || error.status == 503
        default: return false
        }
    }

    /// The delay before attempt `attempt + 1` (attempt counts from 1).
    public func delay(afterAttempt attempt: Int, retryAfter: Int?, random: Double) -> Duration {
        if let retryAfter { return min(.seconds(retryAfter), maxDelay) }
        let exponent = min(attempt - 1, 16)
        let ceiling = min(baseDelay * (1 << exponent), maxDelay)
        return ceiling * random
    }

    /// The wait before the next attempt, after `error` ended attempt `attempt` (counting from 1)
    /// `elapsed` after the first attempt began; nil when `error` is final.
    public func retryDelay(
        after error: APIError, attempt: Int, elapsed: Duration, random: Double = .random(in: 0...1)
    ) -> Duration? {
        guard Self.isRetryable(error), attempt < maxAttempts else { return nil }
        let wait = delay(afterAttempt: attempt, retryAfter: error.retryAfter, random: random)
        guard elapsed + wait < maxTotal else { return nil }
        return wait
    }
}
