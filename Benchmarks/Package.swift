// swift-tools-version: 6.1
import PackageDescription

// The benchmarks: the `leader` command's handovers and failovers, each backend's, etcd's against
// etcdctl, and the billing service's renewal run. They depend on the library and the billing
// service by path; scripts/*-bench.sh build and run them and write bench-results/*.json.
let package = Package(
    name: "swift-leader-election-benchmarks",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "leader-bench", targets: ["LeaderBench"]),
        .executable(name: "etcd-bench", targets: ["EtcdBench"]),
        .executable(name: "backends-bench", targets: ["BackendsBench"]),
        .executable(name: "billing-bench", targets: ["BillingBench"]),
    ],
    dependencies: [
        .package(name: "swift-leader-election", path: ".."),
        .package(name: "swift-billing", path: "../Billing"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // What the benchmarks share: processes with timestamped output lines, handovers and failovers
        // timed the same way for every backend, statistics.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "LeaderBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
            ]
        ),
        .executableTarget(
            name: "EtcdBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionEtcd", package: "swift-leader-election"),
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "BackendsBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionPostgres", package: "swift-leader-election"),
                .product(name: "LeaderElectionZooKeeper", package: "swift-leader-election"),
                .product(name: "_ChildProcesses", package: "swift-leader-election"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "BillingBench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "LeaderElectionStores", package: "swift-leader-election"),
                .product(name: "Billing", package: "swift-billing"),
                .product(name: "BillingNode", package: "swift-billing"),
                .product(name: "PaymentSandbox", package: "swift-billing"),
                .product(name: "Payments", package: "swift-billing"),
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
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
