#!/usr/bin/env bash
# Generates and serves a 100 000-client org, times the client listing and reads the simulator's
# peak memory. Targets (issue 2): listing answered in under 2 s, simulator under 1 GiB.
set -euo pipefail
clients="${CLIENTS:-100000}"
source "$(dirname "$0")/lib.sh"
start_ns=$(date +%s%N)
start_sim "$clients" 300
ready_ns=$(date +%s%N)
base=$sim_base
pid=$sim_pid
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
