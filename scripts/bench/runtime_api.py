"""A local stand-in for the Lambda Runtime API: the binary polls `/next`, gets an event, posts
its response, as on Lambda."""

from __future__ import annotations

import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

from processes import read_body, serve, stop_server

RUNTIME_PREFIX = "/2018-06-01/runtime"


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
