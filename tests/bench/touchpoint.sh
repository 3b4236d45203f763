#!/usr/bin/env bash
# Benchmark: the public touchpoint read (the website banner, loaded on every page view of an organisation's site)
# against the public crisis page, both served from memory through the local Functions host in the same run; and a
# 304 of the touchpoint against its 200. Targets: >= 0.8x each. Prints one BENCH line per metric; exit 1 when one is
# missed.
# Each is measured in interleaved rounds (8 x 3 s each by default), so the machine's changing load weighs on all alike.
# Usage: bash tests/bench/touchpoint.sh [rounds, default 8]
source "$(dirname "$0")/local-host.sh"
rounds=${1:-8}
start_local_host

auth=(-H "Authorization: Bearer $admin_key" -H "Content-Type: application/json")
curl -sf -X PUT "${auth[@]}" "$base/api/admin/touchpoints/home-banner" \
  -d '{"kind":"website-banner","name":"Home page banner","defaultLanguage":"en","normal":{"en":"Welcome to our shop."}}' >/dev/null
curl -sf -X PUT "${auth[@]}" "$base/api/admin/crises/regional-flooding-demo/touchpoints/home-banner" \
  -d '{"text":{"en":"Flooding: deliveries in the north are delayed. See the latest.","cy":"Llifogydd: mae danfoniadau yn y gogledd yn hwyr."}}' >/dev/null

page="$base/api/crises/regional-flooding-demo?lang=en"
touchpoint="$base/api/touchpoints/home-banner?lang=en"
etag=$(etag_of "$touchpoint")
[ -n "$etag" ] || { echo "the touchpoint has no ETag" >&2; exit 1; }
curl -sf "$touchpoint" | grep -q '"source":"crisis-override"' || { echo "the touchpoint does not show the demo crisis' override" >&2; exit 1; }

wrk -t2 -c64 -d3s "$page" >/dev/null
wrk -t2 -c64 -d3s "$touchpoint" >/dev/null

mapfile -t measured < <(interleaved_rps "GET $page" "GET $touchpoint" "304 $touchpoint $etag")
page_rps=${measured[0]} full=${measured[1]} cached=${measured[2]}

echo "public crisis page (200):          $page_rps req/s"
echo "public touchpoint read (200):      $full req/s"
echo "public touchpoint read (304):      $cached req/s"
missed=0
bench_line touchpoint.read-vs-page "$(ratio "$full" "$page_rps")" x ">= 0.8x public crisis page" 0.8 || missed=1
bench_line touchpoint.304-vs-200 "$(ratio "$cached" "$full")" x ">= 0.8x touchpoint 200" 0.8 || missed=1
exit $missed
