#!/usr/bin/env bash
# Regenerates the README's screenshots (docs/report.png, client.png, diff.png, orgs.png) from
# the current demo: builds scopewatch, installs playwright-core under target/ci-npm and Debian's
# chromium when missing (as .ci/run does), and runs the Chromium check with a screenshot dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --quiet
npm_dir=target/ci-npm
if [ ! -d "$npm_dir/node_modules/playwright-core" ]; then
  mkdir -p "$npm_dir"
  npm install --silent --no-audit --no-fund --ignore-scripts --prefix "$npm_dir" playwright-core@1.49.1
fi
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
node tests/browser/report_page.mjs target/debug/scopewatch docs
echo "wrote docs/report.png docs/client.png docs/diff.png docs/orgs.png"
