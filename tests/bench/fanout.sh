#!/usr/bin/env bash
# Benchmark: the fan-out's enqueue stage for 100k confirmed subscribers against Azurite. Prints subscribers
# queued per second, storage transactions per subscriber, and a same-run baseline of bare batch writes.
# Targets: 100k in <= 30 s, <= 0.05 transactions per subscriber (exit 1 when missed). Prints BENCH lines.
# Usage: bash tests/bench/fanout.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash functions/install-deps
dotnet run --project tests/bench/Benchmarks -c Release -- fanout
