#!/usr/bin/env bash
# Benchmark: throughput of the public crisis page (JSON, served from memory, revalidated by blob ETag) against a
# bare function of the same worker (GET /api/ping, no storage), both through the local Functions host, in the same
# run, on the same machine, and the HTML crisis page (also from memory) against the JSON page. Targets: page >= 0.8x
# bare, HTML >= 0.8x JSON. Prints one BENCH line per metric; exit 1 when one is missed.
# Each is measured in interleaved rounds (8 x 3 s each by default), so the machine's changing load weighs on all alike.
# Usage: bash tests/bench/public-page.sh [rounds, default 8]
source "$(dirname "$0")/local-host.sh"
rounds=${1:-8}
start_local_host

page="$base/api/crises/regional-flooding-demo?lang=en"
html="$base/api/c/regional-flooding-demo?lang=en"
etag=$(etag_of "$page")
[ -n "$etag" ] || { echo "the demo page has no ETag" >&2; exit 1; }

wrk -t2 -c64 -d3s "$base/api/ping" >/dev/null
wrk -t2 -c64 -d3s "$page" >/dev/null
wrk -t2 -c64 -d3s "$html" >/dev/null

mapfile -t measured < <(interleaved_rps "GET $base/api/ping" "GET $page" "304 $page $etag" "GET $html")
bare=${measured[0]} full=${measured[1]} cached=${measured[2]} htmlpage=${measured[3]}

echo "bare function (GET /api/ping):           $bare req/s"
echo "public crisis page (200, $(curl -s "$page" | wc -c) bytes):   $full req/s"
echo "public crisis page (304, If-None-Match): $cached req/s"
echo "HTML crisis page (200, $(curl -s "$html" | wc -c) bytes):     $htmlpage req/s"
missed=0
bench_line public-page.json-vs-bare "$(ratio "$full" "$bare")" x ">= 0.8x bare function" 0.8 || missed=1
bench_line public-page.json-304-vs-bare "$(ratio "$cached" "$bare")" x ">= 0.8x bare function" 0.8 || missed=1
bench_line public-page.html-vs-json "$(ratio "$htmlpage" "$full")" x ">= 0.8x the JSON page" 0.8 || missed=1
exit $missed
