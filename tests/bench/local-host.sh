# Shared by the HTTP benchmarks (source it): builds the app and the local Functions host, starts them with --local
# (Azurite, the worker, the demo crisis) on a free port with a benchmark admin key, and measures with wrk.
# After start_local_host: $base is the host's URL, $admin_key an admin API key valid for this run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bash functions/install-deps
dotnet build functions/Crisis.Functions -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build functions/Crisis.Functions.Host -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null

start_local_host() {
  work=$(mktemp -d)
  admin_key=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  local port hash
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  hash=$(printf %s "$admin_key" | sha256sum | cut -d' ' -f1)
  base="http://localhost:$port"
  (cd "$work" && exec dotnet "$root/functions/Crisis.Functions.Host/bin/Release/net10.0/Crisis.Functions.Host.dll" --local \
    --app "$root/functions/Crisis.Functions/bin/Release/net10.0" --port "$port" --no-timers \
    --RateLimits:PublicReadsPerMinute=1000000 --Logging:LogLevel:Default=Warning \
    --Access:ApiKeys:1:Name=benchmark --Access:ApiKeys:1:Role=admin --Access:ApiKeys:1:Sha256="$hash" >"$work/host.log" 2>&1) &
  host_pid=$!
  # SIGTERM, which the host handles as Ctrl-C: a job started in the background of a script that itself runs in the
  # background inherits SIGINT ignored, and then never stops.
  trap 'kill -TERM $host_pid 2>/dev/null; wait $host_pid 2>/dev/null; rm -rf "$work"' EXIT
  local page="$base/api/crises/regional-flooding-demo?lang=en"
  for _ in $(seq 1 240); do curl -sf "$page" >/dev/null && return 0; sleep 0.5; done
  echo "the local host did not come up" >&2
  cat "$work/host.log" >&2
  exit 1
}

# The ETag a URL answers with.
etag_of() { curl -sf -D - -o /dev/null "$1" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p'; }

# Requests per second of `wrk -t2 -c64` for $seconds (default 10) against the arguments given.
rps() { wrk -t2 -c64 -d"${seconds:-10}s" "$@" | awk '/Requests\/sec/ {print $2}'; }

# Interleaved rounds: measures each spec ("GET URL", or "304 URL ETAG" for a conditional GET) in `rounds` rounds
# (default 8) of `round_seconds` (default 3 s) each, every other round in reverse order, so a change in the
# machine's speed during the run (other work on its 2 cores) weighs on every spec alike. Prints the mean req/s of
# each spec, one a line, in the order given.
interleaved_rps() {
  local -a specs=("$@") totals=()
  local i j k n=$#
  for ((j = 0; j < n; j++)); do totals[j]=0; done
  for ((i = 0; i < ${rounds:-8}; i++)); do
    for ((k = 0; k < n; k++)); do
      j=$(( i % 2 == 0 ? k : n - 1 - k ))
      local spec=${specs[j]} url value
      url=${spec#* }
      case $spec in
        "304 "*) value=$(seconds=${round_seconds:-3} rps -H "If-None-Match: ${url#* }" "${url%% *}") ;;
        *) value=$(seconds=${round_seconds:-3} rps "$url") ;;
      esac
      totals[j]=$(awk -v t="${totals[j]}" -v v="$value" 'BEGIN { print t + v }')
    done
  done
  for ((j = 0; j < n; j++)); do awk -v t="${totals[j]}" -v r="${rounds:-8}" 'BEGIN { printf "%.2f\n", t / r }'; done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# One metric in the shared benchmark format: bench_line NAME VALUE UNIT TARGET-TEXT MINIMUM. Returns 1 when missed.
bench_line() {
  local pass
  pass=$(awk -v v="$2" -v m="$5" 'BEGIN { print (v >= m) ? "true" : "false" }')
  printf 'BENCH {"name":"%s","value":%s,"unit":"%s","target":"%s","pass":%s}\n' "$1" "$2" "$3" "$4" "$pass"
  [ "$pass" = true ]
}
