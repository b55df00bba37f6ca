import AnthropicAPI
import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON
import Synchronization

extension APIError {
    /// The one place an error becomes an HTTP answer: Anthropic's JSON error body, the right
    /// status, `request-id`, and `retry-after` for rate limits.
    func httpResponse(requestID: String) -> (head: HTTPResponse, body: ByteBuffer) {
        var buffer = ByteBuffer()
        jsonValue(requestID: requestID).write(into: &buffer)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.requestID] = requestID
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let status = HTTPResponse.Status(code: status, reasonPhrase: kind == .overloaded ? "Overloaded" : "")
        return (HTTPResponse(status: status, headerFields: headers), buffer)
    }

    /// The same answer, as a Hummingbird response.
    func response(requestID: String) -> Response {
        let (head, body) = httpResponse(requestID: requestID)
        return Response(status: head.status, headers: head.headerFields, body: .init(byteBuffer: body))
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



/// A JSON answer with `request-id`.
func jsonAnswer(
    _ value: JSONValue, status: HTTPResponse.Status = .ok, requestID: String, extraHeaders: HTTPFields = [:]
) -> (head: HTTPResponse, body: ByteBuffer) {
    var buffer = ByteBuffer()
    value.write(into: &buffer)
    var headers = extraHeaders
    headers[.contentType] = "application/json"
    headers[.requestID] = requestID
    return (HTTPResponse(status: status, headerFields: headers), buffer)
}

/// The same answer, as a Hummingbird response.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, requestID: String, extraHeaders: HTTPFields = [:]) -> Response {
    let (head, body) = jsonAnswer(value, status: status, requestID: requestID, extraHeaders: extraHeaders)
    return Response(status: head.status, headers: head.headerFields, body: .init(byteBuffer: body))
}
