"""Creates, in moto, the OTP key secret (OTP_HMAC_KEY_SECRET, random), the KMS key signing keys
are encrypted under (alias/userfields-signing-keys; locally it seals webhook secrets too), the
export bucket (with the dashboard's CORS rule) and queue (EXPORT_BUCKET, EXPORT_QUEUE_URL's last segment), the webhook delivery
queue (FIFO, WEBHOOK_QUEUE_URL's last segment) and the event bus (EVENT_BUS_NAME), if missing;
prints the KMS key id."""

import os
import secrets

import boto3

ENDPOINT = dict(endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
                aws_access_key_id="local", aws_secret_access_key="local")

manager = boto3.client("secretsmanager", **ENDPOINT)
try:
    manager.create_secret(Name=os.environ["OTP_HMAC_KEY_SECRET"], SecretString=secrets.token_hex(32))
except manager.exceptions.ResourceExistsException:
    pass

if os.environ.get("EXPORT_BUCKET"):
    s3 = boto3.client("s3", **ENDPOINT)
    s3.create_bucket(Bucket=os.environ["EXPORT_BUCKET"])
    # The dashboard fetches an export through its presigned URL, as ExportBucket's CORS rule
    # allows the dashboard's origin in the stack (here: any loopback page).
    s3.put_bucket_cors(Bucket=os.environ["EXPORT_BUCKET"], CORSConfiguration={"CORSRules": [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 600}]})
if os.environ.get("EXPORT_QUEUE_URL"):
    boto3.client("sqs", **ENDPOINT).create_queue(QueueName=os.environ["EXPORT_QUEUE_URL"].rsplit("/", 1)[-1])

if os.environ.get("WEBHOOK_QUEUE_URL"):
    boto3.client("sqs", **ENDPOINT).create_queue(QueueName=os.environ["WEBHOOK_QUEUE_URL"].rsplit("/", 1)[-1],
                                                 Attributes={"FifoQueue": "true"})
if os.environ.get("EVENT_BUS_NAME"):
    events = boto3.client("events", **ENDPOINT)
    try:
        events.create_event_bus(Name=os.environ["EVENT_BUS_NAME"])
    except events.exceptions.ResourceAlreadyExistsException:
        pass

kms = boto3.client("kms", **ENDPOINT)
ALIAS = "alias/userfields-signing-keys"
try:
    print(kms.describe_key(KeyId=ALIAS)["KeyMetadata"]["KeyId"])
except kms.exceptions.NotFoundException:
    key = kms.create_key(Description="userfields signing keys (local)")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key)
    print(key)
