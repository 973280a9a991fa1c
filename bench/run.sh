#!/usr/bin/env bash
# The performance harness (issue 10) in one command on a fresh machine: installs wrk and nginx
# from Debian (only when missing) and a virtualenv with the official Genesys Python SDK under
# target/, builds, measures every case in one run (bench/harness.py) and rewrites BENCHMARKS.md.
#   bench/run.sh           release build, full sizes (under 20 minutes on 2 cores)
#   bench/run.sh --smoke   debug build, a tiny org, a few seconds a case, BENCHMARKS.md untouched
# Case 9 (three replicas on PostgreSQL, bench/replicas.py) runs last in the full run; it needs a
# server where the role may create a database (SCOPEWATCH_BENCH_POSTGRES_URL, default the local
# one). Its smoke version (30 orgs x 20 clients) is a step of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=false
case "${1:-}" in
  --smoke) smoke=true ;;
  "") ;;
  *) echo "usage: bench/run.sh [--smoke]" >&2; exit 2 ;;
esac

missing=()
command -v wrk >/dev/null || missing+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} from Debian"
  apt-get update -qq
  # Packages may try to start their service on install; the harness runs its own nginx.
  policy=/usr/sbin/policy-rc.d
  added_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if $added_policy; then rm -f "$policy"; fi
fi

venv="${SCOPEWATCH_BENCH_VENV:-target/bench-venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "== virtualenv with the official SDK ($venv)"
  python3 -m venv "$venv"
fi
sdk_pin=$(grep -i '^purecloudplatformclientv2==' tests/requirements.txt)
"$venv/bin/pip" install --quiet --disable-pip-version-check "$sdk_pin"

# Case 9 (bench/replicas.py) needs a PostgreSQL whose role may create a database of its own.
postgres="${SCOPEWATCH_BENCH_POSTGRES_URL:-postgres://root@127.0.0.1:5432/postgres}"
if $smoke; then
  cargo build --quiet
  exec "$venv/bin/python" bench/harness.py target/debug/scopewatch --python "$venv/bin/python" --smoke
fi
cargo build --release --quiet
"$venv/bin/python" bench/harness.py target/release/scopewatch --python "$venv/bin/python" \
  --write BENCHMARKS.md
exec "$venv/bin/python" bench/replicas.py target/release/scopewatch --postgres "$postgres" \
  --write BENCHMARKS.md
