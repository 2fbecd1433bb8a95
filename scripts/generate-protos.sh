#!/usr/bin/env bash
# Regenerates Sources/LeaderElectionEtcd/Generated/ from Protos/ (the etcd v3 API subset this
# project uses). Run it after changing a .proto file and commit the result: builds and CI use the
# committed code and need neither protoc nor the plugins.
#
# Installs Debian's protobuf-compiler when protoc is missing, and builds the two plugins
# (protoc-gen-swift from swift-protobuf, protoc-gen-grpc-swift-2 from grpc-swift-protobuf) in a
# throwaway package under .build-protoc/ (gitignored), pinned to the versions Package.swift uses.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch="$root/.build-protoc"
out="$root/Sources/LeaderElectionEtcd/Generated"

if ! command -v protoc >/dev/null 2>&1; then
    echo "== installing protoc (Debian's protobuf-compiler)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y protobuf-compiler
fi

mkdir -p "$scratch/plugins/Sources/placeholder"
cat > "$scratch/plugins/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
// Throwaway package written by scripts/generate-protos.sh: only builds the protoc plugins.
import PackageDescription
let package = Package(
    name: "protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
    ],
    targets: [.target(name: "placeholder", path: "Sources/placeholder")]
)
SWIFT
echo "// Placeholder so that the throwaway package has a target." > "$scratch/plugins/Sources/placeholder/Placeholder.swift"

echo "== building protoc-gen-swift and protoc-gen-grpc-swift-2 (slow the first time)"
swift build --package-path "$scratch/plugins" -c release --product protoc-gen-swift
swift build --package-path "$scratch/plugins" -c release --product protoc-gen-grpc-swift-2
bin=$(swift build --package-path "$scratch/plugins" -c release --show-bin-path)

rm -rf "$out"
mkdir -p "$out"
protos=(etcd/api/mvccpb/kv.proto etcd/api/etcdserverpb/rpc.proto)
echo "== protoc $(protoc --version): ${protos[*]}"
protoc \
    --proto_path="$root/Protos" \
    --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift="$bin/protoc-gen-grpc-swift-2" \
    --swift_out="$out" \
    --swift_opt=Visibility=Internal,FileNaming=PathToUnderscores \
    --grpc-swift_out="$out" \
    --grpc-swift_opt=Visibility=Internal,Server=false,Client=true,FileNaming=PathToUnderscores \
    "${protos[@]}"
echo "== wrote $(ls "$out" | wc -l) files to ${out#"$root"/}"
