import NIOCore
import NIOPosix

/// Why an upstream exchange failed before its answer was complete. The descriptions name what
/// happened and never a header, so they can be shown to users as they are.
public enum HTTP1ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection (or the proxy's) was not established within the connect timeout.
    case connectTimeout
    /// The connection could not be established: refused, unreachable, unknown host…
    case connectFailed(String)
    /// The established connection failed (reset, TLS handshake or certificate error…).
    case transport(String)
    /// The proxy refused to open a tunnel (its status line).
    case proxyRefused(String)
    /// The answer's head did not arrive, or its body did not end, before the deadline.
    case deadlineExceeded
    /// The peer closed the connection before the answer ended.
    case connectionClosed
    /// The answer is not HTTP/1.1 as `HTTP1ResponseParser` reads it (what is wrong, never a
    /// header's value).
    case malformedResponse(String)
    /// The answer's body is larger than the reader accepts.
    case bodyTooLarge(limit: Int)
    /// The reader gave up (task cancelled, body dropped) before the answer ended.
    case cancelled
    /// The pool was shut down.
    case shutdown

    public var description: String {
        switch self {
        case .connectTimeout: "connection timed out"
        case .connectFailed(let reason): reason
        case .transport(let reason): reason
        case .proxyRefused(let status): "the proxy refused the tunnel (\(status))"
        case .deadlineExceeded: "no answer before the deadline"
        case .connectionClosed: "the connection closed before the answer ended"
        case .malformedResponse(let what): "the answer is not valid HTTP/1.1 (\(what))"
        case .bodyTooLarge(let limit): "the answer is larger than \(limit) bytes"
        case .cancelled: "cancelled"
        case .shutdown: "the client is shut down"
        }
    }

    /// What a reader is told about an error on an established connection or while setting it
    /// up (a TLS failure, a reset…). A reset or broken pipe is the peer closing the connection
    /// (`.connectionClosed`): on a kept-alive connection before any byte of the answer, the
    /// request is retried once.
    init(_ error: any Error) {
        if let error = error as? HTTP1ClientError {
            self = error
        } else if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            self = .connectionClosed
        } else {
            self = .transport(String(describing: error))
        }
    }

    /// Turns what `ClientBootstrap.connect` throws into a short reason.
    static func connecting(_ error: any Error) -> HTTP1ClientError {
        if case ChannelError.connectTimeout = error { return .connectTimeout }
        if let error = error as? NIOConnectionError {
            if let first = error.connectionErrors.first {
                if case ChannelError.connectTimeout = first.error { return .connectTimeout }
                return .connectFailed("connection to \(error.host):\(error.port) failed: \(reason(first.error))")
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return .connectFailed("cannot resolve host \(error.host)")
            }
            return .connectFailed("cannot connect to \(error.host):\(error.port)")
        }
        return .connectFailed(reason(error))
    }

    private static func reason(_ error: any Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENETUNREACH, EHOSTUNREACH: return "host unreachable"
            case ETIMEDOUT: return "connection timed out"
            default: return io.description
            }
        }
        return String(describing: error)
    }
}
