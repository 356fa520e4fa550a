#!/usr/bin/env python3
"""A local stand-in for API Gateway in front of `cargo lambda watch`.

Reads the HttpApi routes of template.yaml (method + path -> the function's binary) and proxies
each request to http://127.0.0.1:<lambda port>/lambda-url/<binary><path>, as API Gateway would
route it. Answers CORS preflights and adds CORS headers (the end-user API allows the web app's
origin in the stack too), serves web/ under /web/ for the profile UI demo, and the operator's
dashboard (web/dashboard/) at /dashboard/ under its Content-Security-Policy.

Every request's body is read in full before it is answered, whatever the route or method (an
unknown route, a static file, a preflight): the connections are kept alive, and bytes left unread
would be parsed as the next request. A body over MAX_BODY bytes is refused (413) and the
connection closed.

    python3 scripts/local_gateway.py [--port 9100] [--lambda-port 9000]

Standard library only.
"""

import argparse
import http.client
import mimetypes
import pathlib
import re
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The largest request body read (API Gateway's own limit is 10 MB); a larger one is refused.
MAX_BODY = 10 * 1024 * 1024
NOT_FOUND = b'{"error":"No such route.","code":"not_found"}'
# The dashboard's headers, as CloudFront's response headers policy in template.yaml sets them,
# except that here the API is this origin and an export's presigned URL is moto's (loopback).
DASHBOARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' http://127.0.0.1:*; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def routes(template: pathlib.Path) -> list[tuple[str, re.Pattern, str, str]]:
    """(method, path regex, binary, path as written) for every HttpApi event, read with a small line parser (the
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
            # `{name+}` is greedy (API Gateway's proxy), `{name}` one segment.
            escaped = re.escape(path).replace(r"\{", "{").replace(r"\}", "}")
            pattern = "^" + re.sub(r"\{[^/]+\}", "[^/]+", re.sub(r"\{[^/]+\+\}", ".+", escaped)) + "$"
            found.append((method, re.compile(pattern), binary, path))
            method = None
    return found


def allowed_headers(template: pathlib.Path) -> str:
    """Every CORS AllowHeaders list in template.yaml (the end-user API's and the operator API's),
    as one header value: the gateway stands in for both."""
    names, inside = [], False
    for line in template.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("AllowHeaders:"):
            inside = True
            inline = stripped.split(":", 1)[1].strip()
            if inline.startswith("["):
                names += [n.strip() for n in inline.strip("[]").split(",")]
                inside = False
        elif inside and stripped.startswith("- "):
            names.append(stripped[2:].strip())
        elif inside and not stripped.startswith("#"):
            inside = False
    return ", ".join(dict.fromkeys(names)) or "authorization, content-type"


class Gateway(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    table: list = []
    allow_headers = "authorization, content-type"
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
        if self.command != "HEAD":
            self.wfile.write(body)

    def refuse(self, status, error, code):
        """Answers a request whose body is not read (too large, or its length unknown) and closes
        the connection, since what follows on it cannot be told apart from the body. The write
        side is shut first and what the client still sends is drained for a moment, so that
        closing with unread data (a TCP reset) does not make the client lose the answer."""
        self.close_connection = True
        body = ('{"error":"%s","code":"%s"}' % (error, code)).encode()
        self.reply(status, body, extra={"Connection": "close"})
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + 2
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    break
        except OSError:
            pass

    def body_length(self):
        """The declared body length, -1 for a chunked body, or None once the request has been
        refused (a transfer coding other than chunked, a bad or too large Content-Length)."""
        coding = self.headers.get("Transfer-Encoding")
        if coding is not None:
            if coding.strip().lower() != "chunked":
                return self.refuse(501, "Unsupported transfer coding.", "unsupported_transfer_encoding")
            return -1
        values = {v.strip() for v in self.headers.get_all("Content-Length") or []}
        if not values:
            return 0
        if len(values) > 1 or not re.fullmatch(r"[0-9]+", next(iter(values))):
            return self.refuse(400, "Bad Content-Length.", "bad_request")
        length = int(next(iter(values)))
        if length > MAX_BODY:
            return self.refuse(413, "Request body too large.", "payload_too_large")
        return length

    def handle_expect_100(self):
        # Refuse before the client sends a body that would not be read (the stdlib says 100 first).
        if self.body_length() is None:
            return False
        return super().handle_expect_100()

    def read_chunked(self):
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(65537)
            digits = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", digits):
                return self.refuse(400, "Bad chunked body.", "bad_request")
            size = int(digits, 16)
            total += size
            if total > MAX_BODY:
                return self.refuse(413, "Request body too large.", "payload_too_large")
            if size == 0:
                break
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(65537) not in (b"\r\n", b"\n"):
                return self.refuse(400, "Bad chunked body.", "bad_request")
            chunks.append(chunk)
        while True:  # the trailer section, up to its empty line
            line = self.rfile.readline(65537)
            if not line:
                self.close_connection = True
                return None
            if line in (b"\r\n", b"\n"):
                return b"".join(chunks)

    def read_body(self):
        """The whole request body (b"" when there is none), or None when the request has been
        refused or the client went away; either way the connection is then left alone."""
        length = self.body_length()
        if length is None:
            return None
        if length < 0:
            return self.read_chunked()
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.close_connection = True
            return None
        return body

    def handle_request(self):
        """Every method comes here: the body is read first, then the request is answered."""
        body = self.read_body()
        if body is None:
            return
        if self.command == "OPTIONS":
            return self.preflight()
        self.forward(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_OPTIONS = handle_request

    def __getattr__(self, name):
        # Any other method (TRACE, made-up ones) too: the stdlib would answer it an HTML 501
        # without reading its body. It gets the JSON 404 like any unknown route.
        if name.startswith("do_"):
            return self.handle_request
        raise AttributeError(name)

    def preflight(self):
        self.send_response(204)
        self.cors()
        self.send_header("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", self.allow_headers)
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def static(self, path):
        """web/ under /web/ (the profile demo); the dashboard at /dashboard/ with the profile
        element beside it at /userfields-profile.js, as the deployed bucket lays them out, under
        the dashboard's Content-Security-Policy."""
        headers = {"Cache-Control": "no-store"}
        if path == "/dashboard":
            return self.reply(308, b"", extra={"Location": "/dashboard/"})
        if path.startswith("/dashboard/") or path == "/userfields-profile.js":
            relative = path.removeprefix("/")
            if relative.endswith("/"):
                relative += "index.html"
            headers.update(DASHBOARD_HEADERS)
        else:
            relative = path.removeprefix("/web/")
        file = (ROOT / "web" / relative).resolve()
        if not file.is_relative_to(ROOT / "web") or not file.is_file():
            return self.reply(404, b'{"error":"Not found.","code":"not_found"}')
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".js":
            kind = "text/javascript"
        self.reply(200, file.read_bytes(), kind, headers)

    def forward(self, body):
        path = self.path.split("?", 1)[0]
        if path.startswith(("/web/", "/dashboard")) or path == "/userfields-profile.js":
            return self.static(path)
        # As API Gateway: the most specific route wins (a greedy `{proxy+}` or `ANY` only when
        # nothing else matches).
        matches = [(("+}" in written, m == "ANY"), b) for m, p, b, written in self.table if m in (self.command, "ANY") and p.match(path)]
        binary = min(matches)[1] if matches else None
        if binary is None:
            return self.reply(404, NOT_FOUND)
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        upstream = http.client.HTTPConnection("127.0.0.1", self.lambda_port, timeout=120)
        upstream.request(self.command, f"/lambda-url/{binary}{self.path}", body=body or None, headers=headers)
        response = upstream.getresponse()
        data = response.read()
        extra = {k: v for k, v in response.getheaders() if k.lower() in ("retry-after", "cache-control", "location")}
        self.reply(response.status, data, response.getheader("Content-Type") or "application/json", extra)
        upstream.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--lambda-port", type=int, default=9000)
    args = parser.parse_args()
    Gateway.table = routes(ROOT / "template.yaml")
    Gateway.allow_headers = allowed_headers(ROOT / "template.yaml")
    Gateway.lambda_port = args.lambda_port
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Gateway)
    print(f"gateway on http://127.0.0.1:{args.port} ({len(Gateway.table)} routes)", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
