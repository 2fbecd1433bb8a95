// swift-tools-version: 6.1
import PackageDescription

let strictSwift6: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-leader-election",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LeaderElection", targets: ["LeaderElection"]),
        .library(name: "LeaderElectionTesting", targets: ["LeaderElectionTesting"]),
        .library(name: "LeaderElectionSQLite", targets: ["LeaderElectionSQLite"]),
        .library(name: "Payments", targets: ["Payments"]),
        .library(name: "PaymentSandbox", targets: ["PaymentSandbox"]),
        .library(name: "Billing", targets: ["Billing"]),
        .library(name: "LeaderElectionEtcd", targets: ["LeaderElectionEtcd"]),
        .library(name: "BillingNode", targets: ["BillingNode"]),
        .library(name: "LeaderElectionPostgres", targets: ["LeaderElectionPostgres"]),
        .library(name: "LeaderElectionZooKeeper", targets: ["LeaderElectionZooKeeper"]),
        .executable(name: "leader", targets: ["leader"]),
        .executable(name: "billing", targets: ["BillingCLI"]),
        .executable(name: "billing-chaos", targets: ["ChaosHarness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        .target(
            name: "ChildProcesses",
            swiftSettings: strictSwift6
        ),
        .target(
            name: "LeaderElection",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "LeaderElectionTesting",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "LeaderElectionSQLite",
            dependencies: [
                "LeaderElection",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "Payments",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Payments",
            swiftSettings: strictSwift6
        ),
        .target(
            name: "PaymentSandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "Billing",
            dependencies: [
                "LeaderElection",
                "Payments",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "LeaderElectionEtcd",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "LeaderElectionPostgres",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "LeaderElectionZooKeeper",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "leader",
            dependencies: [
                "LeaderElection",
                "LeaderElectionSQLite",
                "LeaderElectionEtcd",
                "LeaderElectionPostgres",
                "LeaderElectionZooKeeper",
                "ChildProcesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        .target(
            name: "BillingNode",
            dependencies: [
                "LeaderElection",
                "LeaderElectionSQLite",
                "LeaderElectionEtcd",
                "LeaderElectionPostgres",
                "LeaderElectionZooKeeper",
                "Billing",
                "Payments",
                "PaymentSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "BillingCLI",
            dependencies: [
                "BillingNode",
                "Billing",
                "PaymentSandbox",
                "LeaderElection",
                "ChildProcesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/billing",
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "BillingNodeTests",
            dependencies: [
                "BillingNode",
                "BillingCLI",
                "Billing",
                "PaymentSandbox",
                "ChaosHarness",
                "ChildProcesses",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "ChaosHarness",
            dependencies: [
                "Billing",
                "BillingNode",
                "PaymentSandbox",
                "ChildProcesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/billing-chaos",
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "leader-bench",
            dependencies: ["ChildProcesses"],
            path: "Benchmarks/LeaderBench",
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "ChildProcessesTests",
            dependencies: ["ChildProcesses"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderCLITests",
            dependencies: ["leader", "ChildProcesses"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderElectionTests",
            dependencies: [
                "LeaderElection",
                "LeaderElectionTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "billing-bench",
            dependencies: [
                "Billing",
                "BillingNode",
                "LeaderElection",
                "PaymentSandbox",
                "Payments",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/BillingBench",
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "etcd-bench",
            dependencies: [
                "LeaderElection",
                "LeaderElectionEtcd",
                "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/EtcdBench",
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "backends-bench",
            dependencies: [
                "LeaderElection",
                "LeaderElectionPostgres",
                "LeaderElectionZooKeeper",
                "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/BackendsBench",
            swiftSettings: strictSwift6
        ),
        // Network namespaces that the etcd and ZooKeeper tests cut a member or server off with.
        .target(
            name: "NetworkPartitions",
            path: "Tests/Support/NetworkPartitions",
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderElectionEtcdTests",
            dependencies: [
                "LeaderElectionEtcd",
                "LeaderElectionTesting",
                "NetworkPartitions",
                "leader",
                "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderElectionPostgresTests",
            dependencies: [
                "LeaderElectionPostgres",
                "LeaderElectionTesting",
                "leader",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderElectionZooKeeperTests",
            dependencies: [
                "LeaderElectionZooKeeper",
                "LeaderElectionTesting",
                "NetworkPartitions",
                "leader",
                "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderElectionSQLiteTests",
            dependencies: ["LeaderElectionSQLite", "LeaderElectionTesting"],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                "Payments",
                "PaymentSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "ChaosHarnessTests",
            dependencies: [
                "ChaosHarness", "Billing", "BillingNode", "LeaderElection", "PaymentSandbox", "ChildProcesses",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "BillingTests",
            dependencies: [
                "Billing",
                "Payments",
                "PaymentSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSwift6
        ),
    ]
)
