# Shared by the bench scripts (source it): a release build and a simulated org on loopback.
# After `start_sim CLIENTS ROLES`: $bin, $sim_pid, $sim_base; the simulator stops on exit.

cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/scopewatch
bench_tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$bench_tmp"' EXIT

start_sim() {
  "$bin" sim --listen 127.0.0.1:0 --clients "$1" --roles "$2" --seed 7 \
    --client-id bench --client-secret bench-secret >"$bench_tmp/sim.log" &
  sim_pid=$!
  for _ in $(seq 1 600); do grep -q http "$bench_tmp/sim.log" && break; sleep 0.1; done
  sim_base=$(grep -o 'http://127.0.0.1:[0-9]*' "$bench_tmp/sim.log")
  export GENESYS_OAUTH_CLIENT_ID=bench GENESYS_OAUTH_CLIENT_SECRET=bench-secret
  export GENESYS_API_BASE_URL="$sim_base" GENESYS_LOGIN_BASE_URL="$sim_base"
}
