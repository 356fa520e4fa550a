"""Events end to end on the local stack (issue 28): user updates committed by the update-user
binary, the table's stream handed to the user-events binary and the webhook queue to the
webhook-delivery binary, as Lambda's event source mappings would (the stand-in of
scripts/local_poller.py, here in-process and idling 20 ms rather than 500), each message POSTed
to the bench's receiver. In a table of its own, so its stream holds only these writes.

1. Throughput: N updates committed first, then the stream drained through user-events (events per
   second, CPU per event), then the queue drained through webhook-delivery (CPU per delivery).
2. Latency: the pollers running, updates committed one at a time at a steady pace; for each, the
   time from its commit (the update's answer) to the receiver's 204 (p50, p99).

moto serves one request at a time (scripts/moto_serial.py): the rates say more about it than about
DynamoDB, SQS or EventBridge; the CPU figures are the functions' own."""

from __future__ import annotations

import json
import threading
import time

import config
from config import log
from measure import Launch, cpu_seconds, percentile
from proxy import aws_json
from workload import Seeder, fixture

TABLE = "userfields-bench-events"
USERS = 10           # the updates go round these users (one FIFO group each at the webhook)
PACE_SECONDS = 0.25  # between two commits in the latency run
IDLE_SECONDS = 0.02  # a poller's wait after finding nothing


def streams(moto_port: int, op: str, payload: dict) -> dict:
    return aws_json(moto_port, "dynamodb", "1.0", f"DynamoDBStreams_20120810.{op}", payload)


def sqs(moto_port: int, op: str, payload: dict) -> dict:
    return aws_json(moto_port, "sqs", "1.0", f"AmazonSQS.{op}", payload)


class StreamPoller:
    """The stream's new records, shard by shard, handed to user-events in batches of up to 100.
    A fresh iterator each read, as scripts/local_poller.py explains (moto replaces shards)."""

    def __init__(self, moto_port: int) -> None:
        self.port = moto_port
        self.arn = aws_json(moto_port, "dynamodb", "1.0", "DynamoDB_20120810.DescribeTable",
                            {"TableName": TABLE})["Table"]["LatestStreamArn"]
        self.last: dict[str, str] = {}

    def batches(self):
        for shard in streams(self.port, "DescribeStream", {"StreamArn": self.arn})["StreamDescription"]["Shards"]:
            sid = shard["ShardId"]
            position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.last[sid]}
                        if sid in self.last else {"ShardIteratorType": "TRIM_HORIZON"})
            it = streams(self.port, "GetShardIterator", {"StreamArn": self.arn, "ShardId": sid, **position})
            records = streams(self.port, "GetRecords", {"ShardIterator": it["ShardIterator"], "Limit": 100})["Records"]
            if records:
                self.last[sid] = records[-1]["dynamodb"]["SequenceNumber"]
                yield records

    def skip_to_end(self) -> None:
        while any(True for _ in self.batches()):
            pass

    def pump(self, launch: Launch) -> tuple[int, float]:
        """Hands every new record over, until the stream has none; (records, seconds the function took)."""
        handed, seconds = 0, 0.0
        while True:
            before = handed
            for records in self.batches():
                kind, body, took = launch.api.invoke(json.dumps({"Records": records}).encode(), timeout=300)
                if kind != "response" or json.loads(body).get("batchItemFailures"):
                    raise RuntimeError(f"user-events failed a batch: {body[:300]!r}; see {launch.log_path}")
                handed, seconds = handed + len(records), seconds + took
            if handed == before:
                return handed, seconds


def pump_queue(moto_port: int, queue_url: str, launch: Launch) -> int:
    """Hands the queue's messages to webhook-delivery one at a time, deleting each it did not
    report failed; the number delivered."""
    delivered = 0
    while True:
        got = sqs(moto_port, "ReceiveMessage", {"QueueUrl": queue_url, "MaxNumberOfMessages": 1,
                                                "AttributeNames": ["ApproximateReceiveCount"]}).get("Messages", [])
        if not got:
            return delivered
        m = got[0]
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": m.get("Attributes", {}), "eventSource": "aws:sqs"}]}
        kind, body, _ = launch.api.invoke(json.dumps(event).encode(), timeout=60)
        if kind == "response" and not json.loads(body).get("batchItemFailures"):
            sqs(moto_port, "DeleteMessage", {"QueueUrl": queue_url, "ReceiptHandle": m["ReceiptHandle"]})
            delivered += 1
        else:
            log(f"  events: a delivery failed ({body[:200]!r}); the queue hands it out again")


def event_latency(base_env: dict[str, str], moto_port: int, kms_key: str, receiver, cli, updates: int) -> dict:
    env = {**base_env, "TABLE_NAME": TABLE}
    cli(env, "create-table")
    created = json.loads(cli({**env, "SIGNING_KMS_KEY_ID": kms_key}, "create-environment", "--name", "events"))
    env_id = created["environmentId"]
    seed = Seeder({**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}"})
    seed("fields", environmentId=env_id, enable=["firstName"])
    users = [seed("user", environmentId=env_id, email=f"ev{i}@example.com")["userId"] for i in range(USERS)]
    seed("webhooks", environmentId=env_id, url=receiver.url, count=1)
    queue = base_env["WEBHOOK_QUEUE_URL"].replace(base_env["AWS_ENDPOINT_URL"], f"http://127.0.0.1:{moto_port}")
    sqs(moto_port, "PurgeQueue", {"QueueUrl": queue})
    stream = StreamPoller(moto_port)
    stream.skip_to_end()  # the set-up's own writes
    receiver.take()

    committed: dict[str, float] = {}  # firstName set → when its update answered

    def commit(i: int) -> None:
        event = fixture("update-user.json", {"environmentId": env_id, "apiKey": created["apiKey"],
                                             "userId": users[i % USERS]})
        event["body"] = json.dumps({"firstName": f"E{i}"})
        kind, body, _ = writer.api.invoke(json.dumps(event).encode())
        if json.loads(body).get("statusCode") != 200:
            raise RuntimeError(f"update-user answered {body[:300]!r}")
        committed[f"E{i}"] = time.perf_counter()

    launches = [Launch(f, env) for f in ("update-user", "user-events", "webhook-delivery")]
    writer, streamer, deliverer = launches
    try:
        for launch in launches:
            launch.wait_ready()
        # 1. Throughput: a backlog of `updates` commits, then each stage drained.
        for i in range(updates):
            commit(i)
        cpu = cpu_seconds(streamer.proc.pid) or 0.0
        started = time.perf_counter()
        records, function_seconds = stream.pump(streamer)
        drain = time.perf_counter() - started
        stream_cpu = (cpu_seconds(streamer.proc.pid) or 0.0) - cpu
        cpu = cpu_seconds(deliverer.proc.pid) or 0.0
        started = time.perf_counter()
        delivered = pump_queue(moto_port, queue, deliverer)
        delivery_drain = time.perf_counter() - started
        delivery_cpu = (cpu_seconds(deliverer.proc.pid) or 0.0) - cpu
        events = len(receiver.take())
        log(f"  events: {updates} updates, {records} stream records, {events} deliveries in {drain:.1f} s "
            f"+ {delivery_drain:.1f} s")

        # 2. Latency: the pollers running while updates are committed at a steady pace.
        stop = threading.Event()

        def poll(step) -> None:
            while not stop.is_set():
                if not step():
                    time.sleep(IDLE_SECONDS)

        pollers = [threading.Thread(target=poll, args=(lambda: stream.pump(streamer)[0],), daemon=True),
                   threading.Thread(target=poll, args=(lambda: pump_queue(moto_port, queue, deliverer),), daemon=True)]
        for t in pollers:
            t.start()
        committed.clear()
        for i in range(updates, 2 * updates):
            commit(i)
            time.sleep(PACE_SECONDS)
        deadline = time.monotonic() + 60
        arrivals: list[tuple[float, bytes]] = []
        while len(arrivals) < updates and time.monotonic() < deadline:
            arrivals += receiver.take()
            time.sleep(0.1)
        stop.set()
        for t in pollers:
            t.join(timeout=30)
    finally:
        rss = [launch.stop() for launch in launches]
    latencies = []
    for at, body in arrivals:
        name = json.loads(body)["data"].get("firstName")
        if name in committed:
            latencies.append(at - committed[name])
    if len(latencies) < updates:
        log(f"  events: only {len(latencies)} of {updates} paced updates arrived within 60 s")
    return {"updates": updates, "records": records, "events": events, "drain": drain,
            "function_seconds": function_seconds, "stream_cpu": stream_cpu, "delivered": delivered,
            "delivery_drain": delivery_drain, "delivery_cpu": delivery_cpu, "latencies": latencies,
            "rss_kb": dict(zip(("update-user", "user-events", "webhook-delivery"), rss))}


def report(r: dict) -> str:
    lat = r["latencies"]
    events = max(1, r["events"])
    delivered = max(1, r["delivered"])
    lines = [
        "", "## Events end to end (issue 28)", "",
        f"{r['updates']} user updates (update-user, {USERS} users) committed, then the stream drained through "
        f"user-events: {r['records']} stream records, {r['events']} events (one webhook, every event) in "
        f"{r['drain']:.2f} s, **{events / r['drain']:.0f} events/s** through the stream stage "
        f"({events / r['function_seconds']:.0f}/s counting only the function's invokes), "
        f"**{r['stream_cpu'] / events * 1000:.2f} ms of CPU per event**; then the queue drained through "
        f"webhook-delivery: {r['delivered']} deliveries in {r['delivery_drain']:.2f} s "
        f"({delivered / r['delivery_drain']:.0f}/s), **{r['delivery_cpu'] / delivered * 1000:.2f} ms of CPU per "
        f"delivery**.",
        "",
        (f"Commit → receiver 2xx, {len(lat)} updates one every {PACE_SECONDS:g} s with the pollers running: "
         f"**p50 {percentile(lat, 0.5) * 1000:.0f} ms, p99 {percentile(lat, 0.99) * 1000:.0f} ms** "
         f"(max {max(lat) * 1000:.0f} ms)." if lat else "No paced update arrived at the receiver."),
        "",
        "Peak RSS: " + ", ".join(f"{k} {(v or 0) / 1024:.1f} MB" for k, v in r["rss_kb"].items()) +
        ". moto on loopback, one request at a time: the rates and latencies are the local stack's, not AWS's "
        "(where the stream is polled about four times a second and the mapping batches for up to 1 s).",
    ]
    return "\n".join(lines) + "\n"
