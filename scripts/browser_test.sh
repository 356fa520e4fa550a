#!/usr/bin/env bash
# The profile UI in a real browser: starts moto, builds the functions, creates an environment,
# serves the functions with `cargo lambda watch` behind the local gateway, and runs
# tests/browser/profile_test.py in headless Chromium (Debian's chromium + chromedriver, installed
# if missing), then Dynamic's own npm client on its routes (tests/dynamic/). Called by
# scripts/test.sh; runs alone too. Screenshots go to target/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_python_tools cargo-lambda
ensure_chromium
mkdir -p target/browser
moto_port=$(free_port)
gateway_port=$(free_port)
lambda_port=$(free_port)
start_moto "$moto_port" target/browser/moto.log
pids=("$MOTO_PID")
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

TABLE_NAME=userfields-browser local_stack_env "$moto_port" "$gateway_port"
export RUST_LOG=warn
create_local_environment browser >/dev/null

cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$lambda_port" >target/browser/lambda.log 2>&1 &
pids+=($!)
python3 scripts/local_gateway.py --port "$gateway_port" --lambda-port "$lambda_port" 2>target/browser/gateway.log &
pids+=($!)
for _ in $(seq 1 300); do
  curl -s -o /dev/null "http://127.0.0.1:$gateway_port/web/demo.html" && curl -s -o /dev/null "http://127.0.0.1:$lambda_port/" && break
  sleep 0.2
done

python3 tests/browser/profile_test.py --gateway "http://127.0.0.1:$gateway_port" --moto "$AWS_ENDPOINT_URL" \
  --environment "$env_id" --api-key "$api_key" --screenshot target/browser/profile.png

# Dynamic's own admin client on the routes of Dynamic's protocol (from the lockfile; no telemetry).
[ -d tests/dynamic/node_modules ] || npm ci --prefix tests/dynamic --no-audit --no-fund --loglevel=error
node tests/dynamic/revoke_sessions.mjs "http://127.0.0.1:$gateway_port" "$AWS_ENDPOINT_URL" "$env_id" "$api_key"
