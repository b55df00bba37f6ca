import ArgumentParser
import Hummingbird
import Logging
import NexusSimulator
import ServiceLifecycle

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run a fake AI Nexus (Bedrock Converse, ConverseStream, CountTokens) and Anthropic Messages API for tests and demos.",
        discussion: "Scenarios are chosen by `sim:NAME` markers in the last user message; see docs/simulator.md.")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Flag(help: "Fast canned answers without validation (for load benchmarks).")
    var canned = false

    @Option(
        name: .customLong("fault"),
        help: ArgumentHelp(
            "A fault every request of both faces gets (repeatable): throttle, overloaded, error:NAME, slow:S, cut. POST /_sim/fault changes it while running.",
            valueName: "spec"))
    var faults: [String] = []

    @Flag(help: "Accept every anthropic-beta value on the Anthropic face (default: only known betas, as the real API).")
    var acceptAnyBeta = false

    func validate() throws {
        do {
            _ = try SimulatorFault.parse(faults)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let logger = Logger(label: "nexus-simulator")
        var options = SimulatorOptions()
        options.canned = canned
        options.validate = !canned
        options.fault = (try? SimulatorFault.parse(faults)) ?? SimulatorFault()
        if acceptAnyBeta { options.anthropicBetas = nil }
        let host = self.host
        let app = NexusSimulator.application(host: host, port: port, options: options, logger: logger) { port in
            printOut("AI Nexus simulator listening on http://\(host):\(port)")
        }
        try await app.runService()
    }
}
