import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOPosix
import NexusJSON
import NexusSimulator
import Testing

@Suite("Stream cut over a real socket")
struct StreamCutTests {
    /// Sends one raw HTTP/1.1 request and reads until the server closes the connection.
    static func rawExchange(port: Int, path: String, body: JSONValue) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let payload = body.jsonString
        let request =
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nAuthorization: Bearer test-key\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(payload.utf8.count)\r\n\r\n\(payload)"
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ""
            for try await chunk in inbound { received += String(buffer: chunk) }
            return received
        }
    }

    @Test func cutStreamEndsWithoutTheTerminatingChunk() async throws {
        try await Sim.app().test(.live) { client throws in
            let port = try #require(client.port)
            let raw = try await Self.rawExchange(
                port: port, path: "/model/\(Sim.model)/converse-stream", body: Sim.ask("sim:stream_cut please"))
            #expect(raw.hasPrefix("HTTP/1.1 200"))
            #expect(raw.lowercased().contains("transfer-encoding: chunked"))
            #expect(raw.contains("messageStart"))
            #expect(raw.contains("contentBlockDelta"))
            #expect(!raw.contains("messageStop"))
            #expect(!raw.hasSuffix("0\r\n\r\n"))
        }
    }

    @Test func completeStreamEndsWithTheTerminatingChunk() async throws {
        try await Sim.app().test(.live) { client throws in
            let port = try #require(client.port)
            let raw = try await Self.rawExchange(
                port: port, path: "/model/\(Sim.model)/converse-stream",
                body: Sim.ask("hello"))
            #expect(raw.contains("metadata"))
            #expect(raw.hasSuffix("0\r\n\r\n"))
        }
    }

    @Test func cutStreamFailsTheTestClient() async throws {
        try await Sim.app().test(.live) { client throws in
            await #expect(throws: (any Error).self) {
                _ = try await Sim.post(client, "converse-stream", body: Sim.ask("sim:stream_cut"))
            }
            return ()
        }
    }
}
