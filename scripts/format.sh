#!/usr/bin/env bash
# Formats every Swift file of the three packages with swift-format (part of the toolchain) and the
# repository's .swift-format; with --check, changes nothing and fails on any difference or rule
# finding (scripts/test.sh runs the check first). Generated code (protoc's output under
# Sources/LeaderElectionEtcd/Generated) is left as generated.
#
#   scripts/format.sh           # format in place
#   scripts/format.sh --check   # lint only (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.swift' | grep -v '/Generated/')
if [[ ${1:-} == --check ]]; then
    swift format lint --strict --parallel "${files[@]}"
    echo "== swift-format: ${#files[@]} files formatted as .swift-format says"
else
    swift format format --in-place --parallel "${files[@]}"
fi
