"""A counting proxy in front of moto: what each invoke costs in AWS calls, and the time moto spent
on them. Also unsigned calls of moto's AWS JSON APIs for the set-up."""

from __future__ import annotations

import collections
import http.client
import json
import socket
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from processes import read_body, serve


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


class TimedHandler(BaseHTTPRequestHandler):
    """A quiet HTTP/1.1 handler that notes when each request's line was read (self.started)."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def parse_request(self) -> bool:
        self.started = time.perf_counter()  # the request line has just been read
        return super().parse_request()


def make_proxy(moto_port: int, counter: CallCounter) -> ThreadingHTTPServer:
    local = threading.local()

    class Proxy(TimedHandler):
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


def calibrate_hop(proxy_port: int, counter: CallCounter, table: str, n: int = 100) -> float:
    """Median time a DynamoDB call through the proxy spends outside the proxy's own measurement
    (loopback hops, request-line read, answer write), seen from a Python keep-alive client."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=10)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Any key will do (a missing item): the hop is the same for every call.
    payload = json.dumps({"TableName": table, "Key": {"pk": {"S": "bench#hop"}, "sk": {"S": "none"}}}).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem",
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
