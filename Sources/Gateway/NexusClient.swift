import AnthropicAPI
import AsyncHTTPClient
import BedrockAPI
import Logging
import NIOCore
import NIOHTTP1
import NexusJSON
import Synchronization
import Translation
import UpstreamHTTP

/// The gateway's HTTP clients: the keep-alive HTTP/1.1 pool every upstream call goes through
/// (`UpstreamHTTP`), a general-purpose client for fetching URL media, and the implicit AI Nexus
/// upstream's endpoint and key (used when the configuration names no `[[upstreams]]`).
public final class NexusClient: Sendable {
    public let upstream: HTTP1ConnectionPool
    /// A general-purpose client, for fetching URL images and documents.
    public let http: HTTPClient
    public let endpoint: UpstreamEndpoint
    let key: Secret?

    public init(upstream: HTTP1ConnectionPool, http: HTTPClient, endpoint: UpstreamEndpoint, key: Secret?) {
        self.upstream = upstream
        self.http = http
        self.endpoint = endpoint
        self.key = key
    }
}

extension NexusClient: CustomReflectable {
    /// The endpoint and the key, redacted.
    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint.current, "key": key as Any], displayStyle: .class)
    }
}
