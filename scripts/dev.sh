#!/usr/bin/env bash
# Runs userfields locally: installs what is missing, starts moto (DynamoDB + SES) on loopback,
# compiles the CLI and every function (cargo's progress shown), creates the table, the SES sender
# and a demo environment, prints its id and API key, then serves every function with
# `cargo lambda watch` on http://127.0.0.1:9000/lambda-url/<function>/...
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_python_tools cargo-lambda
mkdir -p .local
MOTO_PORT=${MOTO_PORT:-5050}
start_moto "$MOTO_PORT" .local/moto.log
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT

export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export TABLE_NAME=${TABLE_NAME:-userfields}
export EMAIL_FROM=${EMAIL_FROM:-no-reply@userfields.local}
# The code-hashing key lives in Secrets Manager, as deployed (moto here): a random one per run,
# read by update-user and verify-email-otp at start-up. No key is in any environment variable.
export OTP_HMAC_KEY_SECRET=${OTP_HMAC_KEY_SECRET:-userfields-otp-key}
python3 - <<'PY'
import os, secrets, boto3
client = boto3.client("secretsmanager", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
try:
    client.create_secret(Name=os.environ["OTP_HMAC_KEY_SECRET"], SecretString=secrets.token_hex(32))
except client.exceptions.ResourceExistsException:
    pass
PY
# The KMS key (moto here) each environment's JWT signing key is encrypted under, as the stack's
# SigningKeysKmsKey; the CLI needs it to make and rotate signing keys.
SIGNING_KMS_KEY_ID=$(python3 - <<'PY'
import os, boto3
kms = boto3.client("kms", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
alias = "alias/userfields-signing-keys"
try:
    print(kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"])
except kms.exceptions.NotFoundException:
    key = kms.create_key(Description="userfields signing keys (local)")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key)
    print(key)
PY
)
export SIGNING_KMS_KEY_ID
# Token issuers (and the JWKS they point at) are built from this: the local end-user gateway.
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:9100}
export RUST_LOG=${RUST_LOG:-info}

# One build of the CLI and every function binary, with cargo's progress shown: `cargo lambda watch`
# runs `cargo run --bin <function>` with the same packages and profile, so it finds them built and
# the first request to a function does not wait for a silent compile.
echo "== compiling the userfields CLI and every function binary (cargo build --bins)" >&2
echo "   the first build takes several minutes on a small machine; later ones take seconds" >&2
cargo build --bins
./target/debug/userfields create-table
./target/debug/userfields verify-sender
demo=$(./target/debug/userfields create-environment --name demo)
env_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["environmentId"])' "$demo")
api_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["apiKey"])' "$demo")
cat <<INFO

  moto (DynamoDB + SES):  $AWS_ENDPOINT_URL
  last code sent to an address:
                          curl -s '$AWS_ENDPOINT_URL/userfields-dev/last-email?to=new@example.com'
                          (every email kept for it, oldest first: .../userfields-dev/emails?to=...)
  environmentId:          $env_id
  apiKey:                 $api_key

  curl -s -X POST http://127.0.0.1:9000/lambda-url/create-user/environments/$env_id/users \\
    -H "Authorization: Bearer $api_key" -H 'Content-Type: application/json' \\
    -d '{"email":"ada@example.com","firstName":"Ada"}'

INFO
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port 9000
