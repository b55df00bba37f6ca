import NIOCore
import NexusJSON
import Synchronization

/// Counters served at `GET /_sim/stats`, so end-to-end tests can see what a client of the
/// simulator (the gateway) does with its connections and streams.
public final class SimulatorStats: Sendable {
    private let accepted = Atomic<Int>(0)
    private let open = Atomic<Int>(0)
    private let streams = Atomic<Int>(0)
    private let served = Atomic<Int>(0)
    private let converse = Atomic<Int>(0)
    private let anthropic = Atomic<Int>(0)

    public init() {}

    /// TCP connections accepted since start (only counted when served by `NexusSimulator.application`).
    public var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }
    /// TCP connections open now.
    public var connectionsOpen: Int { open.load(ordering: .relaxed) }
    /// ConverseStream and Anthropic SSE bodies being written now.
    public var streamsActive: Int { streams.load(ordering: .relaxed) }
    /// Requests of both faces received since start (whatever the answer).
    public var requests: Int { served.load(ordering: .relaxed) }
    /// Converse, ConverseStream and CountTokens requests received since start.
    public var converseRequests: Int { converse.load(ordering: .relaxed) }
    /// Anthropic-face requests (`/v1/messages`, `/v1/messages/count_tokens`, `/v1/models`) received since start.
    public var anthropicRequests: Int { anthropic.load(ordering: .relaxed) }

    func connectionOpened() {
        accepted.add(1, ordering: .relaxed)
        open.add(1, ordering: .relaxed)
    }

    func connectionClosed() { open.subtract(1, ordering: .relaxed) }
    func streamStarted() { streams.add(1, ordering: .relaxed) }
    func streamEnded() { streams.subtract(1, ordering: .relaxed) }
    func requestReceived() {
        served.add(1, ordering: .relaxed)
        converse.add(1, ordering: .relaxed)
    }

    func anthropicRequestReceived() {
        served.add(1, ordering: .relaxed)
        anthropic.add(1, ordering: .relaxed)
    }

    /// `{"connections_accepted": N, "connections_open": N, "streams_active": N, "requests": N,
    /// "converse_requests": N, "anthropic_requests": N}`.
    var jsonValue: JSONValue {
        [
            "connections_accepted": .int(connectionsAccepted), "connections_open": .int(connectionsOpen),
            "streams_active": .int(streamsActive), "requests": .int(requests),
            "converse_requests": .int(converseRequests), "anthropic_requests": .int(anthropicRequests),
        ]
    }
}

/// Counts the connections of one server: added to every accepted connection's pipeline; counts
/// it open when added and closed when the channel closes.
final class ConnectionCounter: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let stats: SimulatorStats

    init(stats: SimulatorStats) { self.stats = stats }

    func handlerAdded(context: ChannelHandlerContext) {
        stats.connectionOpened()
        let stats = self.stats
        context.channel.closeFuture.whenComplete { _ in stats.connectionClosed() }
    }
}
