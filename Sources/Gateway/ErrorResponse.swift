import AnthropicAPI
import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON

extension APIError {
    /// The one place an error becomes an HTTP response: Anthropic's JSON error body, the right
    /// status, `request-id`, and `retry-after` for rate limits.
    func response(requestID: String) -> Response {
        var buffer = ByteBuffer()
        jsonValue(requestID: requestID).write(into: &buffer)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.requestID] = requestID
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let status = HTTPResponse.Status(code: status, reasonPhrase: kind == .overloaded ? "Overloaded" : "")
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}

extension HTTPField.Name {
    static let requestID = Self("request-id")!
    static let xAPIKey = Self("x-api-key")!
    static let anthropicBeta = Self("anthropic-beta")!
    static let amznErrorType = Self("x-amzn-ErrorType")!
    static let amznRetryAfter = Self("x-amzn-retry-after")!
    static let tokenCountSource = Self("x-nexus-token-count")!
    /// How many times the upstream call was retried for this answer.
    static let nexusRetries = Self("x-nexus-retries")!
}

/// Random ids in Anthropic's style (`msg_01…`, `req_01…`): a prefix and 24 base-62 characters.
enum Identifier {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    static func make(_ prefix: String) -> String {
        // Four 64-bit draws give 22 characters of 5.95 bits each (a draw per character would be
        // a getrandom(2) call per character).
        var rng = SystemRandomNumberGenerator()
        var bytes = Array(prefix.utf8)
        bytes.reserveCapacity(bytes.count + 24)
        bytes.append(contentsOf: "01".utf8)
        var remaining = 22
        while remaining > 0 {
            var word = rng.next()
            for _ in 0..<min(remaining, 6) {
                bytes.append(alphabet[Int(word % 62)])
                word /= 62
                remaining -= 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// JSON response helper.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, requestID: String, extraHeaders: HTTPFields = [:]) -> Response {
    var buffer = ByteBuffer()
    value.write(into: &buffer)
    var headers = extraHeaders
    headers[.contentType] = "application/json"
    headers[.requestID] = requestID
    return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
}
