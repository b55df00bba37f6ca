import Hummingbird
import Logging

/// A fake AI Nexus: Bedrock's Converse, ConverseStream and CountTokens over HTTP with bearer
/// auth, as strict as Bedrock, answering scenarios chosen by `sim:NAME` markers in the prompt.
/// The contract is docs/simulator.md.
public enum NexusSimulator {
    /// The router, for in-process tests (HummingbirdTesting) and for embedding.
    ///
    /// Routes: `POST /model/{modelId}/converse`, `/converse-stream` and `/count-tokens`
    /// (`modelId` percent-decoded). State (throttle counters, prompt-cache prefixes) lives as
    /// long as the router.
    public static func router(options: SimulatorOptions, logger: Logger) -> Router<BasicRequestContext> {
        let service = SimulatorService(options: options, logger: logger)
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
        return router
    }

    /// A full Hummingbird application bound to `host:port` (port 0 = any free port);
    /// `onServerRunning` gets the bound port once the server listens.
    public static func application(
        host: String, port: Int, options: SimulatorOptions, logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        Application(
            router: router(options: options, logger: logger),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "NexusSimulator"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
