#!/usr/bin/env bash
# Runs every test: installs what is missing, starts its own moto server on a free loopback port,
# lints the SAM template (cfn-lint, sam validate), runs the local gateway's tests (tests/gateway),
# the unit and integration tests, stops moto, then runs the profile UI in headless Chromium against
# the local stack (scripts/browser_test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_python_tools cfn-lint sam
mkdir -p target
port=$(free_port)
start_moto "$port" target/moto-test.log
trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test

echo "== cfn-lint template.yaml"
cfn-lint template.yaml
echo "== sam validate --lint"
SAM_CLI_TELEMETRY=0 sam validate --lint --template template.yaml --region us-east-1
echo "== local gateway tests"
python3 -m unittest discover -s tests/gateway -p 'test_*.py' -v
echo "== cargo test (moto at $AWS_ENDPOINT_URL)"
cargo test --workspace --locked "$@"
echo "== browser test of the profile UI (headless Chromium against the local stack)"
scripts/browser_test.sh
