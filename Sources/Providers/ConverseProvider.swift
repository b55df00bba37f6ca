import AWSEventStream
import AnthropicAPI
import BedrockAPI
import NIOCore
import NIOHTTP1
import NexusJSON
import Synchronization
import Translation
import UpstreamHTTP

/// The `converse` provider: AI Nexus (Bedrock Converse, ConverseStream and CountTokens) with a
/// bearer key. Requests are translated by the pure core (`RequestTranslator`), answers back
/// (`ResponseTranslator`, `StreamTranslator`).
///
/// It remembers, for the life of the process, the betas each model refused (`invalid beta
/// flag`: the call is repaired once without them) and the models AI Nexus cannot count tokens
/// for (estimated from then on).
public final class ConverseProvider: Provider {
    public let spec: UpstreamSpec
    public let endpoint: UpstreamEndpoint
    public var endpointURL: String { endpoint.current }
    public let catalog: ModelCatalog
    let translator: RequestTranslator
    /// How the upstream is named in error messages.
    let displayName: String
    /// Betas AI Nexus refused, per model.
    let rejectedBetas = Mutex<[String: Set<String>]>([:])
    /// Which upstream made each thinking signature relayed (shared by every provider).
    let signatures: SignatureLedger
    /// Models for which AI Nexus answered that it cannot count tokens.
    let noCountTokens = Mutex<Set<String>>([])
    /// The headers of a JSON answer's request and of an event stream's, built once: content
    /// type, accept, and the key. Left out of the provider's mirror, as the key.
    private let jsonHeaders: HTTP1RequestFields
    private let streamHeaders: HTTP1RequestFields

    public var needsResolvedMedia: Bool { true }

    /// - Parameter endpoint: shared with `serve --simulate`, which sets it once the simulator listens.
    public init(
        spec: UpstreamSpec, endpoint: UpstreamEndpoint, catalog: ModelCatalog, translation: TranslationOptions,
        signatures: SignatureLedger = SignatureLedger()
    ) {
        self.spec = spec
        self.signatures = signatures
        self.endpoint = endpoint
        self.catalog = catalog
        self.translator = RequestTranslator(options: translation)
        self.displayName = spec.name == "nexus" ? "AI Nexus" : "AI Nexus (\(spec.name))"
        func headers(accept: String) -> HTTP1RequestFields {
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "accept", value: accept)
            if let key = spec.key {
                switch spec.auth {
                case .bearer: headers.add(name: "authorization", value: "Bearer \(key.value)")
                case .xAPIKey: headers.add(name: "x-api-key", value: key.value)
                }
            }
            return HTTP1RequestFields(headers)
        }
        self.jsonHeaders = headers(accept: "application/json")
        self.streamHeaders = headers(accept: "application/vnd.amazon.eventstream")
    }

    public enum Operation: String, Sendable {
        case converse, converseStream = "converse-stream", countTokens = "count-tokens"
    }

    public func resolve(model configured: String?, clientModel: String) throws(APIError) -> ResolvedModel {
        guard let configured else {
            let profile = try catalog.resolve(clientModel)
            return ResolvedModel(id: profile.nexusID, profile: profile)
        }
        if let profile = catalog.profile(nexusID: configured) { return ResolvedModel(id: configured, profile: profile) }
        // An id the catalog has no profile for: sonnet's abilities, as a model-map entry gets.
        var profile = catalog.profiles.first ?? ModelCatalog.defaultProfiles[0]
        profile.nexusID = configured
        profile.displayName = configured
        return ResolvedModel(id: configured, profile: profile)
    }

    /// The profile a resolved model carries, else the one its id resolves to.
    func profile(of model: ResolvedModel, clientModel: String) throws(APIError) -> ModelProfile {
        if let profile = model.profile { return profile }
        return try resolve(model: model.id, clientModel: clientModel).profile!
    }

    public func prepare(_ request: ClientRequest, model: ResolvedModel) throws(APIError) -> any UpstreamCall {
        let parsed = try request.takeParsed()
        let profile = try self.profile(of: model, clientModel: request.model)
        let call = ConverseCall(
            provider: self, request: parsed, profile: profile, stream: request.stream, betas: request.betas,
            clientBytes: request.body.readableBytes)
        try call.translate()
        return call
    }

    // MARK: The wire

    /// Percent-encodes a model id as one path segment (ARNs carry `/` and `:`). An id of
    /// unreserved characters only (`claude-sonnet-4.6`, the common case) is returned as it is.
    public static func pathSegment(_ id: String) -> String {
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

    /// The HTTP request for one operation: path, key, content type and accept.
    public func request(_ operation: Operation, modelID: String, body: ByteBuffer) throws(APIError) -> HTTP1Request {
        guard let (target, basePath) = endpoint.parsed else {
            throw APIError(.api, "The \(displayName) endpoint \(endpoint.current) is not an http(s) URL.", status: 502)
        }
        return HTTP1Request(
            target: target, path: "\(basePath)/model/\(Self.pathSegment(modelID))/\(operation.rawValue)",
            headers: operation == .converseStream ? streamHeaders : jsonHeaders,
            body: body)
    }

    /// Turns a transport failure into the client-facing error.
    public func transportFailure(_ error: any Error) -> APIError {
        UpstreamErrors.transport(error, upstream: displayName, host: endpoint.host)
    }

    /// Maps an error answer, given its head and (part of) its body.
    public static func upstreamError(
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

    /// The Converse body of a request whose Anthropic body was `clientBytes` long: about as
    /// long, which sizes the buffer. Written without a value tree.
    static func body(_ converse: ConverseRequest, clientBytes: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeJSON(estimatedByteCount: estimatedTranslation(of: clientBytes)) { converse.write(to: &$0) }
        return buffer
    }

    /// Room for a translation of `bytes` bytes of JSON: a little more than as long.
    /// NIO rounds a buffer up to a power of two, which leaves room for most overshoots: a tight
    /// estimate keeps a 1 MB body in a 1 MiB buffer (one eighth more took 2 MiB).
    public static func estimatedTranslation(of bytes: Int) -> Int { bytes + bytes / 32 + 1024 }

    // MARK: Memories

    func refusedBetas(for model: String) -> Set<String> { rejectedBetas.withLock { $0[model] ?? [] } }
    func refuse(_ betas: [String], for model: String) {
        rejectedBetas.withLock { $0[model, default: []].formUnion(betas) }
    }

    // MARK: count_tokens

    public func countTokens(
        _ request: ClientRequest, model: ResolvedModel, pool: HTTP1ConnectionPool, deadline: NIODeadline
    ) async throws(APIError) -> TokenCount {
        var parsed = try request.takeParsed()
        let profile = try self.profile(of: model, clientModel: request.model)
        if parsed.maxTokens == nil { parsed.maxTokens = profile.maxOutputTokens }
        let translated = try translator.translate(parsed, profile: profile, betas: request.betas)
        let estimate = TokenCount(inputTokens: TokenEstimator.estimate(translated.converse), exact: false)
        guard !noCountTokens.withLock({ $0.contains(profile.nexusID) }) else { return estimate }
        var buffer = ByteBuffer()
        buffer.writeJSON(estimatedByteCount: Self.estimatedTranslation(of: request.body.readableBytes)) {
            translated.converse.writeCountTokens(to: &$0)
        }
        let call = try self.request(.countTokens, modelID: profile.nexusID, body: buffer)
        let (response, body) = try await UpstreamErrors.fetchWhole(
            call, pool: pool, deadline: deadline, transport: transportFailure)
        if response.status == .ok, let body, let n = (try? JSONValue.parse(body))?["inputTokens"]?.intValue {
            return TokenCount(inputTokens: n, exact: true)
        }
        let (bedrock, error) = Self.upstreamError(status: response.status, headers: response.headers, body: body)
        let unsupported =
            [403, 404].contains(bedrock.status)
            || (bedrock.status == 400 && bedrock.message.lowercased().contains("count"))
        guard unsupported else { throw error }
        noCountTokens.withLock { _ = $0.insert(profile.nexusID) }
        return TokenCount(inputTokens: estimate.inputTokens, exact: false, unsupportedReason: bedrock.description)
    }
}

extension ConverseProvider: CustomReflectable {
    /// The endpoint and the key, redacted: never the headers that carry the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["endpoint": endpoint.current, "key": spec.key as Any], displayStyle: .class)
    }
}

/// One request translated for one Converse model.
final class ConverseCall: UpstreamCall {
    let provider: ConverseProvider
    let messages: MessagesRequest
    /// The model's profile before refused betas were taken out.
    let profile: ModelProfile
    let stream: Bool
    let betas: [String]
    let clientBytes: Int
    private(set) var translated: TranslatedRequest!
    private(set) var request: HTTP1Request
    private var betaRepaired = false

    init(
        provider: ConverseProvider, request: MessagesRequest, profile: ModelProfile, stream: Bool, betas: [String],
        clientBytes: Int
    ) {
        self.provider = provider
        self.messages = request
        self.profile = profile
        self.stream = stream
        self.betas = betas
        self.clientBytes = clientBytes
        self.request = HTTP1Request(target: HTTP1Target(tls: false, host: "", port: 0), path: "/", body: ByteBuffer())
    }

    /// Translates (without the betas AI Nexus refused for this model) and builds the request.
    func translate() throws(APIError) {
        let refused = provider.refusedBetas(for: profile.nexusID)
        if refused.isEmpty {
            translated = try provider.translator.translate(messages, profile: profile, betas: betas)
        } else {
            var allowed = profile
            allowed.allowedBetas.subtract(refused)
            translated = try provider.translator.translate(messages, profile: allowed, betas: betas)
        }
        request = try provider.request(
            stream ? .converseStream : .converse, modelID: translated.profile.nexusID,
            body: ConverseProvider.body(translated.converse, clientBytes: clientBytes))
    }

    var modelSent: String { translated.profile.nexusID }

    var notes: [String] { translated.notes }

    var debugLines: UpstreamCallLog {
        let converse = translated.converse
        return UpstreamCallLog(
            prepared: LogNote(
                "translated request",
                [
                    "model.sent": translated.profile.nexusID,
                    "betas.forwarded": translated.forwardedBetas.joined(separator: ","),
                    "betas.dropped": translated.droppedBetas.joined(separator: ","),
                    "notes": translated.notes.joined(separator: "; "),
                ]),
            bodyMessage: "converse body", body: { converse.jsonValue.jsonString })
    }

    func answer(
        _ body: ByteBuffer, headers: HTTP1Fields, context: AnswerContext
    ) throws(APIError) -> (
        body: ByteBuffer, usage: Usage?
    ) {
        let converse: ConverseResponse
        do {
            converse = try ConverseResponse(json: try JSONValue.parse(body))
        } catch {
            throw UpstreamErrors.unreadableJSON(
                upstream: provider.displayName, headers: headers, what: "a valid Converse response", error: error)
        }
        let message = try ResponseTranslator.message(
            converse, id: Identifier.make("msg_"), model: context.model, toolNameMap: translated.toolNameMap)
        for block in message.content {
            switch block {
            case .thinking(_, let signature): provider.signatures.record(signature.string, upstream: provider.spec.name)
            case .redactedThinking(let data): provider.signatures.record(data, upstream: provider.spec.name)
            default: break
            }
        }
        var out = ByteBuffer()
        out.writeJSON(estimatedByteCount: ConverseProvider.estimatedTranslation(of: body.readableBytes)) {
            message.write(to: &$0)
        }
        return (out, message.usage)
    }

    func failure(status: HTTPResponseStatus, headers: HTTP1Fields, body: ByteBuffer?) -> APIError {
        ConverseProvider.upstreamError(status: status, headers: headers, body: body).1
    }

    func transportFailure(_ error: any Error) -> APIError { provider.transportFailure(error) }

    func openStream(headers: HTTP1Fields, context: AnswerContext) throws(APIError) -> any AnswerStream {
        // A text page (a proxy's block or login page) is no event stream.
        if let type = headers.first(name: "content-type"), type.lowercased().hasPrefix("text/") {
            throw UpstreamErrors.unreadableAnswer(
                upstream: provider.displayName, contentType: type, expected: "application/vnd.amazon.eventstream")
        }
        return ConverseAnswerStream(
            translator: StreamTranslator(
                messageID: Identifier.make("msg_"), model: context.model, requestID: context.requestID,
                estimatedInputTokens: TokenEstimator.estimate(translated.converse),
                toolNameMap: translated.toolNameMap),
            upstream: provider.displayName, signatures: provider.signatures, upstreamName: provider.spec.name)
    }

    /// `invalid beta flag`: once, without the forwarded betas (those the message names, else
    /// all), which are refused for this model from then on.
    func repair(after error: APIError) -> LogNote? {
        guard !betaRepaired, error.kind == .invalidRequest, error.message.lowercased().contains("invalid beta flag"),
            !translated.forwardedBetas.isEmpty
        else { return nil }
        betaRepaired = true
        let named = translated.forwardedBetas.filter { error.message.contains($0) }
        let offending = named.isEmpty ? translated.forwardedBetas : named
        provider.refuse(offending, for: translated.profile.nexusID)
        let model = translated.profile.nexusID
        do { try translate() } catch { return nil }
        return LogNote(
            "AI Nexus rejected betas; retrying without them and dropping them for this model from now on",
            ["model": model, "betas": offending.joined(separator: ",")])
    }

    var upstreamName: String { provider.displayName }
}

/// A ConverseStream answer: event-stream frames in, Anthropic SSE out.
final class ConverseAnswerStream: AnswerStream {
    private var translator: StreamTranslator
    private var reader = EventStreamFrameReader()
    private var pending: [EventStreamMessage] = []
    private var events: [StreamEvent] = []
    private let upstream: String
    private let signatures: SignatureLedger
    private let upstreamName: String
    private(set) var problem: String?

    init(translator: StreamTranslator, upstream: String, signatures: SignatureLedger, upstreamName: String) {
        self.translator = translator
        self.upstream = upstream
        self.signatures = signatures
        self.upstreamName = upstreamName
        events.reserveCapacity(8)
    }

    var isDone: Bool { translator.isDone }
    var usage: Usage? { translator.finalUsage }

    func open(_ chunk: ByteBuffer) -> StreamOpening {
        reader.append(chunk)
        // Only the first frame now: its events go out before the rest of the chunk is
        // translated (the time to the first event is what users wait on).
        do {
            if let message = try reader.next() { pending.append(message) }
        } catch {
            return .failed(APIError(.api, "\(upstream) sent a corrupt event stream: \(error)", status: 502))
        }
        guard let first = pending.first else { return .needMore }
        if case .failure(let error) = StreamTranslator.classify(first) { return .failed(error) }
        return .ready
    }

    func relayFirst(into out: inout ByteBuffer) {
        for message in pending { translator.receive(message, into: &events) }
        pending.removeAll()
        write(into: &out)
    }

    func relay(_ chunk: ByteBuffer?, into out: inout ByteBuffer) {
        for message in pending { translator.receive(message, into: &events) }
        pending.removeAll()
        if let chunk { reader.append(chunk) }
        do {
            while let message = try reader.next() { translator.receive(message, into: &events) }
        } catch {
            problem = "corrupt frame"
            translator.fail(APIError(.api, "\(upstream) sent a corrupt event stream: \(error)"), into: &events)
        }
        write(into: &out)
    }

    func fail(_ error: APIError, into out: inout ByteBuffer) {
        translator.fail(error, into: &events)
        write(into: &out)
    }

    func end(into out: inout ByteBuffer) {
        if !translator.isDone {
            if reader.bufferedByteCount > 0 {
                problem = "truncated frame"
                translator.fail(
                    APIError(.api, "\(upstream) ended the stream in the middle of an event."), into: &events)
            }
            translator.finish(into: &events)
        }
        write(into: &out)
    }

    private func write(into out: inout ByteBuffer) {
        for event in events {
            switch event {
            case .contentBlockDelta(_, .signature(let signature)): signatures.record(signature, upstream: upstreamName)
            case .contentBlockStart(_, .redactedThinking(let data)): signatures.record(data, upstream: upstreamName)
            default: break
            }
            event.write(into: &out)
        }
        events.removeAll(keepingCapacity: true)
    }
}
