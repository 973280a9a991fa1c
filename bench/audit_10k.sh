#!/usr/bin/env bash
# `scopewatch audit` against a simulated 10 000-client org: wall time, peak memory of the audit
# process, and the number of upstream calls (issue 3: nothing per client).
set -euo pipefail
cd "$(dirname "$0")/.."
clients="${CLIENTS:-10000}"
cargo build --release --quiet
bin=target/release/scopewatch
log=$(mktemp)
"$bin" sim --listen 127.0.0.1:0 --clients "$clients" --roles 250 --seed 7 \
  --client-id bench --client-secret bench-secret >"$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do grep -q http "$log" && break; sleep 0.1; done
base=$(grep -o 'http://127.0.0.1:[0-9]*' "$log")
export GENESYS_OAUTH_CLIENT_ID=bench GENESYS_OAUTH_CLIENT_SECRET=bench-secret
export GENESYS_API_BASE_URL="$base" GENESYS_LOGIN_BASE_URL="$base"
echo "clients: $clients (+ auditor), roles: 250 (+ auditor role)"
for run in 1 2 3; do
  /usr/bin/time -f "audit run $run: %e s wall, %M KiB peak RSS" "$bin" audit --output /tmp/sw-bench-report.json
done
python3 -c "import json; r=json.load(open('/tmp/sw-bench-report.json')); print('report clients:', r['summary']['total_clients'], 'high risk:', r['summary']['high_risk_count'])"
rm -f /tmp/sw-bench-report.json
