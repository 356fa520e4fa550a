#!/usr/bin/env python3
"""A local stand-in for API Gateway in front of `cargo lambda watch`.

Reads the HttpApi routes of template.yaml (method + path -> the function's binary) and proxies
each request to http://127.0.0.1:<lambda port>/lambda-url/<binary><path>, as API Gateway would
route it. Answers CORS preflights and adds CORS headers (the end-user API allows the web app's
origin in the stack too), and serves web/ under /web/ for the profile UI demo.

    python3 scripts/local_gateway.py [--port 9100] [--lambda-port 9000]

Standard library only.
"""

import argparse
import http.client
import mimetypes
import pathlib
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parent.parent


def routes(template: pathlib.Path) -> list[tuple[str, re.Pattern, str]]:
    """(method, path regex, binary) for every HttpApi event, read with a small line parser (the
    template's CloudFormation tags need no YAML library here)."""
    found, binary, method = [], None, None
    for line in template.read_text().splitlines():
        stripped = line.strip()
        if re.match(r"^  [A-Za-z0-9]+:$", line):
            binary = None
        if stripped.startswith("Binary:"):
            binary = stripped.split(":", 1)[1].strip()
        elif stripped.startswith("Method:"):
            method = stripped.split(":", 1)[1].strip().upper()
        elif stripped.startswith("Path:") and binary and method:
            path = stripped.split(":", 1)[1].strip()
            pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")) + "$"
            found.append((method, re.compile(pattern), binary))
            method = None
    return found


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    table: list = []
    lambda_port = 9000

    def log_message(self, fmt, *args):
        sys.stderr.write("gateway: " + (fmt % args) + "\n")

    def cors(self):
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Vary", "Origin")
            self.send_header("Access-Control-Expose-Headers", "retry-after")

    def reply(self, status, body=b"", content_type="application/json", extra=None):
        self.send_response(status)
        self.cors()
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self):
        self.send_response(204)
        self.cors()
        self.send_header("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "authorization, content-type")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def static(self, path):
        file = (ROOT / "web" / path.removeprefix("/web/")).resolve()
        if not str(file).startswith(str(ROOT / "web")) or not file.is_file():
            return self.reply(404, b'{"error":"Not found.","code":"not_found"}')
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".js":
            kind = "text/javascript"
        self.reply(200, file.read_bytes(), kind, {"Cache-Control": "no-store"})

    def forward(self):
        path = self.path.split("?", 1)[0]
        if path.startswith("/web/"):
            return self.static(path)
        binary = next((b for m, p, b in self.table if m == self.command and p.match(path)), None)
        if binary is None:
            return self.reply(404, b'{"error":"No such route.","code":"not_found"}')
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        upstream = http.client.HTTPConnection("127.0.0.1", self.lambda_port, timeout=120)
        upstream.request(self.command, f"/lambda-url/{binary}{self.path}", body=body, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        extra = {k: v for k, v in response.getheaders() if k.lower() in ("retry-after", "cache-control")}
        self.reply(response.status, data, response.getheader("Content-Type") or "application/json", extra)
        upstream.close()

    do_GET = do_PUT = do_POST = do_DELETE = forward


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--lambda-port", type=int, default=9000)
    args = parser.parse_args()
    Gateway.table = routes(ROOT / "template.yaml")
    Gateway.lambda_port = args.lambda_port
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Gateway)
    print(f"gateway on http://127.0.0.1:{args.port} ({len(Gateway.table)} routes)", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
