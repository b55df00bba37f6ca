import AnthropicAPI
import NIOCore
import NIOHTTP1
import NexusJSON
import Synchronization
import Translation
import UpstreamHTTP

/// The `anthropic` provider: any Anthropic-compatible Messages endpoint (the Anthropic API,
/// company gateways). A proxy with one field rewritten: the body goes out as the client sent it
/// but for the model id (as it came, byte for byte, when the id is the same); `anthropic-version`
/// and `anthropic-beta` are forwarded; the answer comes back with the client's model name, SSE
/// relayed event by event as it arrives.
public final class AnthropicProvider: Provider {
    public let spec: UpstreamSpec
    public let endpoint: UpstreamEndpoint
    public var endpointURL: String { endpoint.current }
    let displayName: String
    /// Request fields by `anthropic-version` and `anthropic-beta`: Claude Code sends the same
    /// ones on every request, so they are encoded once. Bounded.
    private let fieldsCache = Mutex<[String: HTTP1RequestFields]>([:])

    public var needsResolvedMedia: Bool { false }

    /// The version sent when the client sent none.
    public static let defaultVersion = "2023-06-01"

    /// Which upstream made each thinking signature relayed (shared by every provider).
    let signatures: SignatureLedger

    public init(spec: UpstreamSpec, endpoint: UpstreamEndpoint, signatures: SignatureLedger = SignatureLedger()) {
        self.spec = spec
        self.signatures = signatures
        self.endpoint = endpoint
        self.displayName = "upstream '\(spec.name)'"
    }

    public func resolve(model configured: String?, clientModel: String) throws(APIError) -> ResolvedModel {
        ResolvedModel(id: configured ?? clientModel)
    }

    public func prepare(_ request: ClientRequest, model: ResolvedModel) throws(APIError) -> any UpstreamCall {
        AnthropicCall(
            provider: self,
            request: try httpRequest(path: "/v1/messages", body: body(of: request, model: model.id), request: request),
            modelSent: model.id)
    }

    /// The client's body with `model` set to `id` and the fields this upstream refuses taken
    /// out: the received bytes when nothing changes.
    func body(of request: ClientRequest, model id: String) -> ByteBuffer {
        let drops = !spec.dropFields.isEmpty && spec.dropFields.contains { request.json[$0] != nil }
        if request.isOriginal, id == request.model, !drops { return request.body }
        guard case .object(var object) = request.json else { return request.body }
        for field in spec.dropFields { object[field] = nil }
        object["model"] = .string(JSONString(id))
        var out = ByteBuffer()
        JSONValue.object(object).write(into: &out, estimatedByteCount: request.body.readableBytes + 64)
        return out
    }

    /// Drops what count_tokens refuses (`stream`, `max_tokens` are Messages-only fields).
    func countTokensBody(of request: ClientRequest, model id: String) -> ByteBuffer {
        guard case .object(var object) = request.json else { return request.body }
        guard object["stream"] != nil || object["max_tokens"] != nil || id != request.model || !request.isOriginal
        else { return request.body }
        object["model"] = .string(JSONString(id))
        object["stream"] = nil
        object["max_tokens"] = nil
        var out = ByteBuffer()
        JSONValue.object(object).write(into: &out, estimatedByteCount: request.body.readableBytes + 64)
        return out
    }

    func httpRequest(path: String, body: ByteBuffer, request: ClientRequest) throws(APIError) -> HTTP1Request {
        guard let (target, basePath) = endpoint.parsed else {
            throw APIError(.api, "The \(displayName) endpoint \(endpoint.current) is not an http(s) URL.", status: 502)
        }
        return HTTP1Request(
            target: target, path: Self.trimmedBase(basePath) + path,
            headers: fields(
                version: request.anthropicVersion ?? Self.defaultVersion,
                betas: spec.dropBetas.isEmpty ? request.betas : request.betas.filter { !spec.dropBetas.contains($0) }),
            body: body)
    }

    /// A base path that already ends in `/v1` or `/v1/messages` (a URL copied from a gateway's
    /// documentation) is taken as the API's root.
    static func trimmedBase(_ path: String) -> String {
        var base = path
        while base.hasSuffix("/") { base.removeLast() }
        for suffix in ["/v1/messages", "/v1"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
            break
        }
        return base
    }

    private func fields(version: String, betas: [String]) -> HTTP1RequestFields {
        let beta = betas.joined(separator: ",")
        let cacheKey = version + "\n" + beta
        if let cached = fieldsCache.withLock({ $0[cacheKey] }) { return cached }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "anthropic-version", value: version)
        if !beta.isEmpty { headers.add(name: "anthropic-beta", value: beta) }
        if let key = spec.key {
            switch spec.auth {
            case .xAPIKey: headers.add(name: "x-api-key", value: key.value)
            case .bearer: headers.add(name: "authorization", value: "Bearer \(key.value)")
            }
        }
        let fields = HTTP1RequestFields(headers)
        fieldsCache.withLock {
            if $0.count >= 64 { $0.removeAll() }
            $0[cacheKey] = fields
        }
        return fields
    }

    func transportFailure(_ error: any Error) -> APIError {
        UpstreamErrors.transport(error, upstream: displayName, host: endpoint.host)
    }

    /// An Anthropic error answer as the client-facing error: its type, message, status and
    /// `retry-after`. A body that is no Anthropic error gets the type its status means.
    func failure(status: HTTPResponseStatus, headers: HTTP1Fields, body: ByteBuffer?) -> APIError {
        let code = Int(status.code)
        let retryAfter = headers.first(name: "retry-after").flatMap { Int($0) }
        let json = body.flatMap { try? JSONValue.parse($0) }
        if let error = json?["error"], let type = error["type"]?.stringValue, let kind = APIError.Kind(rawValue: type) {
            var message = error["message"]?.stringValue ?? type
            if kind == .authentication || kind == .permission {
                message = "\(displayName) refused the gateway's key: \(message)"
            }
            return APIError(kind, message, status: code, retryAfter: retryAfter)
        }
        let kind: APIError.Kind =
            switch code {
            case 400: .invalidRequest
            case 401: .authentication
            case 403: .permission
            case 404: .notFound
            case 413: .requestTooLarge
            case 429: .rateLimit
            case 504: .timeout
            case 529: .overloaded
            default: .api
            }
        if let contentType = headers.first(name: "content-type"), !contentType.lowercased().contains("json"),
            code < 500
        {
            return UpstreamErrors.unreadableAnswer(
                upstream: displayName, contentType: contentType, expected: "application/json")
        }
        let text = body.map { String(buffer: $0).prefix(300) }.map(String.init) ?? ""
        return APIError(
            kind, "\(displayName) answered \(code)\(text.isEmpty ? "" : ": \(text)")", status: code,
            retryAfter: retryAfter)
    }

    public func countTokens(
        _ request: ClientRequest, model: ResolvedModel, pool: HTTP1ConnectionPool, deadline: NIODeadline
    ) async throws(APIError) -> TokenCount {
        let call = try httpRequest(
            path: "/v1/messages/count_tokens", body: countTokensBody(of: request, model: model.id), request: request)
        let (response, body) = try await UpstreamErrors.fetchWhole(
            call, pool: pool, deadline: deadline, transport: transportFailure)
        if response.status == .ok, let body, let n = (try? JSONValue.parse(body))?["input_tokens"]?.intValue {
            return TokenCount(inputTokens: n, exact: true)
        }
        if response.status == .notFound || response.status == .methodNotAllowed {
            // No count_tokens here: the gateway's estimate, about 3.6 bytes of JSON per token.
            return TokenCount(
                inputTokens: max(1, request.body.readableBytes * 10 / 36), exact: false,
                unsupportedReason: "\(displayName) answered \(response.status.code) to count_tokens")
        }
        throw failure(status: response.status, headers: response.headers, body: body)
    }
}

extension AnthropicProvider: CustomReflectable {
    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint.current, "key": spec.key as Any], displayStyle: .class)
    }
}

/// A Messages usage object (`usage` of a message or of `message_delta`), over `base`.
func anthropicUsage(_ json: JSONValue?, over base: Usage? = nil) -> Usage? {
    guard let json, case .object = json else { return base }
    var usage = base ?? Usage()
    if let n = json["input_tokens"]?.intValue { usage.inputTokens = n }
    if let n = json["output_tokens"]?.intValue { usage.outputTokens = n }
    if let n = json["cache_creation_input_tokens"]?.intValue { usage.cacheCreationInputTokens = n }
    if let n = json["cache_read_input_tokens"]?.intValue { usage.cacheReadInputTokens = n }
    return usage
}

/// One request for an Anthropic-compatible upstream.
final class AnthropicCall: UpstreamCall {
    let provider: AnthropicProvider
    let request: HTTP1Request
    let modelSent: String
    var notes: [String] { [] }

    init(provider: AnthropicProvider, request: HTTP1Request, modelSent: String) {
        self.provider = provider
        self.request = request
        self.modelSent = modelSent
    }

    /// The answer as it came, but for `model`, which becomes the client's name when it differs.
    func answer(
        _ body: ByteBuffer, headers: HTTP1Fields, context: AnswerContext
    ) throws(APIError) -> (
        body: ByteBuffer, usage: Usage?
    ) {
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch {
            throw UpstreamErrors.unreadableJSON(
                upstream: provider.displayName, headers: headers, what: "valid JSON", error: error)
        }
        guard case .object(var message) = json, message["type"]?.stringValue == "message" else {
            throw APIError(.api, "\(provider.displayName) sent an answer that is not a Messages response.", status: 502)
        }
        let usage = anthropicUsage(message["usage"])
        if let content = message["content"]?.arrayValue {
            provider.signatures.recordBlocks(content, upstream: provider.spec.name)
        }
        guard message["model"]?.stringValue != context.model else { return (body, usage) }
        message["model"] = .string(JSONString(context.model))
        var out = ByteBuffer()
        JSONValue.object(message).write(into: &out, estimatedByteCount: body.readableBytes + 64)
        return (out, usage)
    }

    func failure(status: HTTPResponseStatus, headers: HTTP1Fields, body: ByteBuffer?) -> APIError {
        provider.failure(status: status, headers: headers, body: body)
    }

    func transportFailure(_ error: any Error) -> APIError { provider.transportFailure(error) }

    func openStream(headers: HTTP1Fields, context: AnswerContext) throws(APIError) -> any AnswerStream {
        if let type = headers.first(name: "content-type"), !type.lowercased().hasPrefix("text/event-stream") {
            throw UpstreamErrors.unreadableAnswer(
                upstream: provider.displayName, contentType: type, expected: "text/event-stream")
        }
        return AnthropicAnswerStream(
            model: context.model, upstream: provider.displayName, requestID: context.requestID,
            signatures: provider.signatures, upstreamName: provider.spec.name)
    }

    func repair(after error: APIError) -> LogNote? { nil }

    var debugLines: UpstreamCallLog {
        let body = request.body
        return UpstreamCallLog(
            prepared: LogNote("prepared request", ["model.sent": modelSent]), bodyMessage: "upstream body",
            body: { String(buffer: body) })
    }

    var upstreamName: String { provider.displayName }
}

/// An Anthropic SSE answer relayed event by event: `message_start` gets the client's model name,
/// every other event goes out as it came; usage is read from `message_start` and `message_delta`.
final class AnthropicAnswerStream: AnswerStream {
    private var reader = SSEEventReader()
    private var pending: [SSEEventReader.Event] = []
    private let model: String
    private let upstream: String
    private let requestID: String
    private let signatures: SignatureLedger
    private let upstreamName: String
    private(set) var usage: Usage?
    private(set) var isDone = false
    private(set) var problem: String?
    /// Whether the block being streamed is a thinking block (whose end carries a signature).
    private var inThinkingBlock = false

    init(model: String, upstream: String, requestID: String, signatures: SignatureLedger, upstreamName: String) {
        self.model = model
        self.upstream = upstream
        self.requestID = requestID
        self.signatures = signatures
        self.upstreamName = upstreamName
    }

    func open(_ chunk: ByteBuffer) -> StreamOpening {
        reader.append(chunk)
        do {
            guard let first = try reader.next() else { return .needMore }
            if first.kind == .error { return .failed(Self.error(first.data, upstream: upstream)) }
            pending.append(first)
            return .ready
        } catch {
            return .failed(APIError(.api, "\(upstream) sent a broken event stream: \(error)", status: 502))
        }
    }

    func relayFirst(into out: inout ByteBuffer) {
        for event in pending { write(event, into: &out) }
        pending.removeAll()
    }

    func relay(_ chunk: ByteBuffer?, into out: inout ByteBuffer) {
        for event in pending { write(event, into: &out) }
        pending.removeAll()
        if let chunk { reader.append(chunk) }
        do {
            while !isDone, let event = try reader.next() { write(event, into: &out) }
        } catch {
            problem = "corrupt event"
            fail(APIError(.api, "\(upstream) sent a broken event stream: \(error)"), into: &out)
        }
    }

    /// Writes one event as it came, but for `message_start` when its model is not the client's
    /// name. Only the events that carry what the gateway records are parsed: `message_start` and
    /// `message_delta` (usage), and the few that carry a signature.
    private func write(_ event: SSEEventReader.Event, into out: inout ByteBuffer) {
        guard !isDone else { return }
        switch event.kind {
        case .contentBlockDelta:
            // Signatures come only inside thinking blocks: text deltas are not searched.
            if inThinkingBlock, Self.contains(event.raw, "signature_delta"),
                let signature = (try? JSONValue.parse(event.data))?["delta"]?["signature"]?.stringValue
            {
                signatures.record(signature, upstream: upstreamName)
            }
        case .messageStart:
            if case .object(var start)? = try? JSONValue.parse(event.data), case .object(var message)? = start["message"] {
                usage = anthropicUsage(message["usage"])
                if message["model"]?.stringValue != model {
                    message["model"] = .string(JSONString(model))
                    start["message"] = .object(message)
                    out.writeStaticString("event: message_start\ndata: ")
                    JSONValue.object(start).write(into: &out)
                    out.writeStaticString("\n\n")
                    return
                }
            }
        case .messageDelta:
            usage = anthropicUsage((try? JSONValue.parse(event.data))?["usage"], over: usage)
        case .contentBlockStart:
            inThinkingBlock = Self.contains(event.raw, "\"thinking\"")
            if Self.contains(event.raw, "redacted_thinking"),
                let block = (try? JSONValue.parse(event.data))?["content_block"],
                let signature = SignatureLedger.signature(of: block)
            {
                signatures.record(signature, upstream: upstreamName)
            }
        case .contentBlockStop:
            inThinkingBlock = false
        case .messageStop, .error:
            isDone = true
        default:
            break
        }
        out.writeImmutableBuffer(event.raw)
    }

    func fail(_ error: APIError, into out: inout ByteBuffer) {
        guard !isDone else { return }
        isDone = true
        StreamEvent.error(error, requestID: requestID).write(into: &out)
    }

    func end(into out: inout ByteBuffer) {
        guard !isDone else { return }
        if reader.bufferedByteCount > 0 { problem = "truncated event" }
        fail(APIError(.api, "\(upstream) ended the stream before the message was complete."), into: &out)
    }

    /// Whether `data` holds `needle` (ASCII): read before parsing an event only few need parsed.
    static func contains(_ data: ByteBuffer, _ needle: StaticString) -> Bool {
        data.withUnsafeReadableBytes { bytes in
            let n = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
            guard bytes.count >= n.count, let first = n.first else { return false }
            var i = 0
            while i <= bytes.count - n.count {
                if bytes[i] == first {
                    var k = 1
                    while k < n.count, bytes[i + k] == n[k] { k += 1 }
                    if k == n.count { return true }
                }
                i += 1
            }
            return false
        }
    }

    /// The error an `error` event carries.
    static func error(_ data: ByteBuffer, upstream: String) -> APIError {
        let json = try? JSONValue.parse(data)
        let type = json?["error"]?["type"]?.stringValue ?? "api_error"
        let kind = APIError.Kind(rawValue: type) ?? .api
        return APIError(kind, json?["error"]?["message"]?.stringValue ?? "\(upstream) sent an error event")
    }
}
