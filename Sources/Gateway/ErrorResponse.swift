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

/// Random ids in Anthropic's style (`msg_01…`, `req_01…`): a prefix and 24 base-62 characters.
///
/// Ids must be unique, not secret: they come from a SplitMix64 sequence seeded once from the
/// system's generator, so making one costs no system call. An id takes its four steps of the
/// sequence with one atomic add (no lock, which two event loops would contend for).
enum Identifier {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    private static let state = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    /// The SplitMix64 output for the sequence's `state`.
    private static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `prefix`, `01`, then 22 base-62 characters, written straight into the string (one allocation).
    static func make(_ prefix: StaticString) -> String {
        let head = UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount)
        return String(unsafeUninitializedCapacity: head.count + 24) { out in
            var position = 0
            for byte in head {
                out[position] = byte
                position += 1
            }
            out[position] = UInt8(ascii: "0")
            out[position + 1] = UInt8(ascii: "1")
            position += 2
            var remaining = 22
            // 22 characters take four words of six: the sequence's next four states.
            var step = state.wrappingAdd(4 &* gamma, ordering: .relaxed).oldValue
            alphabet.withUnsafeBufferPointer { alphabet in
                while remaining > 0 {
                    step &+= gamma
                    var word = mix(step)
                    for _ in 0..<min(remaining, 6) {
                        out[position] = alphabet[Int(word % 62)]
                        position += 1
                        word /= 62
                        remaining -= 1
                    }
                }
            }
            return position
        }
    }
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
