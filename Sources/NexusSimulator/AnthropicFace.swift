import HTTPTypes
import Hummingbird
import NIOCore
import NexusJSON

/// The Anthropic Messages API face of the simulator: `POST /v1/messages`,
/// `POST /v1/messages/count_tokens` and `GET /v1/models`, as strict as the real API, answering
/// the same `sim:` scenarios as the Converse face (docs/simulator.md, "The Anthropic face").
extension SimulatorService {
    /// Which Anthropic endpoint is being served.
    enum AnthropicOperation: String, Sendable {
        case messages = "Messages"
        case countTokens = "CountTokens"
        case models = "Models"
        /// `GET /v1/models/{id}`.
        case model = "Model"
    }

    /// Serves one Anthropic-face request; every failure is an Anthropic-shaped error response.
    func respondAnthropic(_ request: Request, operation: AnthropicOperation, modelID: String? = nil) async -> Response {
        stats.anthropicRequestReceived()
        await sleep(options.latency)
        do throws(AnthropicError) {
            let response = try await serveAnthropic(request, operation: operation, modelID: modelID)
            logger.debug("anthropic \(operation.rawValue): \(response.status.code)")
            return response
        } catch {
            logger.debug("anthropic \(operation.rawValue): \(error.status) \(error.type): \(error.message)")
            return error.response()
        }
    }

    private func serveAnthropic(
        _ request: Request, operation: AnthropicOperation, modelID: String?
    ) async throws(AnthropicError)
        -> Response
    {
        try authenticateAnthropic(request)
        guard let version = request.headers[.anthropicVersion], !Words.trimmed(version).isEmpty else {
            throw .missingVersion
        }
        try checkBetas(request)
        let fault = state.fault
        if !fault.isNone {
            await sleep(fault.delay ?? .zero)
            switch fault.failure {
            case .throttle: throw .rateLimited
            case .overloaded: throw .overloaded
            case .error(let name): throw AnthropicErrorCatalog.error(named: name)
            case nil: break
            }
        }
        if operation == .models { return Self.anthropicJSON(modelList()) }
        if operation == .model {
            let id = modelID ?? ""
            guard options.anthropicModels.contains(id) else { throw .unknownModel(id) }
            return Self.anthropicJSON(Self.modelObject(id))
        }

        let body = try await readAnthropicBody(request)
        if options.validate {
            let validator = AnthropicValidator(options: options, countTokens: operation == .countTokens)
            if let error = validator.check(body) { throw error }
        } else if let model = body["model"]?.stringValue, !options.anthropicModels.contains(model) {
            throw .unknownModel(model)
        }
        let model = body["model"]?.stringValue ?? ""
        let converse = AnthropicBodyAdapter.converse(body)
        if operation == .countTokens {
            return Self.anthropicJSON(["input_tokens": .int(PromptMeter(body: converse, model: model).tokens)])
        }

        let view = ConversationView(body: converse)
        let scenario = Scenario.select(view)
        await sleep(scenario.firstByteDelay ?? .zero)
        if let name = scenario.error { throw AnthropicErrorCatalog.error(named: name) }
        if let limit = scenario.throttle, state.countRequest(text: scenario.markerText) <= limit {
            throw .rateLimited
        }
        if let bodyFault = scenario.bodyFault { return Self.faultyAnthropicResponse(bodyFault) }
        let answer = AnswerBuilder.build(scenario, view: view)
        let usage = PromptMeter(body: converse, model: model).usage(outputTokens: answer.outputTokens, state: state)
        let message = AnthropicMessage(
            answer: answer, model: model, stopSequences: view.stopSequences, converseUsage: usage)

        guard body["stream"]?.boolValue == true else { return Self.anthropicJSON(message.json()) }
        let script = AnthropicStreamScript(
            message: message, fault: fault.cutStreams ? .cut : scenario.streamFault)
        let stats = self.stats
        var headers = Self.anthropicHeaders(contentType: "text/event-stream; charset=utf-8")
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                stats.streamStarted()
                defer { stats.streamEnded() }
                try await script.write(to: &writer)
            })
    }

    /// `x-api-key: KEY` or `Authorization: Bearer KEY`; any non-empty key passes, except keys
    /// starting with `bad`.
    private func authenticateAnthropic(_ request: Request) throws(AnthropicError) {
        var key: String?
        if let value = request.headers[.xAPIKey] {
            key = Words.trimmed(value)
        } else if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            key = parts.count == 2 && parts[0].lowercased() == "bearer" ? Words.trimmed(String(parts[1])) : ""
        }
        guard let key else { throw .missingKey }
        guard !key.isEmpty, !key.hasPrefix("bad") else { throw .invalidKey }
    }

    /// Every comma-separated `anthropic-beta` value must be known (`SimulatorOptions.anthropicBetas`).
    private func checkBetas(_ request: Request) throws(AnthropicError) {
        guard let accepted = options.anthropicBetas else { return }
        let values = request.headers[values: .anthropicBeta].flatMap { $0.split(separator: ",") }
            .map { Words.trimmed(String($0)) }
        let unknown = values.filter { !accepted.contains($0) }
        guard unknown.isEmpty else {
            let listed = unknown.map { "`\($0)`" }.joined(separator: ", ")
            throw .invalid(
                "Unexpected value(s) \(listed) for the `anthropic-beta` header. Please consult our documentation at docs.claude.com or try again without the header."
            )
        }
    }

    private func readAnthropicBody(_ request: Request) async throws(AnthropicError) -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: options.maxRequestBytes)
        } catch is NIOTooManyBytesError {
            throw .tooLarge
        } catch {
            throw .invalid("The request body could not be read.")
        }
        do {
            return try JSONValue.parse(buffer)
        } catch {
            throw .invalid("The request body is not valid JSON: \(error)")
        }
    }

    /// `GET /v1/models`: the face's model ids, newest names first.
    private func modelList() -> JSONValue {
        let ids = options.anthropicModels.sorted { ($0.count, $0) < ($1.count, $1) }
        let data = ids.map(Self.modelObject)
        return [
            "data": .array(data), "has_more": false, "first_id": data.first?["id"] ?? .null,
            "last_id": data.last?["id"] ?? .null,
        ]
    }

    /// `{"type":"model","id","display_name","created_at"}`.
    static func modelObject(_ id: String) -> JSONValue {
        [
            "type": "model", "id": .string(id), "display_name": .string(displayName(id)),
            "created_at": "2025-01-01T00:00:00Z",
        ]
    }

    /// `claude-sonnet-4-6` → `Claude Sonnet 4.6` (a date suffix dropped).
    static func displayName(_ id: String) -> String {
        var parts = id.split(separator: "-").map(String.init)
        if let last = parts.last, last.count == 8, Int(last) != nil { parts.removeLast() }
        guard parts.count >= 2 else { return id }
        let name = parts.prefix(2).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        let version = parts.dropFirst(2).joined(separator: ".")
        return version.isEmpty ? name : "\(name) \(version)"
    }

    /// A 200 no Anthropic client can read (`sim:malformed_json`, `sim:wrong_content_type`).
    static func faultyAnthropicResponse(_ fault: Scenario.BodyFault) -> Response {
        switch fault {
        case .malformedJSON:
            let body = #"{"id":"msg_01","type":"message","role":"assistant","content":[{"type":"text","text":"Hello fr"#
            return Response(
                status: .ok, headers: anthropicHeaders(contentType: "application/json"),
                body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        case .wrongContentType:
            var response = faultyResponse(fault)
            response.headers[HTTPField.Name.requestId] = AnthropicIDs.requestID()
            return response
        }
    }

    static func anthropicHeaders(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[HTTPField.Name.requestId] = AnthropicIDs.requestID()
        return headers
    }

    static func anthropicJSON(_ json: JSONValue) -> Response {
        var buffer = ByteBuffer()
        json.write(into: &buffer)
        return Response(
            status: .ok, headers: anthropicHeaders(contentType: "application/json"),
            body: ResponseBody(byteBuffer: buffer))
    }
}
