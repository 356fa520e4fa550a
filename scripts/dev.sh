#!/usr/bin/env bash
# Runs userfields locally: installs what is missing, starts moto (DynamoDB + SES) on loopback,
# compiles the CLI and every function (cargo's progress shown), creates the table, the SES sender
# and a demo environment, prints its id and API key, then serves every function with
# `cargo lambda watch` on http://127.0.0.1:9000/lambda-url/<function>/..., and through a local
# gateway (API Gateway's routes, CORS, the profile UI demo, the dashboard) on http://127.0.0.1:9100
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_python_tools cargo-lambda
mkdir -p .local
MOTO_PORT=${MOTO_PORT:-5050}
start_moto "$MOTO_PORT" .local/moto.log
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT

local_stack_env "$MOTO_PORT" "${GATEWAY_PORT:-9100}"
export RUST_LOG=${RUST_LOG:-info}

echo "== compiling the userfields CLI and every function binary (cargo build --bins)" >&2
echo "   the first build takes several minutes on a small machine; later ones take seconds" >&2
create_local_environment demo
cat <<INFO

  moto (DynamoDB + SES):  $AWS_ENDPOINT_URL
  last code sent to an address:
                          curl -s '$AWS_ENDPOINT_URL/userfields-dev/last-email?to=new@example.com'
                          (every email kept for it, oldest first: .../userfields-dev/emails?to=...)
  environmentId:          $env_id
  apiKey:                 $api_key
  profile UI demo:        http://127.0.0.1:${GATEWAY_PORT:-9100}/web/demo.html?environmentId=$env_id&apiBase=http://127.0.0.1:${GATEWAY_PORT:-9100}
  operator's dashboard:   http://127.0.0.1:${GATEWAY_PORT:-9100}/dashboard/?environmentId=$env_id
                          (sign in with the apiKey above)
  (the gateway on :${GATEWAY_PORT:-9100} routes as API Gateway would, with CORS, to the functions)

  curl -s -X POST http://127.0.0.1:9000/lambda-url/create-user/environments/$env_id/users \\
    -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \\
    -d '{"email":"ada@example.com","firstName":"Ada"}'

INFO
python3 scripts/local_gateway.py --port "${GATEWAY_PORT:-9100}" --lambda-port 9000 &
GATEWAY_PID=$!
# Exports: the queue handed to the export worker, as Lambda's event source mapping would.
python3 scripts/local_poller.py --queue-url "$EXPORT_QUEUE_URL" --function export-worker --lambda-port 9000 &
POLLER_PID=$!
# Events: the table's stream to the stream function, the webhook queue to the delivery function.
python3 scripts/local_poller.py --stream-table "$TABLE_NAME" --function user-events --lambda-port 9000 &
STREAM_PID=$!
python3 scripts/local_poller.py --queue-url "$WEBHOOK_QUEUE_URL" --function webhook-delivery --lambda-port 9000 &
DELIVERY_PID=$!
trap 'kill "$MOTO_PID" "$GATEWAY_PID" "$POLLER_PID" "$STREAM_PID" "$DELIVERY_PID" 2>/dev/null || true' EXIT
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port 9000
