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
        .executable(name: "leader", targets: ["leader"]),
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
    ],
    targets: [
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
        .executableTarget(
            name: "leader",
            dependencies: [
                "LeaderElection",
                "LeaderElectionSQLite",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift6
        ),
        .executableTarget(
            name: "leader-bench",
            dependencies: [],
            path: "Benchmarks/LeaderBench",
            swiftSettings: strictSwift6
        ),
        .testTarget(
            name: "LeaderCLITests",
            dependencies: ["leader"],
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
    ]
)
