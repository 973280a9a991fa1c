#!/usr/bin/env python3
"""The compact JSON report's size at N clients, with the bytes of each field summed over every
client and finding: `scopewatch sim --clients N --roles 250 --seed 7`, then `scopewatch audit
--output FILE` (the harness's org). Usage: report_size.py BINARY [CLIENTS] [KEEP_REPORT_AS]"""

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter


def compact(value):
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def audit(binary, clients, out):
    sim = subprocess.Popen(
        [binary, "sim", "--listen", "127.0.0.1:0", "--clients", str(clients), "--roles", "250",
         "--seed", "7", "--client-id", "bench", "--client-secret", "bench-secret"],
        stdout=subprocess.PIPE, text=True)
    try:
        base = re.search(r"(http://127\.0\.0\.1:\d+)", sim.stdout.readline()).group(1)
        env = dict(os.environ, GENESYS_OAUTH_CLIENT_ID="bench", GENESYS_OAUTH_CLIENT_SECRET="bench-secret",
                   GENESYS_API_BASE_URL=base, GENESYS_LOGIN_BASE_URL=base, SCOPEWATCH_MAX_ENTITIES="200000")
        subprocess.run([binary, "audit", "--output", out], env=env, check=True, timeout=900,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        sim.terminate()
        sim.wait(timeout=60)


def breakdown(report):
    fields = Counter()
    for c in report["clients"]:
        for k, v in c.items():
            fields[k] += compact(v) + len(k) + 3
            if k == "findings":
                for f in v:
                    for fk, fv in f.items():
                        fields["findings." + fk] += compact(fv) + len(fk) + 3
    for k, v in report.items():
        if k != "clients":
            fields["(report) " + k] += compact(v)
    return fields


def main():
    binary = sys.argv[1]
    clients = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    with tempfile.TemporaryDirectory() as work:
        out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(work, "report.json")
        audit(binary, clients, out)
        size = os.path.getsize(out)
        with open(out, encoding="utf-8") as f:
            report = json.load(f)
    findings = sum(len(c.get("findings", [])) for c in report["clients"])
    print(f"{size} bytes, {len(report['clients'])} clients, {findings} findings")
    for k, v in breakdown(report).most_common(40):
        print(f"{v:>12,}  {k}")


if __name__ == "__main__":
    main()
