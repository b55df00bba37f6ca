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
    var parsed: (target: HTTP1Target, basePath: String)? { state.withLock { $0.parsed } }

    /// The host part, for `/health` and error messages.
    public var host: String {
        let u = current
        guard let schemeEnd = u.range(of: "://") else { return u }
        let rest = u[schemeEnd.upperBound...]
        return String(rest.prefix { $0 != "/" })
    }
}

/// The AI Nexus client: Converse, ConverseStream and CountTokens with bearer auth, over the
/// gateway's own keep-alive HTTP/1.1 pool (`UpstreamHTTP`). Connection-level failures become
/// Anthropic errors here (502/504), naming the endpoint but never the key.
///
/// A class of constants: each request's call through it costs one reference count, where a
/// struct of five references was copied whole.
public final class NexusClient: Sendable {
    public let upstream: HTTP1ConnectionPool
    /// A general-purpose client, for fetching URL images and documents.
    public let http: HTTPClient
    public let endpoint: UpstreamEndpoint
    let key: Secret?
    /// The headers of a JSON answer's request and of an event stream's, built once: content
    /// type, accept, and `Bearer <key>`. Left out of the client's mirror (`dump`), as the key.
    private let jsonHeaders: HTTP1RequestFields
    private let streamHeaders: HTTP1RequestFields

    public init(upstream: HTTP1ConnectionPool, http: HTTPClient, endpoint: UpstreamEndpoint, key: Secret?) {
        self.upstream = upstream
        self.http = http
        self.endpoint = endpoint
        self.key = key
        func headers(accept: String) -> HTTP1RequestFields {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "accept", value: accept)
            if let key { headers.add(name: "authorization", value: "Bearer \(key.value)") }
            return HTTP1RequestFields(headers)
        }
        self.jsonHeaders = headers(accept: "application/json")
        self.streamHeaders = headers(accept: "application/vnd.amazon.eventstream")
    }

    public enum Operation: String, Sendable {
        case converse, converseStream = "converse-stream", countTokens = "count-tokens"
    }

    /// Percent-encodes a model id as one path segment (ARNs carry `/` and `:`). An id of
    /// unreserved characters only (`claude-sonnet-4.6`, the common case) is returned as it is.
    static func pathSegment(_ id: String) -> String {
        guard !id.utf8.allSatisfy(isUnreserved) else { return id }
        var out = ""
        for byte in id.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// RFC 3986 unreserved characters.
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// The HTTP request for one operation: path, bearer, content type and accept.
    func request(_ operation: Operation, modelID: String, body: ByteBuffer) throws(APIError) -> HTTP1Request {
        guard let (target, basePath) = endpoint.parsed else {
            throw APIError(.api, "The AI Nexus endpoint \(endpoint.current) is not an http(s) URL.", status: 502)
        }
        return HTTP1Request(
            target: target, path: "\(basePath)/model/\(Self.pathSegment(modelID))/\(operation.rawValue)",
            headers: operation == .converseStream ? streamHeaders : jsonHeaders,
            body: body)
    }

    /// Sends one request and returns once the response head arrived. `deadline` stays armed
    /// while the body is read.
    public func send(
        _ operation: Operation, modelID: String, body: ByteBuffer, deadline: NIODeadline
    ) async throws(APIError) -> HTTP1Response {
        let request = try request(operation, modelID: modelID, body: body)
        do {
            return try await upstream.execute(request, deadline: deadline)
        } catch {
            throw mapTransportError(error)
        }
    }

    /// Starts one request on `eventLoop` (the caller's): every answer event reaches `delegate`
    /// on that loop, with no thread hop.
    func start(
        _ operation: Operation, modelID: String, body: ByteBuffer, on eventLoop: any EventLoop, deadline: NIODeadline,
        delegate: any HTTP1ResponseDelegate
    ) throws(APIError) -> HTTP1Call {
        upstream.start(
            try request(operation, modelID: modelID, body: body), on: eventLoop, deadline: deadline, delegate: delegate)
    }

    /// Turns an upstream transport failure into the client-facing error.
    public func mapTransportError(_ error: any Error) -> APIError {
        let host = endpoint.host
        switch error {
        case HTTP1ClientError.deadlineExceeded:
            return APIError(.timeout, "AI Nexus (\(host)) did not answer in time.", status: 504)
        case HTTP1ClientError.connectTimeout:
            return APIError(.api, "Could not connect to AI Nexus at \(host): connection timed out.", status: 502)
        case HTTP1ClientError.cancelled, is CancellationError:
            return APIError(.api, "The upstream request was cancelled.", status: 499)
        default:
            return APIError(.api, "Could not reach AI Nexus at \(host): \(Self.describe(error))", status: 502)
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// Reads an error answer and maps it to the client-facing error.
    public static func upstreamError(_ response: HTTP1Response, body: ByteBuffer?) -> (BedrockError, APIError) {
        upstreamError(status: response.status, headers: response.headers, body: body)
    }

    /// Maps an error answer, given its head and (part of) its body.
    static func upstreamError(
        status: HTTPResponseStatus, headers: HTTP1Fields, body: ByteBuffer?
    ) -> (BedrockError, APIError) {
        let json = body.flatMap { try? JSONValue.parse($0) }
        let bedrock = BedrockError(
            status: Int(status.code), errorTypeHeader: headers.first(name: "x-amzn-errortype"),
            body: json ?? body.map { .object(["message": .string(String(buffer: $0).prefix(500).description)]) })
        let retryAfter =
            (headers.first(name: "retry-after") ?? headers.first(name: "x-amzn-retry-after"))
            .flatMap { Int($0) }
        return (bedrock, ResponseTranslator.error(bedrock, retryAfter: retryAfter))
    }
}

extension NexusClient: CustomReflectable {
    /// The endpoint and the key, redacted: never the headers that carry the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint.current, "key": key as Any], displayStyle: .class)
    }
}
