#!/usr/bin/env bash
# `scopewatch audit` against a simulated 10 000-client org: wall time, peak memory of the audit
# process, and the number of upstream calls (issue 3: nothing per client).
set -euo pipefail
clients="${CLIENTS:-10000}"
source "$(dirname "$0")/lib.sh"
start_sim "$clients" 250
echo "clients: $clients (+ auditor), roles: 250 (+ auditor role)"
for run in 1 2 3; do
  /usr/bin/time -f "audit run $run: %e s wall, %M KiB peak RSS" "$bin" audit --output /tmp/sw-bench-report.json
done
python3 -c "import json; r=json.load(open('/tmp/sw-bench-report.json')); print('report clients:', r['summary']['total_clients'], 'high risk:', r['summary']['high_risk_count'])"
rm -f /tmp/sw-bench-report.json
