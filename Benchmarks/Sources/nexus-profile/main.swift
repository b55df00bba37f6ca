import BenchmarkInputs
import Foundation
import NIOCore

// Runs one micro-benchmark's pipeline in a loop, for a profiler:
//
//     swift build -c release --package-path Benchmarks --product nexus-profile
//     valgrind --tool=callgrind Benchmarks/.build/release/nexus-profile request-50KB 100
//     perf record -g Benchmarks/.build/release/nexus-profile request-1MB 500
//
// Inputs are built before the loop; the callgrind figures of the loop are the counts of
// `Pipelines.*` (callgrind_annotate --inclusive=yes).

let cases: [String: () throws -> Int] = [
    "request-small": {
        let small = Inputs.clientRequest(
            body: ["model": "claude-sonnet-4-6", "max_tokens": 256, "messages": [["role": "user", "content": "Hello!"]]],
            betaHeader: nil)
        return try Pipelines.translateRequest(small.body, betas: small.betas).readableBytes
    },
    "request-50KB": { try Pipelines.translateRequest(Inputs.request50KB.body, betas: Inputs.request50KB.betas).readableBytes },
    "request-1MB": { try Pipelines.translateRequest(Inputs.request1MB.body, betas: Inputs.request1MB.betas).readableBytes },
    "serialize-50KB": {
        Pipelines.serialize(ConverseInputs.request50KB, clientBytes: Inputs.request50KB.body.readableBytes).readableBytes
    },
    "serialize-1MB": {
        Pipelines.serialize(ConverseInputs.request1MB, clientBytes: Inputs.request1MB.body.readableBytes).readableBytes
    },
    "stream-64": { try Pipelines.translateStream(Inputs.stream64) },
    "decode-1MB": { try Pipelines.decodeFrames(Inputs.stream1MB) },
    "events-1MB": { try Pipelines.decodeEvents(Inputs.stream1MB) },
    "response-2000": { try Pipelines.renderResponse(Inputs.response2000).readableBytes },
]

/// The Converse JSON of the request inputs, built on first use.
enum ConverseInputs {
    static let request50KB = try! Pipelines.converseRequest(Inputs.request50KB)
    static let request1MB = try! Pipelines.converseRequest(Inputs.request1MB)
}

let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let run = cases[name] else {
    print("usage: nexus-profile \(cases.keys.sorted().joined(separator: "|")) [iterations]")
    exit(2)
}
let iterations = arguments.dropFirst().first.flatMap { Int($0) } ?? 100
var total = 0
_ = try run()  // builds the inputs
let start = ContinuousClock.now
for _ in 0..<iterations { total &+= try run() }
let elapsed = ContinuousClock.now - start
print("\(name): \(iterations) iterations, \(elapsed / iterations) each (checksum \(total))")
