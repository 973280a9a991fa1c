"""Shared by the checks that validate a `scopewatch audit --format ...` output: starts the
simulator on a free loopback port, runs one audit against it, and returns the output text.
"""

import os
import re
import subprocess
import sys


def audit_output(binary, fmt, client_id, clients=150):
    """stdout of `scopewatch audit --format FMT` against a simulator of `clients` clients."""
    secret = f"{client_id}-secret"
    sim = subprocess.Popen(
        [binary, "sim", "--listen", "127.0.0.1:0", "--clients", str(clients),
         "--client-id", client_id, "--client-secret", secret],
        stdout=subprocess.PIPE, text=True)
    try:
        base = re.search(r"(http://127\.0\.0\.1:\d+)", sim.stdout.readline()).group(1)
        env = dict(os.environ, GENESYS_OAUTH_CLIENT_ID=client_id, GENESYS_OAUTH_CLIENT_SECRET=secret,
                   GENESYS_API_BASE_URL=base, GENESYS_LOGIN_BASE_URL=base)
        out = subprocess.run([binary, "audit", "--format", fmt], env=env,
                             capture_output=True, text=True, timeout=120)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    if out.returncode != 0:
        sys.exit(f"audit failed ({out.returncode}): {out.stderr}")
    return out.stdout
