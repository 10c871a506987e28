#!/usr/bin/env bash
# What tracing costs a node end to end: one region, wrk PUTs of 100-byte values to a local
# keyspace (bench/put.lua), tracing off and at each sample ratio given, alternating, each in a
# fresh node after a warm-up, against an OTLP sink on 127.0.0.1 that accepts every batch.
# Prints PUT/s, p99 and the node's CPU per PUT (user + system from /proc, the steadier figure).
#   bench/tracing.sh [ROUNDS] [RATIOS...]      e.g. bench/tracing.sh 3 0.01 1.0
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
ratios=("off" "${@:-0.01}")
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
work=$(mktemp -d)
python3 - "$work/sink.port" <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
sink=$!
trap 'kill $sink 2>/dev/null; [ -n "${node:-}" ] && kill $node 2>/dev/null; rm -rf "$work"' EXIT
while [ ! -s "$work/sink.port" ]; do sleep 0.1; done
port=$(cat "$work/sink.port")
./meridian --version >/dev/null   # builds, if the sources changed
ticks=$(getconf CLK_TCK)
printf "%-6s %-6s %10s %10s %14s\n" round ratio "PUT/s" p99 "CPU per PUT"
for round in $(seq 1 "$rounds"); do
  for ratio in "${ratios[@]}"; do
    rm -rf "$work/data"
    tracing=""
    [ "$ratio" != off ] && tracing=$'tracing:\n  otlp-endpoint: http://127.0.0.1:'"$port"$'/v1/traces\n  sample-ratio: '"$ratio"
    cat > "$work/meridian.yaml" <<YAML
regions:
  - name: us-east
    http: 127.0.0.1:7401
keyspaces:
  - name: cache
    policy: local
$tracing
YAML
    ./meridian node --config "$work/meridian.yaml" --region us-east --data-dir "$work/data" >"$work/node.log" 2>&1 &
    node=$!
    until curl -sf http://127.0.0.1:7401/v1/health/ready >/dev/null; do sleep 0.2; done
    wrk -t2 -c16 -d10s -s bench/put.lua http://127.0.0.1:7401 >/dev/null
    pid=$(pgrep -f "region us-east --data-dir $work/data" | head -1)
    before=$(awk '{print $14 + $15}' /proc/$pid/stat)
    out=$(wrk -t2 -c16 -d15s --latency -s bench/put.lua http://127.0.0.1:7401)
    after=$(awk '{print $14 + $15}' /proc/$pid/stat)
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    cpu=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN {printf "%.0f us", t / hz / n * 1e6}')
    printf "%-6s %-6s %10s %10s %14s\n" "$round" "$ratio" "$rps" "$p99" "$cpu"
    kill $node; wait $node 2>/dev/null || true; node=""
  done
done
