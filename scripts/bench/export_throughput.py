"""An export of many users, end to end on the local stack: users imported by the CLI into an
environment of their own, the export created by the `exports` binary, its job taken from the queue
and handed to the `export-worker` binary as Lambda's SQS event source would. Reports users per
second and the worker's peak RSS and CPU (moto on loopback: the rate says more about moto's Query
than about DynamoDB's)."""

from __future__ import annotations

import http.client
import json
import time
import uuid

import config
from config import log
from measure import Launch, cpu_seconds
from proxy import aws_json
from workload import Workload

QUEUE = "bench-exports"


def write_users(path, count: int) -> None:
    with open(path, "w") as f:
        for i in range(count):
            f.write(json.dumps({"id": str(uuid.uuid4()), "email": f"exp{i}@example.com", "firstName": "Exported",
                                "lastName": f"=HYPERLINK({i})", "metadata": {"row": i}}) + "\n")


def create_bucket(moto_port: int, bucket: str) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=10)
    try:
        conn.request("PUT", f"/{bucket}", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"})
        conn.getresponse().read()
    finally:
        conn.close()


def sqs_event(message: dict) -> bytes:
    """The message as Lambda's SQS event source delivers it."""
    return json.dumps({"Records": [{
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{QUEUE}", "awsRegion": "us-east-1",
    }]}).encode()


def export_throughput(base_env: dict[str, str], moto_port: int, seeder, cli, users: int) -> dict:
    created = json.loads(cli(base_env, "create-environment", "--name", "export"))
    path = config.LOGS / "export-users.jsonl"
    write_users(path, users)
    started = time.monotonic()
    cli(base_env, "import", created["environmentId"], str(path))
    log(f"  export: {users} users imported in {time.monotonic() - started:.0f} s")
    create_bucket(moto_port, base_env["EXPORT_BUCKET"])
    aws_json(moto_port, "sqs", "1.0", "AmazonSQS.PurgeQueue", {"QueueUrl": base_env["EXPORT_QUEUE_URL"]})

    work = Workload(created["environmentId"], created["apiKey"], seeder)
    launch = Launch("exports", base_env)
    try:
        launch.wait_ready()
        _, body, _ = launch.api.invoke(work.event("exports"))
    finally:
        launch.stop()
    if json.loads(body).get("statusCode") != 201:
        raise RuntimeError(f"exports answered {body[:300]!r}")
    messages = aws_json(moto_port, "sqs", "1.0", "AmazonSQS.ReceiveMessage",
                        {"QueueUrl": base_env["EXPORT_QUEUE_URL"], "MaxNumberOfMessages": 1}).get("Messages", [])
    if not messages:
        raise RuntimeError("the export's job is not on the queue")

    worker = Launch("export-worker", base_env)
    try:
        worker.wait_ready()
        cpu_before = cpu_seconds(worker.proc.pid) or 0.0
        _, answer, seconds = worker.api.invoke(sqs_event(messages[0]), timeout=3600)
        cpu = (cpu_seconds(worker.proc.pid) or 0.0) - cpu_before
    finally:
        rss_kb = worker.stop()
    if json.loads(answer).get("batchItemFailures"):
        raise RuntimeError(f"export-worker reported {answer[:300]!r}; see {worker.log_path}")
    log(f"  export: {users} users in {seconds:.1f} s, peak RSS {rss_kb} kB")
    return {"users": users, "seconds": seconds, "cpu": cpu, "rss_kb": rss_kb}


def report(result: dict) -> str:
    users, seconds = result["users"], result["seconds"]
    return (f"\nExport of {users} users (export-worker, one SQS job, CSV to S3 by multipart upload): "
            f"{seconds:.1f} s, {users / seconds:.0f} users/s, {result['cpu'] / users * 1e6:.0f} µs of CPU per user, "
            f"peak RSS {(result['rss_kb'] or 0) / 1024:.1f} MB (moto on loopback: its Query sets the pace).\n")
