import AnthropicAPI
import AsyncHTTPClient
import BedrockAPI
import Logging
import NIOCore
import NIOHTTP1
import NexusJSON
import Synchronization

/// Where requests go. Mutable only so `serve --simulate` can point at a simulator whose port is
/// known once it listens.
public final class UpstreamEndpoint: Sendable {
    private let url: Mutex<String>

    public init(_ url: String) { self.url = Mutex(url) }

    public var current: String { url.withLock { $0 } }

    public func set(_ newValue: String) { url.withLock { $0 = newValue } }

    /// The host part, for `/health` and error messages.
    public var host: String {
        let u = current
        guard let schemeEnd = u.range(of: "://") else { return u }
        let rest = u[schemeEnd.upperBound...]
        return String(rest.prefix { $0 != "/" })
    }
}

/// The AI Nexus client: Converse, ConverseStream and CountTokens over a pooled HTTP client with
/// bearer auth. Connection-level failures become Anthropic errors here (502/504), naming the
/// endpoint but never the key.
public struct NexusClient: Sendable {
    public let http: HTTPClient
    public let endpoint: UpstreamEndpoint
    let key: Secret?

    public init(http: HTTPClient, endpoint: UpstreamEndpoint, key: Secret?) {
        self.http = http
        self.endpoint = endpoint
        self.key = key
    }

    public enum Operation: String, Sendable {
        case converse, converseStream = "converse-stream", countTokens = "count-tokens"
    }

    /// Percent-encodes a model id as one path segment (ARNs carry `/` and `:`).
    static func pathSegment(_ id: String) -> String {
        var out = ""
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Sends one request and returns once the response head arrived.
    public func send(
        _ operation: Operation, modelID: String, body: ByteBuffer, deadline: NIODeadline
    ) async throws(APIError) -> HTTPClientResponse {
        let base = endpoint.current
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        var request = HTTPClientRequest(url: "\(trimmed)/model/\(Self.pathSegment(modelID))/\(operation.rawValue)")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "accept", value: operation == .converseStream ? "application/vnd.amazon.eventstream" : "application/json")
        if let key { request.headers.add(name: "authorization", value: "Bearer \(key.value)") }
        request.body = .bytes(body)
        do {
            return try await http.execute(request, deadline: deadline)
        } catch {
            throw mapTransportError(error)
        }
    }

    /// Turns an HTTP client failure into the client-facing error.
    public func mapTransportError(_ error: any Error) -> APIError {
        let host = endpoint.host
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return APIError(.timeout, "AI Nexus (\(host)) did not answer in time.", status: 504)
            case .connectTimeout:
                return APIError(.api, "Could not connect to AI Nexus at \(host): connection timed out.", status: 502)
            case .cancelled:
                return APIError(.api, "The upstream request was cancelled.", status: 499)
            default:
                break
            }
        }
        if error is CancellationError {
            return APIError(.api, "The upstream request was cancelled.", status: 499)
        }
        return APIError(.api, "Could not reach AI Nexus at \(host): \(Self.describe(error))", status: 502)
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// Reads an error answer and maps it to the client-facing error.
    public static func upstreamError(_ response: HTTPClientResponse, body: ByteBuffer?) -> (BedrockError, APIError) {
        let json = body.flatMap { try? JSONValue.parse($0) }
        let bedrock = BedrockError(
            status: Int(response.status.code), errorTypeHeader: response.headers.first(name: "x-amzn-errortype"),
            body: json ?? body.map { .object(["message": .string(String(buffer: $0).prefix(500).description)]) })
        let retryAfter = (response.headers.first(name: "retry-after") ?? response.headers.first(name: "x-amzn-retry-after"))
            .flatMap { Int($0) }
        return (bedrock, ResponseTranslator.error(bedrock, retryAfter: retryAfter))
    }
}

import Translation
