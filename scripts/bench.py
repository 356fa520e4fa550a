#!/usr/bin/env python3
"""Cold start, warm latency, DynamoDB round trips and memory of every userfields function.

Builds release binaries, runs moto (local DynamoDB + SES) behind a counting proxy, and runs each
Lambda binary against a local stand-in for the Lambda Runtime API, as Lambda would: the binary
polls `/next`, gets an API Gateway v2 event, posts the response. Results are compared with
`hello-floor`, a bare lambda_http function built with the same profile, with `store-floor`, the
same plus one DynamoDB GetItem through the functions' own store, and with `sdk-floor`, that call
made through the AWS SDK's client instead (which the store used before issue #14).

    python3 scripts/bench.py [--invokes 200] [--cold-runs 5] [--no-build]

Prints a Markdown table and writes it to target/bench-results.md. Python 3.11, standard library
only; every process it starts is stopped on exit, on Ctrl-C and on errors; only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import base64
import collections
import datetime as dt
import hashlib
import hmac
import http.client
import json
import math
import os
import queue
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target"
RELEASE = TARGET / "release"
# The binaries measured (--bin-dir: e.g. target/profiling) and a command they run under (--wrap:
# e.g. valgrind's callgrind, for docs/benchmarks.md "Where the CPU goes").
BIN_DIR = RELEASE
WRAP: list[str] = []


def binary(name: str) -> Path:
    """`name`'s binary from --bin-dir, or from the release build when that holds only some binaries."""
    name = CASES.get(name, name)
    return BIN_DIR / name if (BIN_DIR / name).exists() else RELEASE / name

EVENTS = ROOT / "events"
LOGS = TARGET / "bench-logs"
FUNCTIONS = [
    "create-user",
    "get-user",
    "update-user",
    "verify-email-otp",
    "list-missing-fields",
    "user-field-settings",
    "list-users",
    # After list-users, so the page listed holds create-user's ten-wallet users, as it always has.
    "create-user-no-wallets",
    "delete-user",
    "revoke-user-sessions",
    "bulk-create-users",
    "auth-email-start",
    "auth-email-verify",
    "me",
    "me-email-verify",
    "me-logout",
    "well-known",
]
# Rows that run another row's binary with a different request: create-user's own row sends the
# most wallets a user may hold (its worst case, which sizes its memory); this one sends the
# fixture's full profile with no wallet list.
CASES = {"create-user-no-wallets": "create-user"}
# Users per bulk-create invoke, page size of a list invoke, lines of the import run.
BULK_USERS = 10
LIST_PAGE = 100
IMPORT_USERS = 300
WALLETS_PER_CREATE = 10
FLOOR = "hello-floor"
FLOOR_COLD_RUNS = 25
# The floor plus one GetItem through the functions' own store: what one call costs a function.
STORE_FLOOR = "store-floor"
# The same GetItem through the AWS SDK's client, for comparison: the store's path before issue #14.
SDK_FLOOR = "sdk-floor"
TABLE = "userfields-bench"
OTP_KEY = "bench-only-otp-hmac-key-0123456789abcdef"  # 40 chars, local only
OTP_SECRET = "userfields-bench-otp-key"
VERIFY_CODE = "123456"
RUNTIME_PREFIX = "/2018-06-01/runtime"

# Goals of the issue "Benchmarks, cold start and deploy readiness".
# Issue 14: init ≤ 1.5× the floor; CPU per warm invoke ≤ 0.5 ms over the floor for a one-call
# route and ≤ 0.5 ms more per extra AWS call.
GOAL_INIT_RATIO = 1.5
GOAL_CPU_PER_CALL_MS = 0.5
GOAL_RSS_MB = 20.0
GOAL_WARM_CALLS = {
    "create-user": {"TransactWriteItems": 1},
    "get-user": {"BatchGetItem": 1},
    "list-missing-fields": {"BatchGetItem": 1},
    "delete-user": {"TransactWriteItems": 1, "BatchGetItem": 1, "Query": 1},
    # A user with no session left: the read, then the query that finds none.
    "revoke-user-sessions": {"BatchGetItem": 1, "Query": 1},
    # Issue 10: a warm sign-in binding an existing user is at most 3 DynamoDB calls.
    "auth-email-verify": {"UpdateItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1},
    "me": {"BatchGetItem": 1},
}

STARTED: list[subprocess.Popen] = []
SERVERS: list[ThreadingHTTPServer] = []


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Processes and servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=3)
    if proc in STARTED:
        STARTED.remove(proc)


def cleanup() -> None:
    for proc in list(STARTED):
        try:
            stop_process(proc)
        except Exception as e:  # keep stopping the others
            log(f"could not stop pid {proc.pid}: {e}")
    for server in list(SERVERS):
        server.shutdown()
        server.server_close()
        SERVERS.remove(server)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A stopped binary drops its connections; that is expected, anything else is reported.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    # Each answer leaves in one write (headers and body buffered until the handler's flush), as the
    # Lambda Runtime API and DynamoDB send theirs. Unbuffered, the headers went out alone now and
    # then; a client that found the body missing when it dropped the answer (lambda_runtime does
    # not read the 202 of a posted response) closed the connection and opened a new one for the
    # next poll: a TCP handshake charged to the function being measured, at a rate that depended
    # on timing. TCP_NODELAY stays: without it, Nagle's algorithm and delayed ACKs add 40 ms.
    handler.wbufsize = 1 << 16
    handler.disable_nagle_algorithm = True
    server = QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    SERVERS.append(server)
    return server


def stop_server(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()
    if server in SERVERS:
        SERVERS.remove(server)


def read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def start_moto() -> tuple[subprocess.Popen, int]:
    try:
        import moto.server  # noqa: F401
    except ImportError:
        log("installing Python tools from requirements-dev.txt")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "-r", str(ROOT / "requirements-dev.txt")],
            check=True, timeout=900,
        )
    port = free_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    out = open(LOGS / "moto.log", "wb")
    proc = subprocess.Popen(
        # The project's wrapper: one request at a time, one table copy per transaction, bounded
        # memory (plain moto's transactions slow down with every item they copy).
        [sys.executable, str(ROOT / "scripts" / "moto_serial.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    STARTED.append(proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto exited; see {LOGS / 'moto.log'}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2).read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto did not answer within 30 s")


# ---------------------------------------------------------------------------------------------
# Counting proxy in front of moto


class CallCounter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()
        self.seconds = 0.0  # time spent forwarding to moto and answering

    def add(self, label: str, seconds: float) -> None:
        with self.lock:
            self.calls[label] += 1
            self.seconds += seconds

    def snapshot(self) -> tuple[collections.Counter[str], float]:
        with self.lock:
            return collections.Counter(self.calls), self.seconds


def make_proxy(moto_port: int, counter: CallCounter) -> ThreadingHTTPServer:
    local = threading.local()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def parse_request(self) -> bool:
            self.started = time.perf_counter()  # the request line has just been read
            return super().parse_request()

        def forward(self) -> None:
            start = self.started
            body = read_body(self)
            target = self.headers.get("X-Amz-Target")
            if target:
                label = target.split(".", 1)[-1]
            else:
                label = f"{self.command} {self.path.split('?')[0]}"
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive")}
            headers["Content-Length"] = str(len(body))
            for attempt in range(2):
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = http.client.HTTPConnection("127.0.0.1", moto_port, timeout=30)
                    conn.connect()
                    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    local.conn = None
                    if attempt:
                        raise
            # Counted before answering: once the answer is out, the invoke may finish at once.
            counter.add(label, time.perf_counter() - start)
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "content-length", "keep-alive",
                                     "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = forward

    return serve(Proxy)


def calibrate_hop(proxy_port: int, counter: CallCounter, env_id: str, n: int = 100) -> float:
    """Median time a DynamoDB call through the proxy spends outside the proxy's own measurement
    (loopback hops, request-line read, answer write), seen from a Python keep-alive client."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=10)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = json.dumps({"RequestItems": {TABLE: {"Keys": [
        {"pk": {"S": f"ENV#{env_id}"}, "sk": {"S": "FIELDS"}}]}}}).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.BatchGetItem",
        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0",
    }
    gaps = []
    try:
        for _ in range(n):
            before = counter.snapshot()[1]
            start = time.perf_counter()
            conn.request("POST", "/", body=payload, headers=headers)
            resp = conn.getresponse()
            resp.read()
            elapsed = time.perf_counter() - start
            gaps.append(elapsed - (counter.snapshot()[1] - before))
    finally:
        conn.close()
    return statistics.median(gaps)


# ---------------------------------------------------------------------------------------------
# Local stand-in for the Lambda Runtime API


class RuntimeApi:
    """One per process launch: hands out events on /next and collects responses."""

    def __init__(self, function: str) -> None:
        self.function = function
        self.events: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.results: queue.Queue[tuple[str, str, bytes, float]] = queue.Queue()
        self.sent: dict[str, float] = {}
        self.first_next: float | None = None
        self.closed = False
        self.first_next_seen = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def reply(self, status: int, body: bytes = b'{"status":"OK"}', headers: dict | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

            def do_GET(self) -> None:
                if self.path != f"{RUNTIME_PREFIX}/invocation/next":
                    return self.reply(404, b'{"errorMessage":"not found"}')
                if api.first_next is None:
                    api.first_next = time.perf_counter()
                    api.first_next_seen.set()
                while not api.closed:
                    try:
                        request_id, event = api.events.get(timeout=0.1)
                        break
                    except queue.Empty:
                        continue
                else:
                    self.close_connection = True
                    return
                deadline_ms = int(time.time() * 1000) + 30_000
                headers = {
                    "Lambda-Runtime-Aws-Request-Id": request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn":
                        f"arn:aws:lambda:us-east-1:123456789012:function:{api.function}",
                    "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                }
                api.sent[request_id] = time.perf_counter()
                self.reply(200, event, headers)

            def do_POST(self) -> None:
                body = read_body(self)
                received = time.perf_counter()
                parts = self.path[len(RUNTIME_PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.results.put(("", "init-error", body, received))
                elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    api.results.put((parts[1], parts[2], body, received))
                else:
                    return self.reply(404, b'{"errorMessage":"not found"}')
                self.reply(202)

        self.server = serve(Handler)
        self.port = self.server.server_address[1]

    def invoke(self, event: bytes, timeout: float = 30) -> tuple[str, bytes, float]:
        """Returns (kind, body, seconds from handing out the event to receiving the answer)."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, event))
        try:
            got_id, kind, body, received = self.results.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"{self.function}: no answer within {timeout} s") from None
        if kind == "init-error":
            raise RuntimeError(f"{self.function}: init error {body[:500]!r}")
        if got_id != request_id:
            raise RuntimeError(f"{self.function}: answer for {got_id}, expected {request_id}")
        return kind, body, received - self.sent[request_id]

    def close(self) -> None:
        self.closed = True
        stop_server(self.server)


# ---------------------------------------------------------------------------------------------
# Events


def fixture(name: str, subs: dict[str, str]) -> dict:
    text = (EVENTS / name).read_text()
    for k, v in subs.items():
        text = text.replace("{{" + k + "}}", v)
    return json.loads(text)


def with_body(event: dict, body: dict | None) -> bytes:
    event = json.loads(json.dumps(event))
    if body is not None:
        event["body"] = json.dumps(body)
    return json.dumps(event).encode()


def status_of(kind: str, body: bytes) -> int | str:
    if kind != "response":
        return "error"
    try:
        return int(json.loads(body).get("statusCode"))
    except (ValueError, TypeError, AttributeError):
        return "?"


class Workload:
    """The event each function gets; `prepare` runs outside the timed window."""

    def __init__(self, env_id: str, api_key: str, user_id: str, verify_user: str, moto_port: int) -> None:
        self.env_id, self.api_key, self.user_id = env_id, api_key, user_id
        self.verify_user, self.moto_port = verify_user, moto_port
        self.tag = uuid.uuid4().hex[:6]
        self.n = 0
        self.verification = ""
        self.token = ""
        self.session: dict = {}

    def subs(self, user: str | None = None) -> dict[str, str]:
        return {"environmentId": self.env_id, "apiKey": self.api_key, "userId": user or self.user_id, "token": self.token}

    def event(self, function: str) -> bytes:
        self.n += 1
        if function in ("create-user", "create-user-no-wallets"):
            event = fixture("create-user.json", self.subs())
            body = json.loads(event["body"])
            body["email"] = f"b{self.tag}{self.n}@example.com"
            body["username"] = f"b{self.tag}{self.n}"
            if function == "create-user":
                # The most wallets a user may hold, each claimed in the same single transaction.
                body["wallets"] = [{"publicWalletAddress": "0x" + hashlib.sha1(f"{self.tag}{self.n}w{i}".encode()).hexdigest(),
                                    "chain": "ETH"} for i in range(WALLETS_PER_CREATE)]
            return with_body(event, body)
        if function == "list-users":
            event = fixture("list-users.json", self.subs())
            event["queryStringParameters"] = {"limit": str(LIST_PAGE)}
            event["rawQueryString"] = f"limit={LIST_PAGE}"
            return with_body(event, None)
        if function == "delete-user":
            return with_body(fixture("delete-user.json", self.subs(self.seed_user())), None)
        if function == "revoke-user-sessions":
            return with_body(fixture("revoke-user-sessions.json", self.subs(self.seed_user())), None)
        if function == "bulk-create-users":
            users = [{"email": f"k{self.tag}{self.n}x{i}@example.com", "firstName": "Bulk"} for i in range(BULK_USERS)]
            return with_body(fixture("bulk-create-users.json", self.subs()), {"users": users})
        if function == "verify-email-otp":
            self.seed_verification(self.verify_user)
            event = fixture("verify-email-otp.json", {**self.subs(self.verify_user),
                                                      "verificationUUID": self.verification,
                                                      "code": VERIFY_CODE})
            return with_body(event, None)
        if function == "me-email-verify":
            # The signed-in user's own email change, with the session the `me` rows use.
            self.seed_verification(token_subject(self.token))
            event = fixture("me-email-verify.json", {**self.subs(), "verificationUUID": self.verification,
                                                     "code": VERIFY_CODE})
            return with_body(event, None)
        if function == "me-logout":
            # Each invoke ends the `me` rows' session: it is put back first (untimed, not counted),
            # so every invoke logs out a live session with the same token.
            self.restore_session()
            return with_body(fixture("me-logout.json", self.subs()), None)
        if function == "auth-email-start":
            event = fixture("auth-email-start.json", self.subs())
            # A new address and source each time: the per-address and per-IP send limits would
            # (rightly) refuse a benchmark's worth of codes to one of either.
            event["requestContext"]["http"]["sourceIp"] = f"10.{self.n // 65536 % 256}.{self.n // 256 % 256}.{self.n % 256}"
            return with_body(event, {"email": f"s{self.tag}{self.n}@example.com"})
        if function == "auth-email-verify":
            verification = self.seed_sign_in(self.seed_user())
            event = fixture("auth-email-verify.json", {**self.subs(), "verificationUUID": verification, "code": VERIFY_CODE})
            return with_body(event, None)
        name = {"user-field-settings": "get-user-field-settings.json", FLOOR: "get-user.json", SDK_FLOOR: "get-user.json",
                STORE_FLOOR: "get-user.json",
                "me": "get-me.json", "well-known": "jwks.json"}.get(
            function, f"{function}.json")
        return with_body(fixture(name, self.subs()), None)

    def user_partition(self, user: str) -> str:
        """The partition of `user`'s items (its profile, sessions and pending email change)."""
        return f"ENV#{self.env_id}#USER#{user}"

    def seed_user(self) -> str:
        """Writes a user with one claimed email straight to moto (not counted), for delete-user."""
        user = str(uuid.uuid4())
        email = f"d{self.tag}{self.n}@example.com"
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        item = {
            "pk": {"S": self.user_partition(user)}, "sk": {"S": "PROFILE"},
            "id": {"S": user}, "projectEnvironmentId": {"S": self.env_id}, "email": {"S": email},
            "verifiedCredentials": {"L": []}, "createdAt": {"S": now}, "updatedAt": {"S": now},
            "version": {"N": "1"}, "claims": {"L": [{"L": [{"S": "email"}, {"S": email}]}]},
            "gsi1pk": {"S": f"ENV#{self.env_id}#USERS#{user[0]}"}, "gsi1sk": {"S": user},
        }
        claim = {"pk": {"S": f"ENV#{self.env_id}#UNIQUE#email#{email}"}, "sk": {"S": "CLAIM"},
                 "userId": {"S": user}, "field": {"S": "email"}}
        dynamodb(self.moto_port, "PutItem", {"TableName": TABLE, "Item": item})
        dynamodb(self.moto_port, "PutItem", {"TableName": TABLE, "Item": claim})
        return user

    def keep_session(self) -> None:
        """Reads the session of the `me` rows' token once, so me-logout can put it back."""
        claims = token_claims(self.token)
        key = {"pk": {"S": self.user_partition(claims["sub"])}, "sk": {"S": f"SESSION#{claims['sid']}"}}
        self.session = dynamodb(self.moto_port, "GetItem", {"TableName": TABLE, "Key": key, "ConsistentRead": True})["Item"]

    def restore_session(self) -> None:
        dynamodb(self.moto_port, "PutItem", {"TableName": TABLE, "Item": self.session})

    def seed_sign_in(self, holder: str) -> str:
        """Writes a pending sign-in with a known code for the address `holder` has (seed_user's),
        straight to moto (not counted): verify then binds that existing user, its costliest path."""
        v = uuid.uuid4()
        self.seed_code(v, (f"ENV#{self.env_id}#SIGNIN#{v}", "SIGNIN"), f"d{self.tag}{self.n}@example.com",
                       {"holder": {"S": holder}})
        return str(v)

    def seed_verification(self, user: str) -> None:
        """Writes a pending email change of `user` with a known code straight to moto (not counted)."""
        v = uuid.uuid4()
        self.seed_code(v, (self.user_partition(user), "EMAILVERIFY"), f"v{self.tag}{self.n}@example.com", {})
        self.verification = str(v)

    def seed_code(self, v: uuid.UUID, key: tuple[str, str], email: str, extra: dict) -> None:
        """A pending code for `email` (VERIFY_CODE, hashed as the functions hash it) at `key`."""
        now = dt.datetime.now(dt.timezone.utc)
        code_hash = hmac.new(OTP_KEY.encode(), v.bytes + VERIFY_CODE.encode(), hashlib.sha256).hexdigest()
        item = {
            "pk": {"S": key[0]}, "sk": {"S": key[1]},
            "verificationUuid": {"S": str(v)}, "email": {"S": email}, "codeHash": {"S": code_hash},
            "expiresAt": {"S": (now + dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")},
            "sentAtMs": {"N": str(int(now.timestamp() * 1000))}, "attempts": {"N": "0"},
            "ttl": {"N": str(int(now.timestamp()) + 600)}, **extra,
        }
        dynamodb(self.moto_port, "PutItem", {"TableName": TABLE, "Item": item})


def dynamodb(port: int, op: str, payload: dict) -> dict:
    return aws_json(port, "dynamodb", "1.0", f"DynamoDB_20120810.{op}", payload)


def aws_json(port: int, service: str, version: str, target: str, payload: dict) -> dict:
    """One call of an AWS JSON-protocol API on moto, unsigned (moto does not check)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/", body=json.dumps(payload), headers={
            "Content-Type": f"application/x-amz-json-{version}",
            "X-Amz-Target": target,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/{service}/aws4_request, "
                             "SignedHeaders=host, Signature=0",
        })
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{target}: {resp.status} {data[:300]!r}")
        return json.loads(data or b"{}")
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------
# Measuring one binary


def lambda_env(base_env: dict[str, str], function: str, runtime_port: int) -> dict[str, str]:
    return {
        **base_env,
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime_port}",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[1]bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
    }


def vm_hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time of every thread of `pid` so far, from /proc/<pid>/task/*/schedstat (ns)."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


class Launch:
    """One cold start of a binary against a fresh Runtime API."""

    def __init__(self, function: str, base_env: dict[str, str]) -> None:
        self.function = function
        self.api = RuntimeApi(function)
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"{function}.log"
        out = open(self.log_path, "ab")
        env = lambda_env(base_env, function, self.api.port)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([*WRAP, str(binary(function))], env=env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=ROOT)
        out.close()
        STARTED.append(self.proc)

    def wait_ready(self, timeout: float = 20) -> float:
        deadline = time.monotonic() + timeout
        while not self.api.first_next_seen.wait(0.01):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.function} exited with {self.proc.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.function} did not poll /next within {timeout} s")
        assert self.api.first_next is not None
        return self.api.first_next - self.started

    def stop(self) -> int | None:
        hwm = vm_hwm_kb(self.proc.pid)
        stop_process(self.proc)
        self.api.close()
        return hwm


def calls_between(before: tuple[collections.Counter, float], after: tuple[collections.Counter, float]):
    calls = after[0] - before[0]
    return calls, after[1] - before[1]


def pattern(calls: collections.Counter) -> str:
    return " + ".join(f"{n}×{k}" if n > 1 else k for k, n in sorted(calls.items())) or "none"


def summarise_patterns(patterns: list[str]) -> str:
    counts = collections.Counter(patterns)
    total = len(patterns)
    parts = [f"{p} ({n}/{total})" if n != total else p for p, n in counts.most_common()]
    return "; ".join(parts)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def measure(function: str, base_env: dict[str, str], work: Workload, counter: CallCounter,
            cold_runs: int, invokes: int) -> dict:
    inits, init_cpus, firsts, first_rests, first_patterns, first_statuses = [], [], [], [], [], []
    warm, overheads, ddb_times, warm_patterns = [], [], [], []
    warm_statuses: collections.Counter = collections.Counter()
    hwm = None
    listed = 0  # users on a list-users page
    cpu_per_invoke = float("nan")
    for run in range(cold_runs):
        launch = Launch(function, base_env)
        try:
            inits.append(launch.wait_ready())
            init_cpus.append(cpu_seconds(launch.proc.pid) or float("nan"))
            event = work.event(function)
            before = counter.snapshot()
            kind, body, seconds = launch.api.invoke(event)
            calls, ddb = calls_between(before, counter.snapshot())
            firsts.append(seconds)
            first_rests.append(seconds - ddb)
            first_patterns.append(pattern(calls))
            first_statuses.append(status_of(kind, body))
            if first_statuses[-1] not in (200, 201, 204):
                log(f"  {function}: first answer {body[:300]!r}")
            if run == cold_runs - 1:
                cpu_before = cpu_seconds(launch.proc.pid)
                for _ in range(invokes):
                    event = work.event(function)
                    before = counter.snapshot()
                    kind, body, seconds = launch.api.invoke(event)
                    calls, ddb = calls_between(before, counter.snapshot())
                    warm.append(seconds)
                    ddb_times.append(ddb)
                    overheads.append(seconds - ddb)
                    warm_patterns.append(pattern(calls))
                    status = status_of(kind, body)
                    if status not in (200, 201, 204) and status not in warm_statuses:
                        log(f"  {function}: warm answer {body[:300]!r}")
                    warm_statuses[status] += 1
                    if function == "list-users" and status == 200 and not listed:  # the same page each time
                        listed = json.loads(json.loads(body)["body"])["count"]
                cpu_after = cpu_seconds(launch.proc.pid)
                if invokes and cpu_before is not None and cpu_after is not None:
                    cpu_per_invoke = (cpu_after - cpu_before) / invokes
        finally:
            last_hwm = launch.stop()
        if run == cold_runs - 1:
            hwm = last_hwm
    return {
        "function": function,
        "size": binary(function).stat().st_size,
        "init": statistics.median(inits),
        "inits": inits,
        "init_cpu": statistics.median(init_cpus),
        "first": statistics.median(firsts),
        "first_rest": statistics.median(first_rests),
        "first_calls": summarise_patterns(first_patterns),
        "first_status": summarise_patterns([str(s) for s in first_statuses]),
        "warm_p50": statistics.median(warm) if warm else float("nan"),
        "warm_p95": percentile(warm, 0.95) if warm else float("nan"),
        "ddb_p50": statistics.median(ddb_times) if warm else float("nan"),
        "rest_p50": statistics.median(overheads) if warm else float("nan"),
        "warm_calls": summarise_patterns(warm_patterns) if warm else "",
        "warm_patterns": collections.Counter(warm_patterns),
        "warm_status": ", ".join(f"{s}×{n}" for s, n in warm_statuses.most_common()),
        "rss_kb": hwm,
        "cpu": cpu_per_invoke,
        "listed": listed,
    }


# ---------------------------------------------------------------------------------------------
# Setup and report


def build() -> None:
    packages = [*dict.fromkeys(CASES.get(f, f) for f in FUNCTIONS), "userfields-cli", FLOOR, STORE_FLOOR, SDK_FLOOR]
    cmd = ["cargo", "build", "--release"] + [a for p in packages for a in ("-p", p)]
    log("$ " + " ".join(cmd))
    subprocess.run(cmd, cwd=ROOT, check=True, timeout=3600)


def import_throughput(base_env: dict[str, str], counter: "CallCounter") -> tuple[float, int]:
    """Times the CLI importing IMPORT_USERS users into a fresh environment (reported, not asserted)."""
    env = json.loads(cli(base_env, "create-environment", "--name", "import"))["environmentId"]
    path = LOGS / "import.jsonl"
    with open(path, "w") as f:
        for i in range(IMPORT_USERS):
            f.write(json.dumps({"id": str(uuid.uuid4()), "email": f"imp{i}@example.com", "firstName": "Imported",
                                "metadata": {"row": i}}) + "\n")
    before = counter.snapshot()
    started = time.monotonic()
    cli(base_env, "import", env, str(path))
    seconds = time.monotonic() - started
    calls, _ = calls_between(before, counter.snapshot())
    log(f"  import: {IMPORT_USERS} users in {seconds:.1f} s")
    return seconds, sum(calls.values())


def cli(base_env: dict[str, str], *args: str) -> str:
    out = subprocess.run([str(binary("userfields")), *args], env=base_env, cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"userfields {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def invoke_once(function: str, base_env: dict[str, str], work: Workload, want: int) -> dict:
    """One invoke of `function` in a container of its own (set-up, not measured): its body."""
    launch = Launch(function, base_env)
    try:
        launch.wait_ready()
        kind, body, _ = launch.api.invoke(work.event(function))
    finally:
        launch.stop()
    response = json.loads(body)
    if response.get("statusCode") != want:
        raise RuntimeError(f"{function} answered {body[:500]!r}")
    return json.loads(response["body"])


def create_user(base_env: dict[str, str], work: Workload) -> str:
    """Creates a user through the create-user binary itself."""
    return invoke_once("create-user", base_env, work, 201)["user"]["id"]


def token_claims(token: str) -> dict:
    """The claims of a token the benchmark got from auth-email-verify."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def token_subject(token: str) -> str:
    """The user id (`sub`) of a token the benchmark got from auth-email-verify."""
    return token_claims(token)["sub"]


def sign_in(base_env: dict[str, str], work: Workload) -> str:
    """Signs a user in through the auth-email-verify binary itself: the token the `me` rows use."""
    return invoke_once("auth-email-verify", base_env, work, 200)["jwt"]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def warm_calls(r: dict) -> list[tuple[int, str]]:
    """The calls of a warm invoke's most common pattern, as (count, operation)."""
    if not r["warm_patterns"]:
        return []
    top = r["warm_patterns"].most_common(1)[0][0]
    if top == "none":
        return []
    return [(int(p.split("×")[0]), p.split("×")[1]) if "×" in p else (1, p) for p in top.split(" + ")]


def calls_per_invoke(r: dict) -> int:
    return sum(n for n, _ in warm_calls(r))


def report(results: list[dict], floor: dict, store_floor: dict, sdk_floor: dict, invokes: int, cold_runs: int,
           hop: float) -> str:
    lines = [
        f"{cold_runs} cold starts per binary ({len(floor['inits'])} for the floors, whose start every init "
        f"ratio divides by; medians of init and first invoke), then {invokes} warm "
        f"invokes in the last container. Times in ms. DynamoDB is moto on loopback behind a counting "
        f"proxy. *non-DDB* = invoke latency minus the time the proxy spent on the DynamoDB calls; "
        f"each call also costs about {ms(hop)} ms of proxy hop that lands in *non-DDB* (calibrated "
        f"from Python). *CPU* = CPU time of the process per warm invoke (all threads, "
        f"/proc/<pid>/task/*/schedstat): the function's own work, whatever the emulator does.",
        "",
        "| binary | size | init (× floor) | init CPU (× floor) | first invoke (non-DDB) | warm p50 / p95 | DDB p50 | non-DDB p50 "
        "| CPU / warm invoke (over floor) | DDB calls, first invoke | DDB calls, warm invoke | status first / warm "
        "| peak RSS (× floor) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|",
    ]
    floor_rss = floor["rss_kb"] or 0
    for r in [floor, store_floor, sdk_floor, *results]:
        is_floor = r is floor
        rss = r["rss_kb"]
        rss_txt = f"{rss / 1024:.1f} MB" if rss else "?"
        if rss and floor_rss and not is_floor:
            rss_txt += f" ({rss / floor_rss:.1f}×)"
        cells = [
            r["function"],
            f"{r['size'] / 1e6:.2f} MB",
            ms(r["init"]) + ("" if is_floor else f" ({r['init'] / floor['init']:.1f}×)"),
            ms(r["init_cpu"]) + ("" if is_floor else f" ({r['init_cpu'] / floor['init_cpu']:.1f}×)"),
            f"{ms(r['first'])} ({ms(r['first_rest'])})",
            f"{ms(r['warm_p50'])} / {ms(r['warm_p95'])}",
            ms(r["ddb_p50"]),
            ms(r["rest_p50"]),
            ms(r["cpu"]) + ("" if is_floor else f" (+{ms(r['cpu'] - floor['cpu'])})"),
            r["first_calls"],
            r["warm_calls"],
            f"{r['first_status']} / {r['warm_status']}",
            rss_txt,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    # CPU over the floor = the fixed cost of each DynamoDB call (build, sign, send, parse an empty
    # answer: store-floor, measured alone) × calls + the function's own work (*handler*: its
    # logic, and reading and writing its items and its response). Measured, not fitted: a fit
    # over the functions was dominated by list-users and bulk-create-users.
    per_call = (store_floor["cpu"] - floor["cpu"]) * 1000
    lines += ["", f"Goals (*handler* = CPU over floor minus {per_call:.2f} ms per DynamoDB call, what one "
              f"call costs through the store alone: {STORE_FLOOR}, a GetItem of a missing item):", ""]
    for r in results:
        checks = []
        ratio = r["init"] / floor["init"]
        cpu_ratio = r["init_cpu"] / floor["init_cpu"] if floor["init_cpu"] else float("nan")
        checks.append(f"init {ratio:.1f}× floor {'✓' if ratio <= GOAL_INIT_RATIO else '✗'}, init CPU "
                      f"{cpu_ratio:.1f}× {'✓' if cpu_ratio <= GOAL_INIT_RATIO else '✗'} (≤ {GOAL_INIT_RATIO:g}×)")
        cpu_over = (r["cpu"] - floor["cpu"]) * 1000
        budget = GOAL_CPU_PER_CALL_MS * max(1, calls_per_invoke(r))
        wall_over = (r["rest_p50"] - floor["warm_p50"]) * 1000
        wall_net = wall_over - calls_per_invoke(r) * hop * 1000
        handler = cpu_over - per_call * calls_per_invoke(r)
        checks.append(
            f"CPU over floor {cpu_over:.2f} ms {'✓' if cpu_over <= budget else '✗'} (≤ {budget:g} ms for "
            f"{calls_per_invoke(r)} calls; handler alone {handler:.2f} ms); wall non-DDB over floor "
            f"{wall_over:.2f} ms, {wall_net:.2f} ms without the proxy hops"
        )
        if r.get("listed"):
            # A page's work follows the users in it (and their size), not the shards they sit in.
            checks.append(f"{cpu_over / r['listed']:.3f} ms over floor per user listed ({r['listed']} a page)")
        rss_mb = (r["rss_kb"] or 0) / 1024
        checks.append(f"peak RSS {rss_mb:.1f} MB {'✓' if r['rss_kb'] and rss_mb <= GOAL_RSS_MB else '✗'} "
                      f"(≤ {GOAL_RSS_MB:g} MB)")
        goal_calls = GOAL_WARM_CALLS.get(CASES.get(r["function"], r["function"]))
        if goal_calls:
            want = pattern(collections.Counter(goal_calls))
            ok = bool(r["warm_patterns"]) and r["warm_patterns"].most_common(1)[0][0] == want
            checks.append(f"warm calls = {want} {'✓' if ok else '✗'}")
        lines.append(f"- {r['function']}: " + "; ".join(checks))
    lines += ["", "verify-email-otp and me-email-verify are measured on their success path: before each "
              "invoke (untimed, not counted) a pending verification with a known code is written straight "
              "to moto. So is me-logout: before each invoke the session it ends is put back."]
    return "\n".join(lines) + "\n"


# Lambda model (us-east-1, arm64, 2026 list prices) for the memory-size table.
MEMORY_SIZES = (128, 256, 512, 1024)
FULL_VCPU_MB = 1769                 # CPU share grows linearly with memory up to one vCPU here
PRICE_GB_SECOND = 0.0000133334      # arm64 duration, per GB-second
PRICE_PER_MILLION_REQUESTS = 0.20
# Assumed in-region service latency per call (moto on loopback says nothing about AWS).
AWS_CALL_MS = {"default": 5.0, "SES": 40.0}
# A size is recommended when the CPU of a warm invoke adds at most this much wall time.
CPU_WALL_BUDGET_MS = 10.0


def io_ms(r: dict) -> float:
    """Assumed AWS wait of a warm invoke: its most common call pattern at the latencies above."""
    return sum(n * AWS_CALL_MS["SES" if op.startswith("POST /v2/email") else "default"] for n, op in warm_calls(r))


def stretch(memory: int) -> float:
    """How much longer CPU work takes at `memory` MB than at a full core."""
    return max(1.0, FULL_VCPU_MB / memory)


def cpu_wall_ms(r: dict, memory: int) -> float:
    """The wall time a warm invoke's CPU takes at `memory` MB (measured here at a full core)."""
    return r["cpu"] * 1000 * stretch(memory)


def model(r: dict, memory: int) -> tuple[float, float, float]:
    """(warm wall ms, cold init ms, $ per million warm requests) at `memory` MB, from the CPU
    measured here at a full core."""
    wall = cpu_wall_ms(r, memory) + io_ms(r)
    init = r["init"] * 1000 * stretch(memory)
    cost = 1e6 * math.ceil(wall) / 1000 * memory / 1024 * PRICE_GB_SECOND + PRICE_PER_MILLION_REQUESTS
    return wall, init, cost


def recommended_memory(r: dict) -> int:
    for memory in MEMORY_SIZES:
        if cpu_wall_ms(r, memory) <= CPU_WALL_BUDGET_MS:
            return memory
    return MEMORY_SIZES[-1]


def memory_report(results: list[dict]) -> str:
    lines = [
        "", "## Memory size: modelled wall time and cost", "",
        f"Lambda gives a function memory/{FULL_VCPU_MB} of a vCPU, so the CPU measured here at a full "
        f"core stretches by {FULL_VCPU_MB}/memory; AWS calls are assumed to take "
        f"{AWS_CALL_MS['default']:g} ms (DynamoDB, KMS, Secrets Manager) or {AWS_CALL_MS['SES']:g} ms "
        f"(SES) in-region whatever the size. Cost: arm64 ${PRICE_GB_SECOND} per GB-s, billed per ms, "
        f"plus ${PRICE_PER_MILLION_REQUESTS:.2f} per million requests. Recommended: the smallest size "
        f"at which a warm invoke's CPU adds at most {CPU_WALL_BUDGET_MS:g} ms.",
        "",
        "| function | CPU / warm invoke | AWS wait | " + " | ".join(
            f"{m} MB: warm / cold init / $ per M" for m in MEMORY_SIZES) + " | recommended |",
        "|---|---:|---:|" + "---:|" * len(MEMORY_SIZES) + "---:|",
    ]
    for r in results:
        if r["function"] in CASES:
            continue  # a function is sized by its own row, its worst case
        cells = [r["function"], f"{r['cpu'] * 1000:.2f} ms", f"{io_ms(r):.0f} ms"]
        for m in MEMORY_SIZES:
            wall, init, cost = model(r, m)
            cells.append(f"{wall:.0f} ms / {init:.0f} ms / ${cost:.2f}")
        cells.append(f"{recommended_memory(r)} MB")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def on_alarm(*_) -> None:
    raise TimeoutError("bench time limit reached")


def on_sigterm(*_) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invokes", type=int, default=200, help="warm invokes per binary")
    parser.add_argument("--cold-runs", type=int, default=5, help="cold starts per binary")
    parser.add_argument("--no-build", action="store_true", help="use the existing target/release binaries")
    parser.add_argument("--max-seconds", type=int, default=1200, help="time limit after the build")
    parser.add_argument("--only", nargs="*", choices=FUNCTIONS, help="measure only these functions")
    parser.add_argument("--no-import", action="store_true", help="skip the CLI import throughput run")
    parser.add_argument("--bin-dir", type=Path, help="measure the functions built here (default target/release)")
    parser.add_argument("--wrap", help="run each function under this command (e.g. 'valgrind --tool=callgrind')")
    args = parser.parse_args()
    global BIN_DIR, WRAP
    BIN_DIR = (args.bin_dir or RELEASE).resolve()
    WRAP = shlex.split(args.wrap) if args.wrap else []

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
        "TABLE_NAME": TABLE,
        "EMAIL_FROM": "no-reply@userfields.local",
        # The functions that send or check codes read the code-hashing key from Secrets Manager at init.
        "OTP_HMAC_KEY_SECRET": OTP_SECRET,
        "PUBLIC_BASE_URL": "https://bench.userfields.test",
        "RUST_LOG": os.environ.get("RUST_LOG", "info"),
    }
    for old in LOGS.glob("*.log"):
        if old.name != "moto.log":
            old.unlink()
    aws_json(moto_port, "secretsmanager", "1.1", "secretsmanager.CreateSecret",
             {"Name": OTP_SECRET, "SecretString": OTP_KEY})
    cli(base_env, "create-table")
    cli(base_env, "verify-sender")
    # The KMS key signing keys are encrypted under (the stack's SigningKeysKmsKey).
    kms_key = aws_json(moto_port, "kms", "1.1", "TrentService.CreateKey", {})["KeyMetadata"]["KeyId"]
    created = json.loads(cli({**base_env, "SIGNING_KMS_KEY_ID": kms_key}, "create-environment", "--name", "bench"))
    work = Workload(created["environmentId"], created["apiKey"], "", "", moto_port)
    work.user_id = create_user(base_env, work)
    work.verify_user = create_user(base_env, work)
    work.token = sign_in(base_env, work)
    work.keep_session()
    log(f"environment {work.env_id}, users {work.user_id} and {work.verify_user}")
    hop = calibrate_hop(proxy.server_address[1], counter, work.env_id)
    log(f"proxy hop: {ms(hop)} ms per call")

    # Every init ratio divides by the floor's median start: more cold starts steady it (each
    # takes a few ms, the floors make no slow call).
    floor_cold_runs = max(args.cold_runs, FLOOR_COLD_RUNS)
    floor = measure(FLOOR, base_env, work, counter, floor_cold_runs, args.invokes)
    log(f"  {FLOOR}: init {ms(floor['init'])} ms, warm p50 {ms(floor['warm_p50'])} ms")
    store_floor = measure(STORE_FLOOR, base_env, work, counter, floor_cold_runs, args.invokes)
    log(f"  {STORE_FLOOR}: init {ms(store_floor['init'])} ms, CPU over floor {ms(store_floor['cpu'] - floor['cpu'])} ms")
    sdk_floor = measure(SDK_FLOOR, base_env, work, counter, floor_cold_runs, args.invokes)
    log(f"  {SDK_FLOOR}: init {ms(sdk_floor['init'])} ms, CPU over floor {ms(sdk_floor['cpu'] - floor['cpu'])} ms")
    results = []
    for function in args.only or FUNCTIONS:
        # A bulk invoke creates BULK_USERS users: fewer of them keep the table (and moto) small.
        invokes = max(10, args.invokes // BULK_USERS) if function == "bulk-create-users" else args.invokes
        r = measure(function, base_env, work, counter, args.cold_runs, invokes)
        if function == "me-logout":
            work.restore_session()  # for the `me` rows, whatever order --only gave
        log(f"  {function}: init {ms(r['init'])} ms, first {ms(r['first'])} ms, warm p50 {ms(r['warm_p50'])} ms, "
            f"status {r['first_status']} / {r['warm_status']}")
        results.append(r)
    imported = None if args.no_import else import_throughput(base_env, counter)
    signal.alarm(0)

    table = report(results, floor, store_floor, sdk_floor, args.invokes, args.cold_runs, hop) + memory_report(results)
    if imported:
        table += (f"\n`userfields import` of {IMPORT_USERS} users (8 at a time) into a new environment: "
                  f"{imported[0]:.1f} s, {IMPORT_USERS / imported[0]:.0f} users/s, {imported[1]} DynamoDB calls "
                  f"(moto on loopback: says nothing about AWS).\n")
    header = (f"# Benchmark results\n\n{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
              f"{os.cpu_count()} CPUs, {os.uname().sysname} {os.uname().machine}, "
              f"load average {os.getloadavg()[0]:.2f} at the end\n\n")
    (TARGET / "bench-results.md").write_text(header + table)
    print(table)
    log(f"written to {TARGET / 'bench-results.md'}")
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
