"""Cold start, warm latency, AWS calls and memory of every userfields function.

Builds release binaries, runs moto (local DynamoDB + SES) behind a counting proxy, and runs each
Lambda binary against a local stand-in for the Lambda Runtime API, as Lambda would: the binary
polls `/next`, gets an API Gateway v2 event, posts the response. Results are compared with three
floors built with the same profile: `hello-floor` (a bare lambda_http function), `store-floor`
(the same plus one DynamoDB GetItem through the functions' own store) and `sdk-floor` (that call
through the AWS SDK's client). What each row sends is data: rows.toml. docs/benchmarks.md says
what each column means and holds the current table against the goals.

    python3 scripts/bench [--invokes 200] [--cold-runs 5] [--no-build] [--only ROW ...] [--export-users N]
                          [--event-updates N]

Prints a Markdown table and writes it to target/bench-results.md. Python 3.11, standard library
only; every process it starts is stopped on exit, on Ctrl-C and on errors; only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import config
from config import log
from cost import memory_report
from event_latency import event_latency, report as events_report
from export_throughput import export_throughput, report as export_report
from measure import Launch, calls_between, measure
from processes import cleanup, start_moto
from proxy import CallCounter, aws_json, calibrate_hop, make_proxy
from receiver import Receiver
from report import ms, report
from external_issuer import AUDIENCE, Issuer
from workload import Seeder, Workload


def build() -> None:
    packages = [*dict.fromkeys(r["function"] for r in config.rows()), *config.floors(), "userfields-cli"]
    cmd = ["cargo", "build", "--release"] + [a for p in packages for a in ("-p", p)]
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, cwd=config.ROOT, check=True, timeout=3600)


def cli(base_env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(config.binary("userfields")), *args], env=base_env, cwd=config.ROOT, capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"userfields {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def import_throughput(base_env: dict[str, str], counter: CallCounter) -> tuple[float, int]:
    """Times the CLI importing IMPORT_USERS users into a fresh environment (reported, not asserted)."""
    env = json.loads(cli(base_env, "create-environment", "--name", "import"))["environmentId"]
    path = config.LOGS / "import.jsonl"
    with open(path, "w") as f:
        for i in range(config.IMPORT_USERS):
            f.write(json.dumps({"id": str(uuid.uuid4()), "email": f"imp{i}@example.com", "firstName": "Imported",
                                "metadata": {"row": i}}) + "\n")
    before = counter.snapshot()
    started = time.monotonic()
    cli(base_env, "import", env, str(path))
    seconds = time.monotonic() - started
    calls, _ = calls_between(before, counter.snapshot())
    log(f"  import: {config.IMPORT_USERS} users in {seconds:.1f} s")
    return seconds, sum(calls.values())


def sign_in(base_env: dict[str, str], work: Workload) -> str:
    """Signs a user in through the sdk-email-verifications binary itself (set-up, not measured):
    the bearer token (`minifiedJwt`) the session rows use."""
    launch = Launch("sdk-email-verifications", base_env)
    try:
        launch.wait_ready()
        _, body, _ = launch.api.invoke(work.event("sdk-email-verifications"))
    finally:
        launch.stop()
    response = json.loads(body)
    if response.get("statusCode") != 200:
        raise RuntimeError(f"sdk-email-verifications answered {body[:500]!r}")
    return json.loads(response["body"])["minifiedJwt"]


def on_alarm(*_) -> None:
    raise TimeoutError("bench time limit reached")


def on_sigterm(*_) -> None:
    raise KeyboardInterrupt


def main() -> int:
    names = [r["name"] for r in config.rows()]
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invokes", type=int, default=200, help="warm invokes per binary")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold starts per binary")
    parser.add_argument("--no-build", action="store_true", help="use the existing target/release binaries")
    parser.add_argument("--max-seconds", type=int, default=1200, help="time limit after the build")
    parser.add_argument("--only", nargs="*", choices=names, help="measure only these rows")
    parser.add_argument("--no-import", action="store_true", help="skip the CLI import throughput run")
    parser.add_argument("--export-users", type=int, default=config.EXPORT_USERS,
                        help="users in the export throughput run (0 skips it)")
    parser.add_argument("--event-updates", type=int, default=config.EVENT_UPDATES,
                        help="user updates in the events throughput and latency run (0 skips it)")
    parser.add_argument("--bin-dir", type=Path, help="measure the functions built here (default target/release)")
    parser.add_argument("--wrap", help="run each function under this command (e.g. 'valgrind --tool=callgrind')")
    args = parser.parse_args()
    config.BIN_DIR = (args.bin_dir or config.RELEASE).resolve()
    config.WRAP = shlex.split(args.wrap) if args.wrap else []

    if not args.no_build:
        build()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.max_seconds)

    _, moto_port = start_moto()
    counter = CallCounter()
    proxy = make_proxy(moto_port, counter)
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.server_address[1]}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "TABLE_NAME": config.TABLE,
        "EMAIL_FROM": "no-reply@userfields.local",
        # The functions that send or check codes read the code-hashing key from Secrets Manager at init.
        "OTP_HMAC_KEY_SECRET": config.OTP_SECRET,
        "PUBLIC_BASE_URL": "https://bench.userfields.test",
        # The external issuer's JWKS is served on loopback (external_issuer.py).
        "EXTERNAL_AUTH_ALLOW_LOOPBACK_HTTP": "1",
        "RUST_LOG": os.environ.get("RUST_LOG", "info"),
        # The exports row queues its job here (the worker is not run: its throughput is its own
        # measurement, docs/benchmarks.md).
        "EXPORT_BUCKET": "bench-exports",
        "EXPORT_QUEUE_URL": f"http://127.0.0.1:{proxy.server_address[1]}/123456789012/bench-exports",
        # Events and webhooks (issue 28): the bus and the FIFO delivery queue in moto, and webhook
        # targets on 127.0.0.1 allowed (the local development setting): the receiver is receiver.py.
        "EVENT_BUS_NAME": "bench-events",
        "WEBHOOK_QUEUE_URL": f"http://127.0.0.1:{proxy.server_address[1]}/123456789012/{config.WEBHOOK_QUEUE}",
        "WEBHOOKS_ALLOW_LOOPBACK_HTTP": "1",
    }
    for old in config.LOGS.glob("*.log"):
        if old.name != "moto.log":
            old.unlink()
    aws_json(moto_port, "secretsmanager", "1.1", "secretsmanager.CreateSecret",
             {"Name": config.OTP_SECRET, "SecretString": config.OTP_KEY})
    aws_json(moto_port, "sqs", "1.0", "AmazonSQS.CreateQueue", {"QueueName": "bench-exports"})
    aws_json(moto_port, "sqs", "1.0", "AmazonSQS.CreateQueue",
             {"QueueName": config.WEBHOOK_QUEUE, "Attributes": {"FifoQueue": "true"}})
    aws_json(moto_port, "events", "1.1", "AWSEvents.CreateEventBus", {"Name": base_env["EVENT_BUS_NAME"]})
    cli(base_env, "create-table")
    cli(base_env, "verify-sender")
    # The KMS key signing keys are encrypted under (the stack's SigningKeysKmsKey).
    kms_key = aws_json(moto_port, "kms", "1.1", "TrentService.CreateKey", {})["KeyMetadata"]["KeyId"]
    # Webhook secrets are sealed under it too, as locally (scripts/lib.sh); the stack has a key of its own.
    base_env["WEBHOOK_KMS_KEY_ID"] = kms_key
    created = json.loads(cli({**base_env, "SIGNING_KMS_KEY_ID": kms_key}, "create-environment", "--name", "bench"))
    # Seeding talks to moto directly: its calls are not counted.
    work = Workload(created["environmentId"], created["apiKey"],
                    Seeder({**base_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}"}))
    receiver = Receiver(counter)
    work.receiver_url = receiver.url
    work.users["main"] = work.new_user()
    work.users["verify"] = work.new_user()
    work.signed_in(sign_in(base_env, work))
    # The external-auth row: the environment trusts a local issuer; its token makes a user at the
    # first invoke and signs that user in at every later one.
    issuer = Issuer()
    cli(base_env, "trust-issuer", work.env_id, "--iss", issuer.iss, "--aud", AUDIENCE, "--jwks-url", issuer.jwks_url)
    work.external_jwt = issuer.token("bench-external-1", f"ext{work.tag}@example.com")
    log(f"environment {work.env_id}, users {work.users}")
    hop = calibrate_hop(proxy.server_address[1], counter, config.TABLE)
    log(f"proxy hop: {ms(hop)} ms per call")

    # Every init ratio divides by the floor's median start: more cold starts steady it (each
    # takes a few ms, the floors make no slow call).
    floor_cold_runs = max(args.cold_runs, config.FLOOR_COLD_RUNS)
    floor, store_floor, sdk_floor = (measure(f, base_env, work, counter, floor_cold_runs, args.invokes) for f in config.floors())
    log(f"  floors: init {ms(floor['init'])} ms; CPU over floor {ms(store_floor['cpu'] - floor['cpu'])} ms (store), "
        f"{ms(sdk_floor['cpu'] - floor['cpu'])} ms (SDK)")
    results = []
    for name in args.only or names:
        invokes = max(10, args.invokes // config.row(name).get("invokes_divisor", 1))
        r = measure(name, base_env, work, counter, args.cold_runs, invokes)
        log(f"  {name}: init {ms(r['init'])} ms, first {ms(r['first'])} ms, warm p50 {ms(r['warm_p50'])} ms, "
            f"status {r['first_status']} / {r['warm_status']}")
        results.append(r)
    imported = None if args.no_import else import_throughput(base_env, counter)
    exported = export_throughput(base_env, moto_port, work.seed, cli, args.export_users) if args.export_users else None
    evented = (event_latency(base_env, moto_port, kms_key, receiver, cli, args.event_updates)
               if args.event_updates else None)
    signal.alarm(0)

    table = report(results, floor, store_floor, sdk_floor, args.invokes, args.cold_runs, hop) + memory_report(results)
    if imported:
        table += (f"\n`userfields import` of {config.IMPORT_USERS} users (8 at a time) into a new environment: "
                  f"{imported[0]:.1f} s, {config.IMPORT_USERS / imported[0]:.0f} users/s, {imported[1]} DynamoDB calls "
                  f"(moto on loopback: says nothing about AWS).\n")
    if exported:
        table += export_report(exported)
    if evented:
        table += events_report(evented)
    header = (f"# Benchmark results\n\n{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
              f"{os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().machine}, "
              f"load average {os.getloadavg()[0]:.2f} at the end\n\n")
    (config.TARGET / "bench-results.md").write_text(header + table)
    print(table)
    log(f"written to {config.TARGET / 'bench-results.md'}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
    finally:
        cleanup()
