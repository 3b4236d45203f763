#!/usr/bin/env bash
# Benchmark: throughput of the public crisis page (served from memory, revalidated by blob ETag) against the
# app's bare readiness endpoint, in the same run, on the same machine. Target: page >= 0.6x bare.
# Usage: bash tests/bench/public-page.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash functions/install-deps
dotnet build functions/Crisis.Functions -c Release --nologo -v quiet >/dev/null

work=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
base="http://127.0.0.1:$port"
app=$PWD/functions/Crisis.Functions/bin/Release/net10.0/Crisis.Functions.dll
(cd "$work" && exec dotnet "$app" --local "--Hosting:Urls=$base" --RateLimits:PublicReadsPerMinute=1000000 \
  --Logging:LogLevel:Default=Warning --Hosting:LocalScheduler=false >"$work/app.log" 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT

for _ in $(seq 1 120); do curl -sf "$base/api/health" >/dev/null && break; sleep 0.5; done
page="$base/api/crises/regional-flooding-demo?lang=en"
etag=$(curl -sf -D - -o /dev/null "$page" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
[ -n "$etag" ] || { echo "the demo page did not come up"; cat "$work/app.log"; exit 1; }

rps() { wrk -t2 -c64 -d"${seconds}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
wrk -t2 -c64 -d3s "$base/" >/dev/null
wrk -t2 -c64 -d3s "$page" >/dev/null

bare=$(rps "$base/")
full=$(rps "$page")
cached=$(rps -H "If-None-Match: $etag" "$page")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "bare endpoint (GET /):                   $bare req/s"
echo "public crisis page (200, $(curl -s "$page" | wc -c) bytes):   $full req/s  ratio $(ratio "$full" "$bare")"
echo "public crisis page (304, If-None-Match): $cached req/s  ratio $(ratio "$cached" "$bare")"
awk -v r="$(ratio "$full" "$bare")" 'BEGIN { if (r >= 0.6) { print "target page >= 0.6x bare: met"; exit 0 } else { print "target page >= 0.6x bare: NOT met"; exit 1 } }'
