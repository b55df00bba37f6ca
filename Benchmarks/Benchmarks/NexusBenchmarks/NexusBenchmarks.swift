import AnthropicAPI
import Benchmark
import BenchmarkInputs
import BedrockAPI
import NIOCore
import NexusJSON
import Translation

// Micro-benchmarks of the gateway's hot paths (`Pipelines`: step for step what `Gateway` and
// `MessagesResponder` do, without the network). Each reports wall time, allocations (count and bytes) and
// throughput per iteration.
//
//     cd Benchmarks && swift package benchmark
//     cd Benchmarks && swift package benchmark --filter 'request 50KB.*'
//
// Targets (issue 6): translate a 50 KB request in ≤ 300 µs, a 1 MB request in ≤ 5 ms.
// The numbered "request …: N …" benchmarks split the translation into its steps.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .mallocBytesCount, .throughput],
        timeUnits: .microseconds,
        warmupIterations: 10,
        maxDuration: .seconds(3),
        maxIterations: 100_000
    )

    // MARK: Requests

    let small = Inputs.clientRequest(
        body: [
            "model": "claude-sonnet-4-6", "max_tokens": 256,
            "messages": [["role": "user", "content": "Hello!"]],
        ], betaHeader: nil)
    Benchmark("request small: translate (parse → translate → serialize)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Pipelines.translateRequest(small.body, betas: small.betas)) }
    }

    for (label, input) in [("50KB", Inputs.request50KB), ("1MB", Inputs.request1MB)] {
        let bytes = input.body.readableBytes
        Benchmark("request \(label): translate (parse → translate → serialize), \(bytes) bytes") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try Pipelines.translateRequest(input.body, betas: input.betas)) }
        }

        // The same pipeline, step by step, to see where the time goes.
        Benchmark("request \(label): 1 parse JSON") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try JSONValue.parse(input.body)) }
        }
        Benchmark("request \(label): 2 MessagesRequest(json:)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try MessagesRequest(json: input.json)) }
        }
        let request = try! MessagesRequest(json: input.json)
        let profile = try! Pipelines.catalog.resolve(request.model)
        Benchmark("request \(label): 3 RequestTranslator.translate") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try Pipelines.requestTranslator.translate(request, profile: profile, betas: input.betas))
            }
        }
        let converse = try! Pipelines.requestTranslator.translate(request, profile: profile, betas: input.betas).converse
        Benchmark("request \(label): 4 write the Converse body") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(Pipelines.serialize(converse, clientBytes: bytes)) }
        }
    }

    // MARK: Streams

    let sseBytes = (try? Pipelines.translateStream(Inputs.stream64)) ?? 0
    Benchmark("stream: 64-delta ConverseStream → SSE (\(Inputs.stream64.count) frames → \(sseBytes) bytes)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Pipelines.translateStream(Inputs.stream64)) }
    }

    let streamBytes = Inputs.stream1MB.reduce(0) { $0 + $1.readableBytes }
    Benchmark("stream: decode 1 MB of event-stream frames (\(streamBytes) bytes, 16 KiB chunks)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Pipelines.decodeFrames(Inputs.stream1MB)) }
    }
    Benchmark("stream: decode 1 MB of event-stream frames + parse events") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Pipelines.decodeEvents(Inputs.stream1MB)) }
    }

    // MARK: Responses

    let response = Inputs.response2000
    Benchmark("response: render 2,000-token Converse answer (\(response.readableBytes) bytes)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Pipelines.renderResponse(response)) }
    }
}
