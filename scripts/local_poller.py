"""The local stand-in for Lambda's SQS event source mapping, which moto does not run: receives
messages from a queue and invokes a function under `cargo lambda watch` with them as an SQS
event (one message per batch, `ApproximateReceiveCount` set), deleting each message the function
did not report in `batchItemFailures`. A reported or failed one is left to the queue: it comes
back when its visibility timeout ends, as on AWS. No logic of its own beyond that.

  python3 scripts/local_poller.py --queue-url URL --function export-worker --lambda-port 9000
"""

import argparse
import json
import os
import sys
import time
import urllib.request

import boto3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queue-url", required=True)
    parser.add_argument("--function", required=True)
    parser.add_argument("--lambda-port", type=int, required=True)
    parser.add_argument("--visibility", type=int, default=5, help="seconds before a failed message returns (default 5)")
    args = parser.parse_args()
    for url in (args.queue_url, os.environ["AWS_ENDPOINT_URL"]):
        if not url.startswith("http://127.0.0.1:"):
            sys.exit("loopback only: " + url)
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    invoke = f"http://127.0.0.1:{args.lambda_port}/2015-03-31/functions/{args.function}/invocations"
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
            request = urllib.request.Request(invoke, data=json.dumps(event).encode(), method="POST",
                                             headers={"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=900) as response:
                    answer = json.loads(response.read() or b"{}")
            except Exception as e:
                print(f"local_poller: {args.function} failed: {e}", file=sys.stderr)
                continue
            failed = {f.get("itemIdentifier") for f in answer.get("batchItemFailures", [])}
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=message["ReceiptHandle"])


if __name__ == "__main__":
    main()
