// swift-tools-version: 6.1
import PackageDescription

// The leader-election library: the core, its test kit, four backends and the `leader` command.
// The billing service built on it lives in Billing/ and the benchmarks in Benchmarks/, each a
// package of its own that depends on this one by path, so adopting the library costs none of
// their dependencies (no Hummingbird, no AsyncHTTPClient).
let package = Package(
    name: "swift-leader-election",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LeaderElection", targets: ["LeaderElection"]),
        .library(name: "LeaderElectionTesting", targets: ["LeaderElectionTesting"]),
        .library(name: "LeaderElectionSQLite", targets: ["LeaderElectionSQLite"]),
        .library(name: "LeaderElectionEtcd", targets: ["LeaderElectionEtcd"]),
        .library(name: "LeaderElectionPostgres", targets: ["LeaderElectionPostgres"]),
        .library(name: "LeaderElectionZooKeeper", targets: ["LeaderElectionZooKeeper"]),
        .library(name: "LeaderElectionStores", targets: ["LeaderElectionStores"]),
        .executable(name: "leader", targets: ["leader"]),
        // Not API: child-process supervision shared with this repository's billing service and
        // benchmarks. The leading underscore is the ecosystem's sign that it may change at any time.
        .library(name: "_ChildProcesses", targets: ["ChildProcesses"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    ],
    targets: [
        // MARK: The core and its test kit

        .target(
            name: "LeaderElection",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "LeaderElectionTests",
            dependencies: [
                "LeaderElection",
                "LeaderElectionTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "LeaderElectionIntegrationTests",
            dependencies: ["LeaderElection", "LeaderElectionTesting"]
        ),
        .target(
            name: "LeaderElectionTesting",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: Backends

        .target(
            name: "LeaderElectionSQLite",
            dependencies: [
                "LeaderElection",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
            ]
        ),
        .testTarget(
            name: "LeaderElectionSQLiteIntegrationTests",
            dependencies: ["LeaderElectionSQLite", "LeaderElectionTesting", "TestSupport"]
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
            ]
        ),
        .testTarget(
            name: "LeaderElectionEtcdTests",
            dependencies: ["LeaderElectionEtcd"]
        ),
        .testTarget(
            name: "LeaderElectionEtcdIntegrationTests",
            dependencies: [
                "LeaderElectionEtcd",
                "LeaderElectionTesting",
                "TestSupport",
                "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "LeaderElectionPostgres",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "LeaderElectionPostgresTests",
            dependencies: ["LeaderElectionPostgres"]
        ),
        .testTarget(
            name: "LeaderElectionPostgresIntegrationTests",
            dependencies: [
                "LeaderElectionPostgres",
                "LeaderElectionTesting",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "LeaderElectionZooKeeper",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LeaderElectionZooKeeperTests",
            dependencies: ["LeaderElectionZooKeeper"]
        ),
        .testTarget(
            name: "LeaderElectionZooKeeperIntegrationTests",
            dependencies: [
                "LeaderElectionZooKeeper",
                "LeaderElectionTesting",
                "TestSupport",
                "ChildProcesses",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),

        // MARK: Every backend behind one store URL

        .target(
            name: "LeaderElectionStores",
            dependencies: [
                "LeaderElection",
                "LeaderElectionSQLite",
                "LeaderElectionEtcd",
                "LeaderElectionPostgres",
                "LeaderElectionZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "LeaderElectionStoresTests",
            dependencies: [
                "LeaderElectionStores",
                "LeaderElection",
                "LeaderElectionSQLite",
                "LeaderElectionEtcd",
                "LeaderElectionPostgres",
                "LeaderElectionZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MARK: The `leader` command

        .executableTarget(
            name: "leader",
            dependencies: [
                "LeaderElection",
                "LeaderElectionStores",
                "ChildProcesses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "LeaderCLIIntegrationTests",
            dependencies: ["leader", "ChildProcesses", "TestSupport"]
        ),

        // MARK: Support (not API)

        .target(name: "ChildProcesses"),
        .testTarget(
            name: "ChildProcessesTests",
            dependencies: ["ChildProcesses"]
        ),
        // What the integration tests share: the `leader` binary, child processes they watch,
        // network namespaces that cut a member or server off, small concurrency helpers.
        .target(
            name: "TestSupport",
            dependencies: [
                "LeaderElection",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"
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
