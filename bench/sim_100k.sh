#!/usr/bin/env bash
# Generates and serves a 100 000-client org, times the client listing and reads the simulator's
# peak memory. Targets (issue 2): listing answered in under 2 s, simulator under 1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${CLIENTS:-100000}"
cargo build --release --quiet
bin=target/release/scopewatch
log=$(mktemp)
start_ns=$(date +%s%N)
"$bin" sim --listen 127.0.0.1:0 --clients "$clients" --roles 300 --seed 7 \
  --client-id bench --client-secret bench-secret >"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do grep -q http "$log" && break; sleep 0.1; done
ready_ns=$(date +%s%N)
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$log")
token=$(curl -s -u bench:bench-secret -d grant_type=client_credentials "$base/oauth/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "clients: $clients (+ auditor)"
echo "generate + start: $(( (ready_ns - start_ns) / 1000000 )) ms"
for run in 1 2 3; do
  curl -s -o /tmp/sw-bench-listing.json -H "Authorization: Bearer $token" \
    -w "listing run $run: %{time_total} s, %{size_download} bytes, HTTP %{http_code}\n" \
    "$base/api/v2/oauth/clients"
done
python3 - <<'PY'
import json
body = json.load(open("/tmp/sw-bench-listing.json"))
print(f"entities parsed: {len(body['entities'])}")
PY
echo "simulator peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$pid/status)"
rm -f /tmp/sw-bench-listing.json
