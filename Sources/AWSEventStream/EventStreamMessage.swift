import NIOCore

/// One `application/vnd.amazon.eventstream` message (frame): ordered headers plus an opaque payload.
///
/// Headers keep their wire order and may in principle repeat; the name-based accessors return the first match.
/// A decoded message's ``payload`` is a slice that shares storage with the decoder's input buffer (no copy).
public struct EventStreamMessage: Sendable, Hashable {
    /// The headers, in wire order.
    public var headers: [EventStreamHeader]
    /// The payload bytes (for Bedrock: a JSON document). May be empty.
    public var payload: ByteBuffer

    /// Creates a message.
    ///
    /// - Parameters:
    ///   - headers: The headers, in the order they are to be written.
    ///   - payload: The payload; its readable bytes are the payload.
    public init(headers: [EventStreamHeader] = [], payload: ByteBuffer = ByteBuffer()) {
        self.headers = headers
        self.payload = payload
    }

    /// The value of the first header called `name`, or `nil`.
    ///
    /// Setting a value replaces the first header with that name (keeping its position) or appends a new header;
    /// setting `nil` removes every header with that name.
    public subscript(name: String) -> EventStreamHeaderValue? {
        get {
            for header in self.headers where header.name == name {
                return header.value
            }
            return nil
        }
        set {
            if let newValue {
                if let index = self.headers.firstIndex(where: { $0.name == name }) {
                    self.headers[index].value = newValue
                } else {
                    self.headers.append(EventStreamHeader(name: name, value: newValue))
                }
            } else {
                self.headers.removeAll { $0.name == name }
            }
        }
    }

    /// The string value of the header `name`, or `nil` if it is absent or not a string header.
    public func string(forHeader name: String) -> String? {
        self[name]?.stringValue
    }

    /// The `:message-type` header (`event`, `exception` or `error`) if present as a string.
    public var messageType: String? { self.string(forHeader: EventStreamHeaderName.messageType) }
    /// The `:event-type` header (e.g. `messageStart`, `contentBlockDelta`) if present as a string.
    public var eventType: String? { self.string(forHeader: EventStreamHeaderName.eventType) }
    /// The `:exception-type` header (e.g. `throttlingException`) if present as a string.
    public var exceptionType: String? { self.string(forHeader: EventStreamHeaderName.exceptionType) }
    /// The `:content-type` header (normally `application/json`) if present as a string.
    public var contentType: String? { self.string(forHeader: EventStreamHeaderName.contentType) }
    /// The `:error-code` header of an `error` message if present as a string.
    public var errorCode: String? { self.string(forHeader: EventStreamHeaderName.errorCode) }
    /// The `:error-message` header of an `error` message if present as a string.
    public var errorMessage: String? { self.string(forHeader: EventStreamHeaderName.errorMessage) }

    /// An `event` message exactly as Bedrock sends them: headers `:event-type` = `type`,
    /// `:content-type` = `application/json`, `:message-type` = `event`, in that order.
    ///
    /// - Parameters:
    ///   - type: The event name, e.g. `contentBlockDelta`.
    ///   - payload: The JSON payload.
    public static func event(type: String, payload: ByteBuffer) -> EventStreamMessage {
        EventStreamMessage(
            headers: [
                EventStreamHeader(name: EventStreamHeaderName.eventType, value: .string(type)),
                EventStreamHeader(name: EventStreamHeaderName.contentType, value: .string("application/json")),
                EventStreamHeader(name: EventStreamHeaderName.messageType, value: .string("event")),
            ],
            payload: payload
        )
    }

    /// An `exception` message as Bedrock sends them: headers `:exception-type` = `type`,
    /// `:content-type` = `application/json`, `:message-type` = `exception`, in that order.
    ///
    /// - Parameters:
    ///   - type: The exception name, e.g. `throttlingException` or `modelStreamErrorException`.
    ///   - payload: The JSON payload, typically `{"message":"..."}`.
    public static func exception(type: String, payload: ByteBuffer) -> EventStreamMessage {
        EventStreamMessage(
            headers: [
                EventStreamHeader(name: EventStreamHeaderName.exceptionType, value: .string(type)),
                EventStreamHeader(name: EventStreamHeaderName.contentType, value: .string("application/json")),
                EventStreamHeader(name: EventStreamHeaderName.messageType, value: .string("exception")),
            ],
            payload: payload
        )
    }

    /// An `error` message (an unmodeled service error): headers `:error-code`, `:error-message` and
    /// `:message-type` = `error`, empty payload.
    ///
    /// - Parameters:
    ///   - code: The error code, e.g. `InternalFailure`.
    ///   - message: The human-readable message.
    public static func error(code: String, message: String) -> EventStreamMessage {
        EventStreamMessage(
            headers: [
                EventStreamHeader(name: EventStreamHeaderName.errorCode, value: .string(code)),
                EventStreamHeader(name: EventStreamHeaderName.errorMessage, value: .string(message)),
                EventStreamHeader(name: EventStreamHeaderName.messageType, value: .string("error")),
            ]
        )
    }
}

extension EventStreamMessage: CustomStringConvertible {
    /// A compact rendering for logs: the headers and the payload size (not the payload itself).
    public var description: String {
        let headers = self.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
        return "EventStreamMessage([\(headers)], payload: \(self.payload.readableBytes) bytes)"
    }
}
