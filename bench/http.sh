#!/usr/bin/env bash
# Single-region HTTP load on a running lab: PUT then GET of 100-byte values with wrk, at several
# concurrencies. Prints wrk's latency percentiles and throughput.
#   ./meridian lab up --detach --no-tls && bench/http.sh [URL] [SECONDS]
# A lab with TLS requires an access token (wrk shows no client certificate):
#   MERIDIAN_TOKEN=$(./meridian tokens create bench --read '*' --write '*') bench/http.sh https://127.0.0.1:7001
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
url=${1:-http://127.0.0.1:7001}
secs=${2:-15}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
auth=()
if [ -n "${MERIDIAN_TOKEN:-}" ]; then auth=(-H "Authorization: Bearer $MERIDIAN_TOKEN"); fi
wrk -t1 -c4 -d3s "${auth[@]}" -s "$here/put.lua" "$url" >/dev/null   # warm up and create the keys
for op in put get; do
  for c in 1 16 64; do
    t=$(( c < 2 ? 1 : 2 ))
    echo "== ${op^^} connections=$c"
    wrk -t$t -c$c -d${secs}s --latency "${auth[@]}" -s "$here/$op.lua" "$url" | grep -E "^ +(50|90|99)%|Requests/sec|Non-2xx|Socket errors"
  done
done
