# shellcheck shell=bash
# Shared by scripts/dev.sh and scripts/test.sh: installs the Python tools and runs moto.

ensure_python_tools() {
  # $@: the commands/modules that must exist; installs requirements-dev.txt when one is missing.
  local missing=0
  python3 -c 'import moto.server, flask, flask_cors' 2>/dev/null || missing=1
  for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing=1; done
  if [ "$missing" = 1 ]; then
    echo "installing Python tools from requirements-dev.txt" >&2
    python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt >&2
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_moto PORT LOGFILE: starts moto's server on loopback and waits until it answers.
start_moto() {
  local port=$1 log=$2
  python3 scripts/moto_serial.py -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto failed to start; see $log" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  echo "moto did not answer on port $port" >&2
  return 1
}

# local_stack_env MOTO_PORT GATEWAY_PORT: the environment every local function and the CLI run
# with against moto (exported), the OTP key secret and the KMS key for signing keys in moto.
local_stack_env() {
  local moto_port=$1 gateway_port=$2
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
  export TABLE_NAME=${TABLE_NAME:-userfields}
  export EMAIL_FROM=${EMAIL_FROM:-no-reply@userfields.local}
  # The code-hashing key lives in Secrets Manager, as deployed (moto here): a random one per run,
  # read at start-up by the functions that send or check codes. No key is in any variable.
  export OTP_HMAC_KEY_SECRET=${OTP_HMAC_KEY_SECRET:-userfields-otp-key}
  # Exports: the bucket and the export worker's queue (moto here; scripts/local_poller.py feeds
  # the queue to the worker as Lambda's event source mapping would).
  export EXPORT_BUCKET=${EXPORT_BUCKET:-userfields-exports}
  export EXPORT_QUEUE_URL=${EXPORT_QUEUE_URL:-$AWS_ENDPOINT_URL/123456789012/userfields-exports}
  # Events and webhooks: the bus, the FIFO delivery queue (scripts/local_poller.py feeds the
  # table's stream and this queue to their functions), webhook targets on 127.0.0.1 allowed
  # (the development setting; never in AWS) and a short first retry.
  export EVENT_BUS_NAME=${EVENT_BUS_NAME:-userfields-events}
  export WEBHOOK_QUEUE_URL=${WEBHOOK_QUEUE_URL:-$AWS_ENDPOINT_URL/123456789012/userfields-webhooks.fifo}
  export WEBHOOKS_ALLOW_LOOPBACK_HTTP=1 EXTERNAL_AUTH_ALLOW_LOOPBACK_HTTP=1 WEBHOOK_RETRY_BASE_SECONDS=${WEBHOOK_RETRY_BASE_SECONDS:-2}
  # The KMS key (moto here) each environment's JWT signing key is encrypted under, as the
  # stack's SigningKeysKmsKey; the CLI needs it to make and rotate signing keys. Locally it
  # seals webhook secrets too (the stack has a key of its own for them).
  SIGNING_KMS_KEY_ID=$(python3 scripts/local_secrets.py)
  export SIGNING_KMS_KEY_ID WEBHOOK_KMS_KEY_ID=$SIGNING_KMS_KEY_ID
  # Token issuers (and the JWKS they point at) are built from this: the local gateway.
  export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:$gateway_port}
}

# create_local_environment NAME: builds the CLI and every function, creates the table, the SES
# sender and an environment (with its signing key); sets env_id and api_key.
create_local_environment() {
  cargo build --bins
  ./target/debug/userfields create-table
  ./target/debug/userfields verify-sender
  local created
  created=$(./target/debug/userfields create-environment --name "$1")
  env_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["environmentId"])' "$created")
  api_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$created")
}

# ensure_chromium: headless Chromium and chromedriver from Debian's packages (no browser download).
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "installing chromium and chromium-driver (apt-get)" >&2
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium chromium-driver >&2
  fi
}
