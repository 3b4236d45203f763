#!/usr/bin/env bash
# Benchmark: throughput of the public crisis page (served from memory, revalidated by blob ETag) against a bare
# function of the same worker (GET /api/ping, no storage), both through the local Functions host, in the same
# run, on the same machine. Target: page >= 0.6x bare.
# Usage: bash tests/bench/public-page.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${1:-10}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash functions/install-deps
dotnet build functions/Crisis.Functions -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build functions/Crisis.Functions.Host -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

work=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
base="http://localhost:$port"
(cd "$work" && exec dotnet "$root/functions/Crisis.Functions.Host/bin/Release/net10.0/Crisis.Functions.Host.dll" --local \
  --app "$root/functions/Crisis.Functions/bin/Release/net10.0" --port "$port" --no-timers \
  --RateLimits:PublicReadsPerMinute=1000000 --Logging:LogLevel:Default=Warning >"$work/host.log" 2>&1) &
pid=$!
trap 'kill -INT $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT

page="$base/api/crises/regional-flooding-demo?lang=en"
for _ in $(seq 1 240); do curl -sf "$page" >/dev/null && break; sleep 0.5; done
etag=$(curl -sf -D - -o /dev/null "$page" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
[ -n "$etag" ] || { echo "the demo page did not come up"; cat "$work/host.log"; exit 1; }

rps() { wrk -t2 -c64 -d"${seconds}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
wrk -t2 -c64 -d3s "$base/api/ping" >/dev/null
wrk -t2 -c64 -d3s "$page" >/dev/null

bare=$(rps "$base/api/ping")
full=$(rps "$page")
cached=$(rps -H "If-None-Match: $etag" "$page")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "bare function (GET /api/ping):           $bare req/s"
echo "public crisis page (200, $(curl -s "$page" | wc -c) bytes):   $full req/s  ratio $(ratio "$full" "$bare")"
echo "public crisis page (304, If-None-Match): $cached req/s  ratio $(ratio "$cached" "$bare")"
awk -v r="$(ratio "$full" "$bare")" 'BEGIN { if (r >= 0.6) { print "target page >= 0.6x bare: met"; exit 0 } else { print "target page >= 0.6x bare: NOT met"; exit 1 } }'
