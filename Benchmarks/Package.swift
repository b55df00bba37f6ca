// swift-tools-version:6.1
import PackageDescription

/// Micro-benchmarks of the gateway's pure core (ordo-one/benchmark), in a package of their own so
/// that the main build and tests never compile the benchmark dependencies.
///
///     cd Benchmarks && swift package benchmark                 # run all (release build)
///     cd Benchmarks && swift package benchmark --filter 'request 50KB.*'
///     cd Benchmarks && swift build                             # CI: check that they build
///     swift build -c release --package-path Benchmarks --product nexus-profile   # for callgrind/perf
///
/// `MallocInterposer` is the only trait: it gives the malloc counters without the ARC runtime
/// interposer (not on the package mirror, and not needed here).
let package = Package(
    name: "nexus-claude-api-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` so that the product reference does not depend on the name of the clone's directory.
        .package(name: "nexus-claude-api", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The inputs (corpus requests, generated streams and answers) and the pipelines measured.
        .target(
            name: "BenchmarkInputs",
            dependencies: [
                .product(name: "NexusTranslation", package: "nexus-claude-api"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The benchmarks (the plugin finds them under Benchmarks/).
        .executableTarget(
            name: "NexusBenchmarks",
            dependencies: [
                "BenchmarkInputs",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NexusTranslation", package: "nexus-claude-api"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/NexusBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One pipeline in a loop, for callgrind or perf.
        .executableTarget(
            name: "nexus-profile",
            dependencies: ["BenchmarkInputs", .product(name: "NIOCore", package: "swift-nio")]
        ),
    ]
)
