import AWSEventStream
import BedrockAPI
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NexusJSON

/// The request handlers of the simulator, shared by all connections.
final class SimulatorService: Sendable {
    let options: SimulatorOptions
    let logger: Logger
    let state = SimulatorState()
    /// Counters for `GET /_sim/stats`.
    let stats = SimulatorStats()
    /// Prebuilt answers of canned mode.
    private let canned: CannedAnswers

    init(options: SimulatorOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        self.canned = CannedAnswers()
    }

    /// Which endpoint is being served.
    enum Operation: String, Sendable {
        case converse = "Converse"
        case converseStream = "ConverseStream"
        case countTokens = "CountTokens"
    }

    /// Serves one request; every failure is a Bedrock-shaped error response, never a thrown error.
    func respond(_ request: Request, _ context: BasicRequestContext, operation: Operation) async -> Response {
        let started = ContinuousClock.now
        stats.requestReceived()
        let model = PercentDecoding.decode(context.parameters.get("modelId") ?? "") ?? ""
        await sleep(options.latency)
        do throws(SimulatorError) {
            let response = try await serve(request, model: model, operation: operation, started: started)
            logger.debug("\(operation.rawValue) \(model): \(response.status.code)")
            return response
        } catch {
            logger.debug("\(operation.rawValue) \(model): \(error.status) \(error.name): \(error.message)")
            return error.response()
        }
    }

    private func serve(
        _ request: Request, model: String, operation: Operation, started: ContinuousClock.Instant
    ) async throws(SimulatorError) -> Response {
        try authenticate(request)
        guard options.models.contains(model) else { throw .unknownModel(model) }
        if options.canned { return canned.response(for: operation) }
        let body = try await readBody(request)
        if options.validate {
            let failure =
                operation == .countTokens
                ? RequestValidator.validateCountTokens(body, model: model, options: options)
                : RequestValidator.validateConverse(body, model: model, options: options)
            if let failure { throw failure }
        }
        if operation == .countTokens {
            let tokens = PromptMeter(body: body["input"]?["converse"] ?? .object([:]), model: model).tokens
            return Self.jsonResponse(["inputTokens": .int(tokens)])
        }

        let view = ConversationView(body: body)
        let scenario = Scenario.select(view)
        await sleep(scenario.firstByteDelay ?? .zero)
        if let name = scenario.error { throw ErrorCatalog.error(named: name) }
        if let limit = scenario.throttle, state.countRequest(text: scenario.markerText) <= limit {
            throw .throttling
        }
        if let fault = scenario.bodyFault { return Self.faultyResponse(fault) }
        let answer = AnswerBuilder.build(scenario, view: view)
        let usage = PromptMeter(body: body, model: model).usage(outputTokens: answer.outputTokens, state: state)

        guard operation == .converseStream else {
            let response = ConverseResponse(
                content: answer.blocks, stopReason: answer.stopReason, usage: ConverseUsage(),
                additionalModelResponseFields: answer.additionalModelResponseFields)
            var json = response.jsonValue.objectValue ?? JSONObject()
            json["usage"] = usage
            json["metrics"] = ["latencyMs": .int(StreamScript.milliseconds(since: started))]
            return Self.jsonResponse(.object(json))
        }
        let script = StreamScript(answer: answer, usage: usage, fault: scenario.streamFault, started: started)
        let stats = self.stats
        return Response(
            status: .ok, headers: Self.headers(contentType: "application/vnd.amazon.eventstream"),
            body: ResponseBody { writer in
                stats.streamStarted()
                defer { stats.streamEnded() }
                try await script.write(to: &writer)
            })
    }

    /// Any non-empty bearer key passes, except keys starting with `bad`.
    private func authenticate(_ request: Request) throws(SimulatorError) {
        guard let authorization = request.headers[.authorization] else {
            throw .authentication("missing Authorization header with a Bearer API key")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .authentication("the Authorization header must be 'Bearer <API key>'")
        }
        let key = Words.trimmed(String(parts[1]))
        guard !key.isEmpty else { throw .authentication("empty API key") }
        guard !key.hasPrefix("bad") else { throw .authentication("invalid API key") }
    }

    /// Reads and parses the JSON body, within `maxRequestBytes`.
    private func readBody(_ request: Request) async throws(SimulatorError) -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: options.maxRequestBytes)
        } catch is NIOTooManyBytesError {
            throw .inputTooLong
        } catch {
            throw .validation("The request body could not be read.")
        }
        do {
            return try JSONValue.parse(buffer)
        } catch {
            throw .malformed("\(error)")
        }
    }

    /// A 200 that no Bedrock client can read (`sim:malformed_json`, `sim:wrong_content_type`),
    /// for Converse and ConverseStream alike.
    static func faultyResponse(_ fault: Scenario.BodyFault) -> Response {
        let (contentType, body) =
            switch fault {
            case .malformedJSON:
                ("application/json", #"{"output":{"message":{"role":"assistant","content":[{"text":"Hello fr"#)
            case .wrongContentType:
                (
                    "text/html; charset=utf-8",
                    "<!DOCTYPE html>\n<html><head><title>Access blocked</title></head><body><h1>Proxy authentication required</h1></body></html>\n"
                )
            }
        return Response(
            status: .ok, headers: headers(contentType: contentType), body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    private func sleep(_ duration: Duration) async {
        guard duration > .zero else { return }
        try? await Task.sleep(for: duration)
    }

    static func headers(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[HTTPField.Name.amznRequestId] = RandomText.requestID()
        return headers
    }

    static func jsonResponse(_ json: JSONValue) -> Response {
        var buffer = ByteBuffer()
        json.write(into: &buffer)
        return Response(
            status: .ok, headers: headers(contentType: "application/json"), body: ResponseBody(byteBuffer: buffer))
    }
}
