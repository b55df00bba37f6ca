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
    let state: SimulatorState
    /// Counters for `GET /_sim/stats`.
    let stats = SimulatorStats()
    /// Prebuilt answers of canned mode.
    private let canned: CannedAnswers

    init(options: SimulatorOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        self.state = SimulatorState(fault: options.fault)
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
        let fault = state.fault
        if !fault.isNone {
            await sleep(fault.delay ?? .zero)
            switch fault.failure {
            case .throttle: throw .throttling
            case .overloaded: throw ErrorCatalog.error(named: "unavailable")
            case .error(let name): throw ErrorCatalog.error(named: name)
            case nil: break
            }
        }
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
        let script = StreamScript(
            answer: answer, usage: usage, fault: fault.cutStreams ? .cut : scenario.streamFault, started: started)
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
    func readBody(_ request: Request) async throws(SimulatorError) -> JSONValue {
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
            status: .ok, headers: headers(contentType: contentType),
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    func sleep(_ duration: Duration) async {
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

extension SimulatorService {
    /// `POST /_sim/fault` with `{"fault": "throttle"}`, `{"fault": ["slow:2", "cut"]}` or
    /// `{"fault": null}`: replaces the process-level fault and answers it (`{"fault": [...]}`);
    /// 400 `{"error": "..."}` for a body or spec it does not understand.
    func changeFault(_ request: Request) async -> Response {
        func refusal(_ message: String) -> Response {
            var response = Self.jsonResponse(["error": .string(message)])
            response.status = .badRequest
            return response
        }
        guard let buffer = try? await request.body.collect(upTo: 1 << 16), let body = try? JSONValue.parse(buffer),
            let value = body["fault"]
        else { return refusal(#"expected {"fault": SPEC}, {"fault": [SPEC, ...]} or {"fault": null}"#) }
        var specs: [String] = []
        if let spec = value.stringValue {
            specs = [spec]
        } else if let list = value.arrayValue {
            specs = list.compactMap(\.stringValue)
        } else if !value.isNull {
            return refusal("fault must be a string, a list of strings or null")
        }
        do {
            state.fault = try SimulatorFault.parse(specs)
        } catch {
            return refusal(error.description)
        }
        logger.info("fault set to \(state.fault.specs)")
        return Self.jsonResponse(state.fault.jsonValue)
    }
}
