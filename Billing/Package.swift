// swift-tools-version: 6.1
import PackageDescription

// The replicated billing service built on the leader-election library (the package one level up):
// the renewal engine and its stores, the payment clients, the payment sandbox, the node (HTTP
// status, dashboard, metrics), the `billing` command and the fault-injection harness.
let package = Package(
    name: "swift-billing",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Billing", targets: ["Billing"]),
        .library(name: "Payments", targets: ["Payments"]),
        .library(name: "PaymentSandbox", targets: ["PaymentSandbox"]),
        .library(name: "BillingNode", targets: ["BillingNode"]),
        .executable(name: "billing", targets: ["BillingCLI"]),
        // Preloaded by the fault harness before libfaketime (see its source).
        .library(name: "FaketimeTimerfdShim", type: .dynamic, targets: ["CFaketimeTimerfdShim"]),
    ],
    dependencies: [
        .package(name: "swift-leader-election", path: ".."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
    ],
    targets: [
        // MARK: The renewal engine and its stores

        .target(
            name: "Billing",
            dependencies: [
                "Payments",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionSQLite", package: "swift-leader-election"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "BillingTests",
            dependencies: [
                "Billing",
                "Payments",
                "PaymentSandbox",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),

        // MARK: Payment providers: the clients and the sandbox

        .target(
            name: "Payments",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "PaymentSandbox",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                "Payments",
                "PaymentSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: The node and the `billing` command

        // The host's real clock, past a time-faking library (the node's event log).
        .target(name: "CHostClock"),
        .target(name: "CFaketimeTimerfdShim"),

        // The subscriptions API: types and server protocol generated from openapi.json, which
        // is also compiled in to be served at /openapi.json.
        .target(
            name: "BillingAPI",
            dependencies: [
                "Billing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            resources: [.embedInCode("openapi.json")],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),

        .target(
            name: "BillingNode",
            dependencies: [
                "Billing",
                "BillingAPI",
                "CHostClock",
                "Payments",
                "PaymentSandbox",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionStores", package: "swift-leader-election"),
                // For the renew-by-ping negative control's switch only.
                .product(name: "LeaderElectionZooKeeper", package: "swift-leader-election"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "BillingCLI",
            dependencies: [
                "BillingAPI",
                "BillingNode",
                "Billing",
                "PaymentSandbox",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionStores", package: "swift-leader-election"),
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "BillingNodeTests",
            dependencies: [
                "BillingNode",
                "Billing",
                "Payments",
                "PaymentSandbox",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "BillingNodeIntegrationTests",
            dependencies: [
                "BillingNode",
                "BillingCLI",
                "Billing",
                "Payments",
                "PaymentSandbox",
                "ChaosHarness",
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // MARK: The fault-injection harness (scripts/chaos.sh)

        .executableTarget(
            name: "ChaosHarness",
            dependencies: [
                "Billing",
                "BillingNode",
                "PaymentSandbox",
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionStores", package: "swift-leader-election"),
                .product(name: "LeaderElectionEtcd", package: "swift-leader-election"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ChaosHarnessTests",
            dependencies: [
                "ChaosHarness", "Billing", "BillingNode", "PaymentSandbox",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)

// Every target: Swift 6 language mode, and `any` spelled out for existentials.
for target in package.targets {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .swiftLanguageMode(.v6),
            .enableUpcomingFeature("ExistentialAny"),
        ]
}
