import AnthropicAPI
import Metrics
import Prometheus
import Synchronization

/// The gateway's Prometheus metrics, served at `GET /metrics`.
///
/// Metrics go through swift-metrics with a factory owned by this gateway (not the global
/// `MetricsSystem`), so several gateways in one process (tests) keep separate figures.
public final class GatewayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let streams: Meter
    /// `nexus_request_duration_seconds` and `nexus_first_byte_seconds`, by `stream` (false, true).
    let durations: [Metrics.Timer]
    let firstBytes: [Metrics.Timer]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30),
            .seconds(60), .seconds(120), .seconds(300), .seconds(600),
        ]
        self.factory = factory
        streams = Meter(label: "nexus_streams_in_flight", factory: factory)
        durations = [false, true].map {
            Timer(label: "nexus_request_duration_seconds", dimensions: [("stream", String($0))], factory: factory)
        }
        firstBytes = [false, true].map {
            Timer(label: "nexus_first_byte_seconds", dimensions: [("stream", String($0))], factory: factory)
        }
    }

    /// The metric handles of one (model, status, stream) combination, made once: looking a
    /// metric up in the registry by label and dimensions on every request costs more than the
    /// request's own metrics.
    private final class RequestHandles: Sendable {
        let requests: Metrics.Counter
        let retries: Metrics.Counter
        /// input, output, cache_read, cache_write.
        let tokens: [Metrics.Counter]

        init(model: String, status: Int, stream: Bool, upstream: String, factory: PrometheusMetricsFactory) {
            requests = Counter(
                label: "nexus_requests_total",
                dimensions: [
                    ("model", model), ("status", String(status)), ("stream", String(stream)), ("upstream", upstream),
                ], factory: factory)
            retries = Counter(label: "nexus_upstream_retries_total", dimensions: [("model", model)], factory: factory)
            tokens = ["input", "output", "cache_read", "cache_write"].map {
                Counter(label: "nexus_tokens_total", dimensions: [("model", model), ("kind", $0)], factory: factory)
            }
        }
    }

    private struct RequestKey: Hashable {
        var model: String
        var status: Int
        var stream: Bool
        var upstream: String
    }

    /// Handles by combination, up to `maxCachedCombinations` (model names come from clients).
    private let handles = Mutex<[RequestKey: RequestHandles]>([:])
    private static let maxCachedCombinations = 1024

    private func requestHandles(model: String, status: Int, stream: Bool, upstream: String) -> RequestHandles {
        let key = RequestKey(model: model, status: status, stream: stream, upstream: upstream)
        if let found = handles.withLock({ $0[key] }) { return found }
        let made = RequestHandles(model: model, status: status, stream: stream, upstream: upstream, factory: factory)
        handles.withLock { if $0.count < Self.maxCachedCombinations { $0[key] = made } }
        return made
    }

    /// One finished request; `upstream` names the upstream that answered (`none` when none did).
    func request(
        model: String, status: Int, stream: Bool, firstByte: Duration?, total: Duration, usage: Usage?, retries: Int,
        upstream: String
    ) {
        let handles = requestHandles(model: model, status: status, stream: stream, upstream: upstream)
        handles.requests.increment()
        durations[stream ? 1 : 0].recordNanoseconds(total.nanoseconds)
        if let firstByte { firstBytes[stream ? 1 : 0].recordNanoseconds(firstByte.nanoseconds) }
        if retries > 0 { handles.retries.increment(by: retries) }
        if let usage {
            let counts = [
                usage.inputTokens, usage.outputTokens, usage.cacheReadInputTokens, usage.cacheCreationInputTokens,
            ]
            for (counter, n) in zip(handles.tokens, counts) where n > 0 { counter.increment(by: n) }
        }
    }

    /// An upstream failure, by Anthropic error type.
    func upstreamError(_ error: APIError) {
        Counter(label: "nexus_upstream_errors_total", dimensions: [("type", error.kind.rawValue)], factory: factory)
            .increment()
    }

    /// A request moved from one upstream to another before its first byte.
    func fallback(from: String, to: String) {
        Counter(label: "nexus_fallbacks_total", dimensions: [("from", from), ("to", to)], factory: factory).increment()
    }

    func streamStarted() { streams.increment() }
    func streamEnded() { streams.decrement() }

    /// The Prometheus text exposition.
    public func render() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}

/// Caps how many requests are served at once; a full gateway answers 429 at once rather than
/// queueing without bound.
final class ConcurrencyLimiter: Sendable {
    let limit: Int
    private struct Counts {
        var inFlight = 0
        /// Leases handed out since start.
        var granted = 0
    }

    private let counts = Mutex(Counts())

    init(limit: Int) { self.limit = limit }

    /// A lease while under the limit. The slot is freed when the lease is released or dropped,
    /// so a streaming body that captures it holds the slot until the stream ends.
    func acquire() -> Lease? {
        let ok = counts.withLock { c in
            guard c.inFlight < limit else { return false }
            c.inFlight += 1
            c.granted += 1
            return true
        }
        return ok ? Lease(self) : nil
    }

    /// Requests in flight now, and leases granted since start.
    var snapshot: (inFlight: Int, granted: Int) { counts.withLock { ($0.inFlight, $0.granted) } }

    fileprivate func release() { counts.withLock { $0.inFlight -= 1 } }

    final class Lease: Sendable {
        let limiter: ConcurrencyLimiter
        fileprivate init(_ limiter: ConcurrencyLimiter) { self.limiter = limiter }
        deinit { limiter.release() }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
