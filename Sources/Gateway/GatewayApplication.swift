import AnthropicAPI
import AsyncHTTPClient
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Foundation
import ServiceLifecycle
import UpstreamHTTP

/// Builds the gateway's HTTP server: routes, error shaping, and the upstream HTTP client.
public enum GatewayApplication {
    /// The upstream connection pool for AI Nexus: keep-alive HTTP/1.1, the configured proxy
    /// (CONNECT for https) and extra trust roots.
    public static func makeUpstreamPool(_ configuration: GatewayConfiguration) throws -> HTTP1ConnectionPool {
        var config = HTTP1ConnectionPool.Configuration()
        config.connectTimeout = .milliseconds(configuration.connectTimeout.milliseconds)
        config.idleTimeout = .seconds(60)
        config.tls = try tlsConfiguration(configuration)
        if let proxy = configuration.httpsProxy {
            let authorization = proxy.username.map { user in
                "Basic " + Data("\(user):\(proxy.password?.value ?? "")".utf8).base64EncodedString()
            }
            config.proxy = HTTP1ConnectionPool.Proxy(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        return try HTTP1ConnectionPool(configuration: config)
    }

    /// A general-purpose client for fetching URL images and documents (redirects, any host),
    /// with the same proxy and trust roots as the upstream pool.
    public static func makeHTTPClient(_ configuration: GatewayConfiguration) throws -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.timeout.connect = .milliseconds(configuration.connectTimeout.milliseconds)
        config.timeout.read = .milliseconds(configuration.mediaTimeout.milliseconds)
        config.connectionPool.idleTimeout = .seconds(60)
        // Fail a refused or timed-out connection at once (AsyncHTTPClient's own retries would
        // hold every attempt for the whole connect timeout on a closed port).
        config.connectionPool.retryConnectionEstablishment = false
        config.decompression = .enabled(limit: .ratio(20))
        config.httpVersion = .automatic
        config.tlsConfiguration = try tlsConfiguration(configuration)
        if let proxy = configuration.httpsProxy {
            let authorization: HTTPClient.Authorization? = proxy.username.map {
                .basic(username: $0, password: proxy.password?.value ?? "")
            }
            config.proxy = .server(host: proxy.host, port: proxy.port, authorization: authorization)
        }
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    static func tlsConfiguration(_ configuration: GatewayConfiguration) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let bundle = configuration.caBundle {
            guard FileManager.default.isReadableFile(atPath: bundle) else {
                throw ConfigError(path: bundle, message: "the CA bundle cannot be read")
            }
            tls.additionalTrustRoots = [.file(bundle)]
        }
        if configuration.insecureSkipTLSVerify { tls.certificateVerification = .none }
        return tls
    }

    /// The router with every route of the Anthropic API the gateway serves, but
    /// `POST /v1/messages`: `MessagesChannelHandler` serves that one, before the router.
    public static func router(_ gateway: Gateway) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: AnthropicErrorMiddleware())
        router.get("/") { request, context in gateway.health(request, context: context) }
        router.get("/health") { request, context in gateway.health(request, context: context) }
        router.post("/v1/messages/count_tokens") { request, context in await gateway.countTokens(request, context: context) }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: gateway.metrics.render())))
        }
        router.get("/v1/models") { request, context in gateway.listModels(request, context: context) }
        router.get("/v1/models/{id}") { request, context in
            gateway.getModel(request, context: context, id: context.parameters.get("id") ?? "")
        }
        return router
    }

    /// The gateway as a Hummingbird application (a `Service`).
    public static func application(
        _ gateway: Gateway, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(gateway),
            server: HTTPServerBuilder { responder in GatewayHTTP1Channel(responder: responder, gateway: gateway) },
            configuration: ApplicationConfiguration(
                address: .hostname(gateway.configuration.host, port: gateway.configuration.port),
                serverName: nil),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: gateway.logger)
    }
}

/// Gives every error the router produces by itself (unknown route, wrong method, thrown
/// errors) Anthropic's JSON shape.
struct AnthropicErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let kind: APIError.Kind =
                switch error.status.code {
                case 401: .authentication
                case 403: .permission
                case 404: .notFound
                case 405: .notFound
                case 413: .requestTooLarge
                case 429: .rateLimit
                case 400..<500: .invalidRequest
                default: .api
                }
            let message = error.status.code == 404 ? "Not found: \(request.method) \(request.uri.path)" : (error.body ?? error.status.reasonPhrase)
            return APIError(kind, message, status: error.status.code).response(requestID: Identifier.make("req_"))
        } catch let error as APIError {
            return error.response(requestID: Identifier.make("req_"))
        } catch {
            return APIError(.api, "Internal error").response(requestID: Identifier.make("req_"))
        }
    }
}

/// Shuts the upstream clients down when the service group stops.
public struct HTTPClientService: Service, CustomStringConvertible {
    public var description: String { "HTTPClientService" }

    public let client: NexusClient
    public init(client: NexusClient) { self.client = client }

    public func run() async throws {
        try? await gracefulShutdown()
        client.upstream.shutdown()
        try await client.http.shutdown()
    }
}
