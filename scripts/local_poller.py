"""The local stand-in for Lambda's event source mappings, which moto does not run. No logic of
its own beyond what the mapping does:

- a queue (--queue-url): receives one message at a time and invokes the function under
  `cargo lambda watch` with it as an SQS event (`ApproximateReceiveCount` set), deleting it
  unless the function reported it in `batchItemFailures`; a reported or failed one is left to
  the queue, and comes back when its visibility timeout ends (which the function may have set),
  as on AWS.
- a table's stream (--stream-table): reads new records shard by shard and invokes the function
  with them as a DynamoDB stream event, in order; a batch the function reports failed is handed
  over again from that record, as the mapping retries.

  python3 scripts/local_poller.py --queue-url URL --function export-worker --lambda-port 9000
  python3 scripts/local_poller.py --stream-table userfields --function user-events --lambda-port 9000
"""

import argparse
import json
import os
import sys
import time
import urllib.request

import boto3

CLIENT = dict(region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local")


def invoke(lambda_port: int, function: str, event: dict) -> dict | None:
    url = f"http://127.0.0.1:{lambda_port}/2015-03-31/functions/{function}/invocations"
    request = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            return json.loads(response.read() or b"{}")
    except Exception as e:
        print(f"local_poller: {function} failed: {e}", file=sys.stderr)
        return None


def poll_queue(args) -> None:
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], **CLIENT)
    while True:
        try:
            # No long poll: moto here serves one request at a time (scripts/moto_serial.py), and
            # a waiting receive would hold up every other call for its wait.
            got = sqs.receive_message(QueueUrl=args.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=0,
                                      VisibilityTimeout=args.visibility, AttributeNames=["ApproximateReceiveCount"])
        except Exception as e:  # moto restarting, or not up yet
            print(f"local_poller: receive failed: {e}", file=sys.stderr)
            time.sleep(1)
            continue
        if not got.get("Messages"):
            time.sleep(0.5)
        for message in got.get("Messages", []):
            event = {"Records": [{"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                                  "body": message["Body"], "attributes": message.get("Attributes", {}),
                                  "eventSource": "aws:sqs"}]}
            answer = invoke(args.lambda_port, args.function, event)
            if answer is None:
                continue
            failed = {f.get("itemIdentifier") for f in answer.get("batchItemFailures", [])}
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])


def poll_stream(args) -> None:
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, **CLIENT)
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, **CLIENT)
    last: dict[str, str] = {}  # shard → last sequence number handed over
    while True:
        try:
            arn = dynamodb.describe_table(TableName=args.stream_table)["Table"]["LatestStreamArn"]
            shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        except Exception as e:  # the table is not made yet, or moto is restarting
            print(f"local_poller: stream not readable yet: {e}", file=sys.stderr)
            time.sleep(1)
            continue
        handed = 0
        for shard in shards:
            shard_id = shard["ShardId"]
            # A fresh iterator each time: moto replaces a stream shard when it rolls back a
            # cancelled transaction, and an old iterator would read the replaced one.
            position = ({"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last[shard_id]}
                        if shard_id in last else {"ShardIteratorType": "TRIM_HORIZON"})
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **position)["ShardIterator"]
            records = streams.get_records(ShardIterator=iterator, Limit=100)["Records"]
            if not records:
                continue
            event = {"Records": [json.loads(json.dumps(r, default=lambda t: t.timestamp())) for r in records]}
            answer = invoke(args.lambda_port, args.function, event)
            if answer is None:
                time.sleep(1)
                continue
            failed = [f.get("itemIdentifier") for f in answer.get("batchItemFailures", [])]
            done = [r for r in records if not failed or int(r["dynamodb"]["SequenceNumber"]) < int(min(failed, key=int))]
            if done:
                last[shard_id] = done[-1]["dynamodb"]["SequenceNumber"]
                handed += len(done)
            else:
                time.sleep(1)
        if not handed:
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--queue-url")
    source.add_argument("--stream-table")
    parser.add_argument("--function", required=True)
    parser.add_argument("--lambda-port", type=int, required=True)
    parser.add_argument("--visibility", type=int, default=5, help="seconds before a failed message returns (default 5)")
    args = parser.parse_args()
    for url in (args.queue_url or "http://127.0.0.1:", os.environ["AWS_ENDPOINT_URL"]):
        if not url.startswith("http://127.0.0.1:"):
            sys.exit("loopback only: " + url)
    poll_queue(args) if args.queue_url else poll_stream(args)


if __name__ == "__main__":
    main()
