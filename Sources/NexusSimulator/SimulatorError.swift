import AWSEventStream
import BedrockAPI
import HTTPTypes
import Hummingbird
import NexusJSON

/// An error answer of the simulator, shaped like Bedrock's: an HTTP status, the
/// `x-amzn-ErrorType` header and a `{"message": …}` body (or, inside a stream, an exception frame).
struct SimulatorError: Error, Sendable, Hashable {
    /// The exception name, e.g. `ThrottlingException`.
    var name: String
    var message: String
    var status: Int
    /// `message`, or `Message` for the authentication failures AI Nexus answers.
    var messageKey: String = "message"

    init(name: String, message: String, status: Int? = nil, messageKey: String = "message") {
        self.name = name
        self.message = message
        self.status = status ?? BedrockError.status(forName: name)
        self.messageKey = messageKey
    }

    static func validation(_ message: String) -> SimulatorError {
        SimulatorError(name: "ValidationException", message: message)
    }

    /// `Malformed input request: <detail>, please reformat your input and try again.`
    static func malformed(_ detail: String) -> SimulatorError {
        validation("Malformed input request: \(detail), please reformat your input and try again.")
    }

    static func authentication(_ reason: String) -> SimulatorError {
        SimulatorError(
            name: "AccessDeniedException", message: "Authentication failed: \(reason)", messageKey: "Message")
    }

    static func unknownModel(_ model: String) -> SimulatorError {
        SimulatorError(
            name: "ResourceNotFoundException",
            message: "Could not resolve the foundation model from the provided model identifier.")
    }

    static let throttling = SimulatorError(
        name: "ThrottlingException", message: "Too many requests, please wait before trying again.")

    static let inputTooLong = SimulatorError.validation("Input is too long for requested model.")

    /// The value of `x-amzn-ErrorType`.
    var errorTypeHeader: String { "\(name):http://internal.amazon.com/coral/com.amazon.bedrock/" }

    /// The JSON body.
    var body: JSONValue { .object(JSONObject([(key: messageKey, value: .string(message))])) }

    /// The HTTP response Bedrock would send.
    func response() -> Response {
        var buffer = ByteBuffer()
        body.write(into: &buffer)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name.amznErrorType] = errorTypeHeader
        headers[HTTPField.Name.amznRequestId] = RandomText.requestID()
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    /// `ThrottlingException` → `throttlingException`, the `:exception-type` of a stream exception.
    var streamExceptionType: String {
        guard let first = name.first else { return name }
        return first.lowercased() + name.dropFirst()
    }

    /// The event-stream frame of this error raised inside a ConverseStream response.
    func exceptionFrame() -> EventStreamMessage {
        var payload = ByteBuffer()
        var object = JSONObject()
        object.append("message", .string(message))
        if name == "ModelStreamErrorException" {
            object.append("originalStatusCode", .int(500))
            object.append("originalMessage", .string(message))
        }
        JSONValue.object(object).write(into: &payload)
        return EventStreamMessage.exception(type: streamExceptionType, payload: payload)
    }
}

extension HTTPField.Name {
    // Both names are valid tokens, so the initializer never fails; the fallbacks keep it trap-free.
    static let amznErrorType = HTTPField.Name("x-amzn-ErrorType") ?? .contentType
    static let amznRequestId = HTTPField.Name("x-amzn-RequestId") ?? .contentType
}
