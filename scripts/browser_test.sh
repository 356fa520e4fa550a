#!/usr/bin/env bash
# The profile UI in a real browser: starts moto, builds the functions, creates an environment,
# serves the functions with `cargo lambda watch` behind the local gateway, and runs
# tests/browser/profile_test.py and tests/browser/dashboard_test.py in headless Chromium (Debian's chromium + chromedriver, installed
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
python3 scripts/local_poller.py --queue-url "$EXPORT_QUEUE_URL" --function export-worker --lambda-port "$lambda_port" 2>target/browser/poller.log &
pids+=($!)
python3 scripts/local_poller.py --stream-table "$TABLE_NAME" --function user-events --lambda-port "$lambda_port" 2>target/browser/stream-poller.log &
pids+=($!)
python3 scripts/local_poller.py --queue-url "$WEBHOOK_QUEUE_URL" --function webhook-delivery --lambda-port "$lambda_port" 2>target/browser/delivery-poller.log &
pids+=($!)
for _ in $(seq 1 300); do
  curl -s -o /dev/null "http://127.0.0.1:$gateway_port/web/demo.html" && curl -s -o /dev/null "http://127.0.0.1:$lambda_port/" && break
  sleep 0.2
done

timeout 600 python3 tests/browser/profile_test.py --gateway "http://127.0.0.1:$gateway_port" --moto "$AWS_ENDPOINT_URL" \
  --environment "$env_id" --api-key "$api_key" --screenshot target/browser/profile.png
# The operator's dashboard at /dashboard/, in an environment it makes with the CLI.
timeout 600 python3 tests/browser/dashboard_test.py --gateway "http://127.0.0.1:$gateway_port" --moto "$AWS_ENDPOINT_URL" \
  --screenshots target/browser

# Dynamic's own clients on the routes of Dynamic's protocol (from the lockfile; telemetry off,
# loopback only): the admin client, the framework-free end-user client, its generated SDKApi.
# Each is bounded: a client that keeps its event loop alive fails the run instead of hanging CI.
[ -f tests/dynamic/node_modules/.package-lock.json ] && cmp -s tests/dynamic/package-lock.json tests/dynamic/.installed-lock \
  || { npm ci --prefix tests/dynamic --no-audit --no-fund --loglevel=error && cp tests/dynamic/package-lock.json tests/dynamic/.installed-lock; }
gateway="http://127.0.0.1:$gateway_port"
# An environment of their own, with the default field configuration (the browser test changed
# the first one's).
created=$(./target/debug/userfields create-environment --name dynamic)
sdk_env=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["environmentId"])' "$created")
sdk_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$created")
timeout 300 node tests/dynamic/revoke_sessions.mjs "$gateway" "$AWS_ENDPOINT_URL" "$sdk_env" "$sdk_key"
timeout 300 node tests/dynamic/sdk_client.mjs "$gateway" "$AWS_ENDPOINT_URL" "$sdk_env" "$sdk_key"
timeout 300 node tests/dynamic/sdk_api.mjs "$gateway" "$AWS_ENDPOINT_URL" "$sdk_env"
# The admin API's resources in a third environment, the second one's key as the stranger's.
created=$(./target/debug/userfields create-environment --name admin)
admin_env=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["environmentId"])' "$created")
admin_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$created")
timeout 300 node tests/dynamic/admin_api.mjs "$gateway" "$admin_env" "$admin_key" "$sdk_key"
# External authentication with an issuer the test makes, in an environment of its own.
created=$(./target/debug/userfields create-environment --name external)
external_env=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["environmentId"])' "$created")
external_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$created")
timeout 300 node tests/dynamic/external_auth.mjs "$gateway" "$external_env" "$external_key"
