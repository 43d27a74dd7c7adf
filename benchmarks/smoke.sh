#!/usr/bin/env bash
# Quick smoke run of every BenchmarkDotNet class (Dry job: one invocation each) so the suite cannot rot.
# Not a measurement: real figures come from full runs recorded in perf.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/C2Fast.Benchmarks"
dotnet run -c Release -- --filter '*' --job Dry --memory --artifacts "$(mktemp -d)" >/tmp/c2fast-bench-smoke.log 2>&1 || { tail -50 /tmp/c2fast-bench-smoke.log; exit 1; }
grep -E "^\|" /tmp/c2fast-bench-smoke.log | tail -40 || true
echo "benchmarks: smoke run ok"
