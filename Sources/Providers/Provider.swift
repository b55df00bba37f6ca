import AnthropicAPI
import NIOCore
import NIOHTTP1
import NexusJSON
import Translation
import UpstreamHTTP

/// One kind of upstream: how a client's Messages request becomes an HTTP request to it, and how
/// its answer, whole or streamed, becomes the Anthropic answer the gateway sends.
///
/// The exchange driver (`MessagesResponder` in `Gateway`) owns everything that is the same for
/// every upstream: attempts, retries, fallback across a route's targets, the relay with
/// backpressure, pings, timeouts and shutdown. A provider owns the rest, and nothing it does
/// touches a socket: the driver sends `UpstreamCall.request` and feeds the answer back.
///
/// Adding an upstream kind is: a `ProviderKind` case, a type conforming to this protocol (with
/// its `UpstreamCall` and `AnswerStream`), and a line in `ProviderFactory`.
public protocol Provider: AnyObject, Sendable {
    /// The configured upstream (name, kind, endpoint, auth).
    var spec: UpstreamSpec { get }

    /// The endpoint's current URL (for `/health`).
    var endpointURL: String { get }

    /// Whether URL images and documents must be fetched by the gateway before `prepare` (Converse
    /// takes only bytes; the Anthropic API fetches URLs itself).
    var needsResolvedMedia: Bool { get }

    /// The model id (and, for translated upstreams, the capability profile) sent for a client's
    /// model name when a target names `configured` (nil: the target names only the upstream).
    func resolve(model configured: String?, clientModel: String) throws(APIError) -> ResolvedModel

    /// Prepares the request for one target; every attempt on that target sends it.
    func prepare(_ request: ClientRequest, model: ResolvedModel) throws(APIError) -> any UpstreamCall

    /// Counts the input tokens of `request` for `model`: exactly when the upstream can, else an
    /// estimate.
    func countTokens(
        _ request: ClientRequest, model: ResolvedModel, pool: HTTP1ConnectionPool, deadline: NIODeadline
    ) async throws(APIError) -> TokenCount
}

/// A model as one upstream names it.
public struct ResolvedModel: Sendable, Hashable {
    /// The id sent upstream.
    public var id: String
    /// The capability table, for upstreams whose requests are translated (Converse).
    public var profile: ModelProfile?

    public init(id: String, profile: ModelProfile? = nil) {
        self.id = id
        self.profile = profile
    }
}

/// An input-token count and whether the upstream counted it (`exact`) or the gateway estimated it.
public struct TokenCount: Sendable, Hashable {
    public var inputTokens: Int
    public var exact: Bool
    /// Set the first time an upstream said it cannot count tokens for a model (its words, for a
    /// log line); estimates follow from then on.
    public var unsupportedReason: String?

    public init(inputTokens: Int, exact: Bool, unsupportedReason: String? = nil) {
        self.inputTokens = inputTokens
        self.exact = exact
        self.unsupportedReason = unsupportedReason
    }
}

/// A client's request, shared by every attempt and target of its exchange. A class: targets and
/// retries read it without copying the body or the parsed tree.
public final class ClientRequest {
    /// The body as the client sent it.
    public let body: ByteBuffer
    /// The body, parsed (long strings and tool schemas kept as checked literals), as the target
    /// being prepared gets it.
    public private(set) var json: JSONValue
    /// The body as the client sent it, parsed.
    public let original: JSONValue
    /// The model name the client asked for.
    public let model: String
    public let stream: Bool
    /// `anthropic-beta` values, split on commas.
    public let betas: [String]
    /// `anthropic-version`, when the client sent one.
    public let anthropicVersion: String?
    /// Whether `json` still is what the client sent (false once thinking blocks were taken out).
    public private(set) var isOriginal = true
    /// False for count_tokens, whose body has no `max_tokens`.
    public var requireMaxTokens = true
    private var messages: MessagesRequest?

    public init(
        body: ByteBuffer, json: JSONValue, model: String, stream: Bool, betas: [String], anthropicVersion: String?
    ) {
        self.body = body
        self.json = json
        self.original = json
        self.model = model
        self.stream = stream
        self.betas = betas
        self.anthropicVersion = anthropicVersion
    }

    /// Reads `model` and `stream` of a parsed body; a body without a model gets the validation
    /// error the full parse gives.
    public convenience init(
        body: ByteBuffer, json: JSONValue, betas: [String], anthropicVersion: String?
    ) throws(APIError) {
        guard case .object(let object) = json else { throw APIError.invalid("Request body must be a JSON object") }
        guard let model = object["model"]?.stringValue else {
            _ = try MessagesRequest(json: json)
            throw APIError.invalid("model: Field required")
        }
        var stream = false
        if let value = object["stream"] {
            guard case .bool(let flag) = value else {
                throw APIError.invalid("stream: Input should be a valid boolean")
            }
            stream = flag
        }
        self.init(
            body: body, json: json, model: model, stream: stream, betas: betas, anthropicVersion: anthropicVersion)
    }

    /// The validated Messages request, moved out to the caller (the provider that translates
    /// it keeps it): parsed now unless `contains(where:)` or `setParsed` left one, which is taken
    /// without a copy. A pass-through upstream never needs it.
    public func takeParsed() throws(APIError) -> MessagesRequest {
        if let parsed = messages.take() { return parsed }
        return try MessagesRequest(json: json, requireMaxTokens: requireMaxTokens)
    }

    /// Whether a message matches `predicate` (the request is parsed, and kept for `takeParsed`).
    public func containsMessage(where predicate: (Message) -> Bool) throws(APIError) -> Bool {
        if messages == nil { messages = try MessagesRequest(json: json, requireMaxTokens: requireMaxTokens) }
        return messages!.messages.contains(where: predicate)
    }

    /// Replaces the parsed request (with URL media fetched).
    public func setParsed(_ request: MessagesRequest) { messages = request }

    /// Makes `json` the request target `index` of `route` gets: signed thinking is bound to the
    /// upstream that made it, so on a route over several upstreams the blocks another upstream
    /// signed go (`ledger` knows who signed what the gateway relayed; an unknown signature counts
    /// as the route's first upstream's), and all of them when `refusedAll` (the target refused
    /// one). Returns what was taken out.
    public func useThinking(
        for index: Int, of route: Route, ledger: SignatureLedger, refusedAll: Bool
    ) -> ThinkingScrubber.Report? {
        guard route.spansUpstreams || refusedAll else { return nil }
        let upstream = route.targets[index].upstream
        let primary = route.targets[0].upstream
        return useThinking { block in
            guard !refusedAll else { return true }
            guard let signature = SignatureLedger.signature(of: block) else { return false }
            return (ledger.origin(of: signature) ?? primary) != upstream
        }
    }

    /// Makes `json` the client's body without the thinking blocks `remove` picks (see
    /// `ThinkingScrubber`), for the next target prepared; the client's body as it came when it
    /// picks none. Returns what was taken out, nil when nothing was.
    public func useThinking(removing remove: (JSONValue) -> Bool) -> ThinkingScrubber.Report? {
        guard let (scrubbed, report) = ThinkingScrubber.scrub(original, removing: remove) else {
            if !isOriginal {
                json = original
                isOriginal = true
                messages = nil
            }
            return nil
        }
        json = scrubbed
        isOriginal = false
        messages = nil
        return report
    }
}

/// What the driver knows of the answer it is building, for the provider's decoders.
public struct AnswerContext: Sendable {
    /// The model name the client asked for: answers carry it, whatever the upstream calls it.
    public var model: String
    public var requestID: String

    public init(model: String, requestID: String) {
        self.model = model
        self.requestID = requestID
    }
}

/// One request prepared for one target. Made once per target; each attempt sends `request`.
/// Used on the exchange's event loop only.
public protocol UpstreamCall: AnyObject {
    /// The HTTP request to send.
    var request: HTTP1Request { get }
    /// The model id sent (for logs).
    var modelSent: String { get }
    /// Notes on what preparing changed (betas dropped, fields converted…).
    var notes: [String] { get }
    /// The request's debug log lines: what was prepared, and the body sent (`--log-bodies`).
    var debugLines: UpstreamCallLog { get }

    /// Turns a whole 200 answer into the client's JSON body and its usage.
    func answer(
        _ body: ByteBuffer, headers: HTTP1Fields, context: AnswerContext
    ) throws(APIError) -> (
        body: ByteBuffer, usage: Usage?
    )

    /// Maps an error answer (its body when it was read whole, else nil) to the client-facing error.
    func failure(status: HTTPResponseStatus, headers: HTTP1Fields, body: ByteBuffer?) -> APIError

    /// Maps a transport failure (connect, deadline, reset) to the client-facing error.
    func transportFailure(_ error: any Error) -> APIError

    /// Starts reading a 200 stream whose head had `headers`; throws when the head shows it is no
    /// stream of this upstream's kind (a proxy's HTML page).
    func openStream(headers: HTTP1Fields, context: AnswerContext) throws(APIError) -> any AnswerStream

    /// After `error` ended an attempt before the first byte: changes the request when a changed
    /// one is worth sending at once (a refused beta taken out), and says what it did (for a
    /// warning in the log); nil when it did nothing.
    func repair(after error: APIError) -> LogNote?

    /// How the upstream is named in messages (`AI Nexus`, `upstream 'backup'`).
    var upstreamName: String { get }
}

/// A log line a provider asks for: its message and fields.
public struct LogNote: Sendable, Hashable {
    public var message: String
    public var fields: [String: String]

    public init(_ message: String, _ fields: [String: String] = [:]) {
        self.message = message
        self.fields = fields
    }
}

/// What the debug log says of a prepared request.
public struct UpstreamCallLog: Sendable {
    /// The line about the request (`translated request`), with its fields.
    public var prepared: LogNote
    /// The message of the body's line (`converse body`) and the body, written when asked for.
    public var bodyMessage: String
    public var body: @Sendable () -> String

    public init(prepared: LogNote, bodyMessage: String, body: @escaping @Sendable () -> String) {
        self.prepared = prepared
        self.bodyMessage = bodyMessage
        self.body = body
    }
}

/// The answer of a streamed call, translated into Anthropic SSE bytes as it arrives.
public protocol AnswerStream: AnyObject {
    /// Before anything went to the client: reads `chunk` until the first event shows whether
    /// the stream started (`ready`) or failed (`failed`, still retryable).
    func open(_ chunk: ByteBuffer) -> StreamOpening
    /// Right after `open` answered `ready`: appends the SSE bytes of the first event(s) only, so
    /// that they leave before the rest of the chunk is translated.
    func relayFirst(into out: inout ByteBuffer)
    /// Appends the SSE bytes of everything received so far, and of `chunk`, to `out`.
    func relay(_ chunk: ByteBuffer?, into out: inout ByteBuffer)
    /// Ends the stream with an `error` event (unless it already ended).
    func fail(_ error: APIError, into out: inout ByteBuffer)
    /// The upstream body ended: ends the stream, with an error event when it was incomplete.
    func end(into out: inout ByteBuffer)
    /// True once the stream ended, cleanly or with an error.
    var isDone: Bool { get }
    /// The usage, once known.
    var usage: Usage? { get }
    /// What went wrong in the upstream's bytes (`corrupt frame`, `truncated frame`, `upstream
    /// error`), nil while nothing did.
    var problem: String? { get }
}

/// What the first bytes of a stream showed.
public enum StreamOpening {
    /// Not enough bytes yet.
    case needMore
    /// The first event is an error: the attempt failed before the first byte.
    case failed(APIError)
    /// The stream started: `relay` writes its events.
    case ready
}

/// Errors every provider names the same way.
public enum UpstreamErrors {
    /// The error for a 200 that is not what the call answers, naming its content type (a proxy's
    /// HTML page, say).
    public static func unreadableAnswer(upstream: String, contentType type: String, expected: String) -> APIError {
        let shown = type.count > 100 ? String(type.prefix(100)) + "…" : type
        return APIError(
            .api,
            "\(upstream) answered with content-type \(shown) instead of \(expected); is a proxy or login page in the way?",
            status: 502)
    }

    /// A 200 whose body could not be read as `what`: a proxy's page when its content type is not
    /// JSON, else a broken answer (502 either way).
    public static func unreadableJSON(
        upstream: String, headers: HTTP1Fields, what: String, error: any Error
    ) -> APIError {
        if let contentType = headers.first(name: "content-type"), !contentType.lowercased().contains("json") {
            return unreadableAnswer(upstream: upstream, contentType: contentType, expected: "application/json")
        }
        return APIError(.api, "\(upstream) sent an answer that is not \(what): \(error)", status: 502)
    }

    /// A transport failure of a call to `upstream` at `host`: 504 on a deadline, 502 otherwise,
    /// 499 when cancelled. Names the upstream and host, never a key.
    public static func transport(_ error: any Error, upstream: String, host: String) -> APIError {
        switch error {
        case HTTP1ClientError.deadlineExceeded:
            return APIError(.timeout, "\(upstream) (\(host)) did not answer in time.", status: 504)
        case HTTP1ClientError.connectTimeout:
            return APIError(.api, "Could not connect to \(upstream) at \(host): connection timed out.", status: 502)
        case HTTP1ClientError.cancelled, is CancellationError:
            return APIError(.api, "The upstream request was cancelled.", status: 499)
        default:
            return APIError(.api, "Could not reach \(upstream) at \(host): \(describe(error))", status: 502)
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    /// Sends `request` and reads its whole answer (up to 1 MiB; nil when larger): what
    /// count_tokens calls need. Transport failures are mapped by `transport`.
    public static func fetchWhole(
        _ request: HTTP1Request, pool: HTTP1ConnectionPool, deadline: NIODeadline,
        transport: (any Error) -> APIError
    ) async throws(APIError) -> (HTTP1Response, ByteBuffer?) {
        do {
            let response = try await pool.execute(request, deadline: deadline)
            return (response, try await response.body.collect(upTo: 1024 * 1024))
        } catch {
            throw transport(error)
        }
    }

    /// The host part of a URL, for messages.
    public static func host(of url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        return String(url[schemeEnd.upperBound...].prefix { $0 != "/" })
    }
}
