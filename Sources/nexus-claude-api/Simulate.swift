import ArgumentParser
import Hummingbird
import Logging
import NexusSimulator
import ServiceLifecycle

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a fake AI Nexus (Bedrock Converse, ConverseStream, CountTokens) for tests and demos.",
        discussion: "Scenarios are chosen by `sim:NAME` markers in the last user message; see docs/simulator.md.")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Flag(help: "Fast canned answers without validation (for load benchmarks).")
    var canned = false

    func run() async throws {
        let logger = Logger(label: "nexus-simulator")
        var options = SimulatorOptions()
        options.canned = canned
        options.validate = !canned
        let host = self.host
        let app = NexusSimulator.application(host: host, port: port, options: options, logger: logger) { port in
            printOut("AI Nexus simulator listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
