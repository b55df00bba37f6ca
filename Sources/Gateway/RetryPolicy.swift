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

    /// Runs `operation` until it succeeds, fails for good, or the policy is exhausted.
    /// - Returns: the result and how many retries it took.
    func run<T: Sendable>(
        onRetry: (APIError, Int, Duration) -> Void,
        _ operation: () async throws(APIError) -> T
    ) async throws(APIError) -> (T, Int) {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 1
        while true {
            do {
                return (try await operation(), attempt - 1)
            } catch {
                guard Self.isRetryable(error), attempt < maxAttempts, !Task.isCancelled else { throw error }
                let wait = delay(afterAttempt: attempt, retryAfter: error.retryAfter, random: Double.random(in: 0...1))
                guard clock.now - start + wait < maxTotal else { throw error }
                onRetry(error, attempt, wait)
                do { try await Task.sleep(for: wait) } catch { throw APIError(.api, "cancelled", status: 499) }
                attempt += 1
            }
        }
    }
}
