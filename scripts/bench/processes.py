"""The processes and loopback servers the benchmark starts, and stopping every one of them."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import config
from config import log

STARTED: list[subprocess.Popen] = []
SERVERS: list[ThreadingHTTPServer] = []


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
             "-r", str(config.ROOT / "requirements-dev.txt")],
            check=True, timeout=900,
        )
    port = free_port()
    config.LOGS.mkdir(parents=True, exist_ok=True)
    out = open(config.LOGS / "moto.log", "wb")
    proc = subprocess.Popen(
        # The project's wrapper: one request at a time, one table copy per transaction, bounded
        # memory (plain moto's transactions slow down with every item they copy).
        [sys.executable, str(config.ROOT / "scripts" / "moto_serial.py"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=out, stderr=subprocess.STDOUT, cwd=config.ROOT,
    )
    STARTED.append(proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto exited; see {config.LOGS / 'moto.log'}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=2).read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto did not answer within 30 s")
