#!/usr/bin/env bash
# Benchmark: the reminder timer with 50 occurrences due among 1k and among 100k expected updates, against
# Azurite. Prints populate and run times and the ratio; target: the 100k run costs at most 1.5x the 1k run.
# Prints BENCH lines (see tests/bench/run).
# Usage: bash tests/bench/reminders.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash functions/install-deps
dotnet run --project tests/bench/Benchmarks -c Release -- reminders
