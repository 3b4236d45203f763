#!/usr/bin/env bash
# Benchmark: delivery end to end against Azurite, 1k then 100k confirmed webhook subscribers on a local receiver
# (counted by webhook-id): publish -> last delivery rate, storage transactions per delivered message, duplicates,
# missing; then the storage time of the admin totals, the review and one erasure at 1k and at 100k.
# Prints BENCH lines (see tests/bench/run). Usage: bash tests/bench/delivery.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash functions/install-deps
dotnet run --project tests/bench/Benchmarks -c Release -- delivery
