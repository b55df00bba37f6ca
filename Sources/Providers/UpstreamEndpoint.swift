import Synchronization
import UpstreamHTTP

/// Where requests go. Mutable only so `serve --simulate` can point at a simulator whose port is
/// known once it listens.
public final class UpstreamEndpoint: Sendable {
    private struct State {
        var url: String
        /// Nil when `url` is not an http(s) URL.
        var parsed: (target: HTTP1Target, basePath: String)?
    }

    private let state: Mutex<State>

    public init(_ url: String) { self.state = Mutex(State(url: url, parsed: HTTP1Target.parse(url: url))) }

    public var current: String { state.withLock { $0.url } }

    public func set(_ newValue: String) {
        state.withLock { $0 = State(url: newValue, parsed: HTTP1Target.parse(url: newValue)) }
    }

    /// The target and base path, parsed once per change of URL.
    public var parsed: (target: HTTP1Target, basePath: String)? { state.withLock { $0.parsed } }

    /// The host part, for `/health` and error messages.
    public var host: String { UpstreamErrors.host(of: current) }
}
