import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

@testable import UpstreamHTTP

/// A loopback HTTP/1.1 server with scripted answers, counting the connections it accepts.
///
/// - `/ok`: 200 `hello`, keep-alive.
/// - `/close`: 200 `bye` with `connection: close`, then closes.
/// - `/idle-close`: 200 `hello` (keep-alive announced), then closes the idle connection.
/// - `/big`: 200, 64 chunks of 16 KiB.
/// - `/silent`: never answers.
/// - `/drop-next`: 200 `hello`, keep-alive; the next request on that connection is dropped.
/// - `/reset-next`: 200 `hello`, keep-alive; the next request on that connection gets a reset.
/// - `/drop`: closes the connection without answering.
final class ScriptedServer: Sendable {
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func add() { value.add(1, ordering: .relaxed) }
        func load(ordering: AtomicLoadOrdering = .relaxed) -> Int { value.load(ordering: .relaxed) }
    }

    let channel: any Channel
    /// Connections accepted so far.
    let accepted = Counter()

    var port: Int { channel.localAddress!.port! }
    var target: HTTP1Target { HTTP1Target(tls: false, host: "127.0.0.1", port: port) }

    init() async throws {
        let accepted = accepted
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                accepted.add()
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(Handler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async throws { try await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        var path = ""
        var dropNext = false
        var resetNext = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): path = head.uri
            case .body: break
            case .end: answer(context)
            }
        }

        private func answer(_ context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            if dropNext || resetNext {
                if resetNext, let socket = context.channel as? any SocketOptionProvider {
                    // SO_LINGER 0: the close sends a reset, as a peer that timed the connection
                    // out mid-request may.
                    let channel = context.channel
                    socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil)
                    }
                } else {
                    context.close(promise: nil)
                }
                return
            }
            switch path {
            case "/drop":
                context.close(promise: nil)
            case "/ok", "/idle-close", "/drop-next", "/reset-next":
                dropNext = path == "/drop-next"
                resetNext = path == "/reset-next"
                headers.add(name: "content-length", value: "5")
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "hello")))), promise: nil)
                let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if path == "/idle-close" {
                    let channel = context.channel
                    done.whenComplete { _ in
                        channel.eventLoop.scheduleTask(in: .milliseconds(20)) { channel.close(promise: nil) }
                    }
                }
            case "/close":
                headers.add(name: "content-length", value: "3")
                headers.add(name: "connection", value: "close")
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "bye")))), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            case "/big":
                headers.add(name: "content-length", value: String(64 * 16384))
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil)
                for _ in 0..<64 {
                    context.write(
                        wrapOutboundOut(.body(.byteBuffer(ByteBuffer(repeating: 0x61, count: 16384)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            default:
                break  // silent
            }
        }
    }
}

@Suite("HTTP/1.1 connection pool against a scripted server")
struct HTTP1ConnectionPoolTests {
    func pool() throws -> HTTP1ConnectionPool {
        var configuration = HTTP1ConnectionPool.Configuration()
        configuration.connectTimeout = .seconds(2)
        return try HTTP1ConnectionPool(configuration: configuration)
    }

    /// Runs `body` against a fresh scripted server and pool, and shuts both down after it.
    func withServerAndPool(_ body: (ScriptedServer, HTTP1ConnectionPool) async throws -> Void) async throws {
        let server = try await ScriptedServer()
        let pool = try pool()
        do {
            try await body(server, pool)
        } catch {
            pool.shutdown()
            try? await server.stop()
            throw error
        }
        pool.shutdown()
        try await server.stop()
    }

    /// GETs `path`. The default deadline only bounds a test that hangs: the suite runs beside
    /// tests that keep the shared event loops busy (32 concurrent streams in a debug build), and
    /// 5 s was once not enough on a loaded machine. Tests of deadlines pass their own.
    func get(
        _ pool: HTTP1ConnectionPool, _ server: ScriptedServer, _ path: String, deadline: TimeAmount = .seconds(30)
    ) async throws
        -> (HTTP1Response, String)
    {
        let response = try await pool.execute(
            HTTP1Request(target: server.target, method: .GET, path: path, body: ByteBuffer()),
            deadline: .now() + deadline)
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response, String(buffer: body))
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withServerAndPool { server, pool in
            for _ in 0..<20 {
                let (response, body) = try await get(pool, server, "/ok")
                #expect(response.status == .ok && body == "hello")
            }
            #expect(server.accepted.load(ordering: .relaxed) == 1)
            #expect(pool.openConnections == 1)
        }
    }

    @Test func atMostMaxIdleConnectionsStayOpenAfterABurst() async throws {
        let server = try await ScriptedServer()
        var configuration = HTTP1ConnectionPool.Configuration()
        configuration.maxIdlePerTarget = 3
        let pool = try HTTP1ConnectionPool(configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    let response = try await pool.execute(
                        HTTP1Request(target: server.target, method: .GET, path: "/big", body: ByteBuffer()),
                        deadline: .now() + .seconds(5))
                    _ = try await response.body.collect(upTo: 1 << 21)
                }
            }
            try await group.waitForAll()
        }
        #expect(server.accepted.load() > 3)  // a burst: more connections than may stay idle
        var open = pool.openConnections
        for _ in 0..<100 where open > 3 {
            try await Task.sleep(for: .milliseconds(10))
            open = pool.openConnections
        }
        #expect(open == 3)
        pool.shutdown()
        try await server.stop()
    }

    @Test func idleConnectionsCloseAfterTheIdleTimeoutAndUsedOnesStay() async throws {
        let server = try await ScriptedServer()
        var configuration = HTTP1ConnectionPool.Configuration()
        configuration.idleTimeout = .seconds(2)
        let pool = try HTTP1ConnectionPool(configuration: configuration)
        defer { pool.shutdown() }
        // Used every 50 ms for 3 s, past the first sweep: one connection, never closed (a sweep
        // that went by when the connection first came free would close it).
        let began = ContinuousClock.now
        var lastStart = began  // the connection came free after this, never before
        while ContinuousClock.now - began < .seconds(3) {
            lastStart = .now
            let (_, body) = try await get(pool, server, "/ok")
            #expect(body == "hello")
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(server.accepted.load(ordering: .relaxed) == 1)
        #expect(pool.openConnections == 1)
        // Left idle: closed about 2 s after its last use, by the pool's one sweep timer.
        var open = pool.openConnections
        while open > 0, ContinuousClock.now - lastStart < .seconds(12) {
            try await Task.sleep(for: .milliseconds(20))
            open = pool.openConnections
        }
        #expect(open == 0)
        #expect(ContinuousClock.now - lastStart >= .milliseconds(1900))
        // The pool goes on: a new connection for the next request, swept again in its turn.
        let (_, body) = try await get(pool, server, "/ok")
        #expect(body == "hello")
        #expect(server.accepted.load(ordering: .relaxed) == 2)
        let again = ContinuousClock.now
        while pool.openConnections > 0, ContinuousClock.now - again < .seconds(12) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(pool.openConnections == 0)
        try await server.stop()
    }

    @Test func aRequestWithAForbiddenHeaderIsNotSentAndTakesNoConnection() async throws {
        try await withServerAndPool { server, pool in
            // An idle connection the bad request must leave alone.
            _ = try await get(pool, server, "/ok")
            var headers = HTTPHeaders()
            headers.add(name: "authorization", value: "Bearer key\r\nx-injected: 1")
            let refused = HTTP1ClientError.transport(
                "a request header or its path holds a character HTTP does not allow")
            await #expect(throws: refused) {
                _ = try await pool.execute(
                    HTTP1Request(
                        target: server.target, method: .GET, path: "/ok", headers: HTTP1RequestFields(headers),
                        body: ByteBuffer()),
                    deadline: .now() + .seconds(5))
            }
            #expect(pool.openConnections == 1)
            let (response, body) = try await get(pool, server, "/ok")
            #expect(response.status == .ok && body == "hello")
            #expect(server.accepted.load(ordering: .relaxed) == 1)
        }
    }

    @Test func connectionCloseAnswersAreNotReused() async throws {
        try await withServerAndPool { server, pool in
            for _ in 0..<3 {
                let (_, body) = try await get(pool, server, "/close")
                #expect(body == "bye")
            }
            #expect(server.accepted.load(ordering: .relaxed) == 3)
        }
    }

    @Test func aConnectionThePeerClosedWhileIdleIsReplaced() async throws {
        try await withServerAndPool { server, pool in
            for _ in 0..<3 {
                let (_, body) = try await get(pool, server, "/idle-close")
                #expect(body == "hello")
                try await Task.sleep(for: .milliseconds(60))
            }
            #expect(server.accepted.load(ordering: .relaxed) == 3)
        }
    }

    @Test func aSilentServerHitsTheDeadline() async throws {
        try await withServerAndPool { server, pool in
            let started = ContinuousClock.now
            await #expect(throws: HTTP1ClientError.deadlineExceeded) {
                _ = try await get(pool, server, "/silent", deadline: .milliseconds(200))
            }
            #expect(ContinuousClock.now - started < .seconds(10))
            // The connection was closed, not pooled: the next request works on a new one.
            let (_, body) = try await get(pool, server, "/ok")
            #expect(body == "hello")
        }
    }

    @Test func aBodyDroppedHalfReadClosesItsConnection() async throws {
        try await withServerAndPool { server, pool in
            do {
                let response = try await pool.execute(
                    HTTP1Request(target: server.target, method: .GET, path: "/big", body: ByteBuffer()),
                    deadline: .now() + .seconds(5))
                var iterator = response.body.makeAsyncIterator()
                let first = try await iterator.next()
                #expect((first?.readableBytes ?? 0) > 0)
            }
            // Dropped: that connection closes; the next request gets a new one.
            let (_, body) = try await get(pool, server, "/ok")
            #expect(body == "hello")
            #expect(server.accepted.load(ordering: .relaxed) == 2)
        }
    }

    @Test func aLargeBodyArrivesWhole() async throws {
        try await withServerAndPool { server, pool in
            let (_, body) = try await get(pool, server, "/big")
            #expect(body.utf8.count == 64 * 16384)
            #expect(try await get(pool, server, "/ok").1 == "hello")
            #expect(server.accepted.load(ordering: .relaxed) == 1)
        }
    }

    /// A reader that sometimes lags and sometimes waits: whichever side is ahead, a held read
    /// must always be released, or the body stalls (caught by the deadline).
    @Test func aBodyReadAtAnUnevenPaceNeverStalls() async throws {
        try await withServerAndPool { server, pool in
            for round in 0..<20 {
                let response = try await pool.execute(
                    HTTP1Request(target: server.target, method: .GET, path: "/big", body: ByteBuffer()),
                    deadline: .now() + .seconds(10))
                var iterator = response.body.makeAsyncIterator()
                var total = 0
                var n = round
                while let chunk = try await iterator.next() {
                    total += chunk.readableBytes
                    n = (n &* 1_103_515_245 &+ 12345) & 0x7fff_ffff
                    if n % 3 == 0 {
                        try await Task.sleep(for: .microseconds(n % 500))
                    } else if n % 3 == 1 {
                        await Task.yield()
                    }
                }
                #expect(total == 64 * 16384)
            }
        }
    }

    @Test func aBodyOverTheLimitFails() async throws {
        try await withServerAndPool { server, pool in
            let response = try await pool.execute(
                HTTP1Request(target: server.target, method: .GET, path: "/big", body: ByteBuffer()),
                deadline: .now() + .seconds(5))
            await #expect(throws: HTTP1ClientError.bodyTooLarge(limit: 100_000)) {
                _ = try await response.body.collect(upTo: 100_000)
            }
        }
    }

    @Test func aRefusedConnectionSaysSo() async throws {
        // Port 1 (tcpmux) is never served here; a stopped test server's port could be taken by
        // another test's server meanwhile, as tests run in parallel.
        let target = HTTP1Target(tls: false, host: "127.0.0.1", port: 1)
        let pool = try pool()
        do {
            _ = try await pool.execute(
                HTTP1Request(target: target, path: "/ok", body: ByteBuffer()), deadline: .now() + .seconds(5))
            Issue.record("expected a failure")
        } catch {
            #expect(error.description.contains("refused"), "\(error)")
        }
        pool.shutdown()
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", false, "127.0.0.1", 8080, ""),
        ("https://nexus.example.com", true, "nexus.example.com", 443, ""),
        ("https://nexus.example.com/bedrock/", true, "nexus.example.com", 443, "/bedrock"),
        ("HTTP://[::1]:9000/x?y=1", false, "::1", 9000, "/x"),
    ])
    func targetsParse(url: String, tls: Bool, host: String, port: Int, basePath: String) throws {
        let parsed = try #require(HTTP1Target.parse(url: url))
        #expect(parsed.target == HTTP1Target(tls: tls, host: host, port: port))
        #expect(parsed.basePath == basePath)
    }

    @Test(arguments: ["ftp://x", "http://", "http://host:port", "http://host:70000", "nexus.example.com"])
    func badTargetsDoNotParse(url: String) {
        #expect(HTTP1Target.parse(url: url) == nil)
    }

    @Test func hostHeaderOmitsTheDefaultPort() {
        #expect(HTTP1Target(tls: true, host: "a.example", port: 443).hostHeader == "a.example")
        #expect(HTTP1Target(tls: false, host: "a.example", port: 8080).hostHeader == "a.example:8080")
        #expect(HTTP1Target(tls: false, host: "::1", port: 80).hostHeader == "[::1]")
    }
}
