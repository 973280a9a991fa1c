#!/usr/bin/env bash
# Serves the report of a 10 000-client org and loads GET /report with wrk (Debian's `wrk`): the
# full JSON and its gzip are built once per audit, so a request only copies bytes. Also times a
# filtered request, which is serialized per request. Loopback only, bounded duration.
set -euo pipefail
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
clients="${CLIENTS:-10000}"
source "$(dirname "$0")/lib.sh"
start_sim "$clients" 250
work=$bench_tmp
SCOPEWATCH_LISTEN=127.0.0.1:0 SCOPEWATCH_DATABASE_URL="sqlite://$work/bench.db" \
  "$bin" serve 2>"$work/serve.log" &
serve=$!
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'serving the report at http://127.0.0.1:[0-9]*' "$work/serve.log" | grep -o 'http://.*' || true)
  [ -n "$url" ] && curl -sf "$url/readyz" >/dev/null && break
  sleep 0.1
done
echo "report of $clients clients: $(curl -s "$url/report" | wc -c) bytes JSON, $(curl -s -H 'Accept-Encoding: gzip' "$url/report" | wc -c) bytes gzip"
echo "-- GET /report, gzip (10 s, 2 threads, 16 connections)"
wrk -t2 -c16 -d10s -H 'Accept-Encoding: gzip' "$url/report" | grep -E 'Requests/sec|Latency|requests in'
echo "-- GET /report?risk_level=CRITICAL (serialized per request)"
wrk -t2 -c16 -d10s "$url/report?risk_level=CRITICAL" | grep -E 'Requests/sec|Latency|requests in'
echo "serve peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$serve/status)"
