import Hummingbird
import Logging

/// A fake AI Nexus: Bedrock's Converse, ConverseStream and CountTokens over HTTP with bearer
/// auth, as strict as Bedrock, answering scenarios chosen by `sim:NAME` markers in the prompt.
/// The contract is docs/simulator.md.
public enum NexusSimulator {
    /// The router, for in-process tests (HummingbirdTesting) and for embedding.
    ///
    /// Routes: the Converse face's `POST /model/{modelId}/converse`, `/converse-stream` and
    /// `/count-tokens` (`modelId` percent-decoded); the Anthropic face's `POST /v1/messages`,
    /// `POST /v1/messages/count_tokens` and `GET /v1/models`; and for tests `GET /_sim/stats`
    /// (counters), `GET`/`POST /_sim/fault` (the process-level fault). State (throttle counters,
    /// prompt-cache prefixes, stats, fault) lives as long as the router.
    public static func router(options: SimulatorOptions, logger: Logger) -> Router<BasicRequestContext> {
        router(SimulatorService(options: options, logger: logger))
    }

    static func router(_ service: SimulatorService) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("model/:modelId/converse") { request, context in
            await service.respond(request, context, operation: .converse)
        }
        router.post("model/:modelId/converse-stream") { request, context in
            await service.respond(request, context, operation: .converseStream)
        }
        router.post("model/:modelId/count-tokens") { request, context in
            await service.respond(request, context, operation: .countTokens)
        }
        router.post("v1/messages") { request, _ in await service.respondAnthropic(request, operation: .messages) }
        router.post("v1/messages/count_tokens") { request, _ in
            await service.respondAnthropic(request, operation: .countTokens)
        }
        router.get("v1/models") { request, _ in await service.respondAnthropic(request, operation: .models) }
        router.get("v1/models/:modelId") { request, context in
            await service.respondAnthropic(
                request, operation: .model, modelID: PercentDecoding.decode(context.parameters.get("modelId") ?? ""))
        }
        router.get("_sim/stats") { _, _ in SimulatorService.jsonResponse(service.stats.jsonValue) }
        router.get("_sim/fault") { _, _ in SimulatorService.jsonResponse(service.state.fault.jsonValue) }
        router.post("_sim/fault") { request, _ in await service.changeFault(request) }
        return router
    }

    /// A full Hummingbird application bound to `host:port` (port 0 = any free port);
    /// `onServerRunning` gets the bound port once the server listens. Its `/_sim/stats` also
    /// counts TCP connections.
    public static func application(
        host: String, port: Int, options: SimulatorOptions, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let service = SimulatorService(options: options, logger: logger)
        let stats = service.stats
        return Application(
            router: router(service),
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionCounter(stats: stats)])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "NexusSimulator"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
