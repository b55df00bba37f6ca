// swift-tools-version:6.1
import PackageDescription

/// nexus-claude-api: the Anthropic Messages API on top of AI Nexus (Bedrock Converse).
///
/// The low targets (`NexusJSON`, `AWSEventStream`, `AnthropicAPI`, `BedrockAPI`, `Translation`)
/// are pure: no I/O, no clock, NIOCore at most. `Gateway` and `NexusSimulator` are the servers.
let package = Package(
    name: "nexus-claude-api",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nexus-claude-api", targets: ["nexus-claude-api"]),
        // The pure core, for the benchmarks package (Benchmarks/) and for embedding.
        .library(name: "NexusTranslation", targets: ["NexusJSON", "AWSEventStream", "AnthropicAPI", "BedrockAPI", "Translation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Already in the graph through Hummingbird; named for the HTTPTypes <-> NIOHTTP1 conversions.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The configuration file's TOML (toml++ underneath).
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .target(
            name: "NexusJSON",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "AWSEventStream",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "AnthropicAPI",
            dependencies: ["NexusJSON", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "BedrockAPI",
            dependencies: ["NexusJSON", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .target(
            name: "Translation",
            dependencies: [
                "NexusJSON", "AnthropicAPI", "BedrockAPI", "AWSEventStream",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // HTTP/1.1's byte-level syntax, shared by the gateway's fast path and the upstream client.
        .target(name: "HTTP1Syntax"),
        // A lean keep-alive HTTP/1.1 client for the upstream hot path (the gateway's own needs only).
        .target(
            name: "UpstreamHTTP",
            dependencies: [
                "HTTP1Syntax",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The provider seam: one `Provider` per upstream kind, the routes and the exchange's state
        // machines (pure decisions on an injected clock).
        .target(
            name: "Providers",
            dependencies: [
                "NexusJSON", "AnthropicAPI", "BedrockAPI", "AWSEventStream", "Translation", "UpstreamHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "NexusSimulator",
            dependencies: [
                "NexusJSON", "BedrockAPI", "AWSEventStream",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "NexusJSON", "AnthropicAPI", "BedrockAPI", "AWSEventStream", "Translation", "UpstreamHTTP",
                "HTTP1Syntax", "Providers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .executableTarget(
            name: "nexus-claude-api",
            dependencies: [
                "Gateway", "NexusSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "NexusJSONTests", dependencies: ["NexusJSON", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "AWSEventStreamTests", dependencies: ["AWSEventStream"]),
        .testTarget(
            name: "UpstreamHTTPTests",
            dependencies: [
                "UpstreamHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TranslationTests",
            dependencies: [
                "Translation", "AnthropicAPI", "BedrockAPI", "NexusJSON", "AWSEventStream",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ProvidersTests",
            dependencies: [
                "Providers", "AnthropicAPI", "NexusJSON", "Translation", "UpstreamHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "NexusSimulatorTests",
            dependencies: ["NexusSimulator", .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "NexusSimulator", "NexusJSON", "Providers", "Translation",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
