// swift-tools-version: 6.1
import PackageDescription

// The smallest adopter of the library: one process campaigning on an SQLite file. It depends on
// the repository's root package by path, exactly as a new project would by URL, and proves that
// adopting the library costs only the core and the backend you choose (scripts/test.sh builds it).
let package = Package(
    name: "SQLiteElection",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-leader-election", path: "../.."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "SQLiteElection",
            dependencies: [
                .product(name: "LeaderElection", package: "swift-leader-election"),
                .product(name: "LeaderElectionSQLite", package: "swift-leader-election"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
