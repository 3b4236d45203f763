#!/usr/bin/env bash
# Benchmark: 10k email subscribers to an in-process SMTP sink (counted by Message-ID), publish -> last delivery.
# Prints BENCH lines (see tests/bench/run). Usage: bash tests/bench/email.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
bash functions/install-deps
dotnet run --project tests/bench/Benchmarks -c Release -- email
