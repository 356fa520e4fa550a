"""scripts/local_gateway.py keeps its kept-alive connections usable: every request's body is read
before the answer, whatever the route or method, so no leftover bytes are parsed as the next
request (browsers and Node's fetch reuse connections).

Each test starts the gateway on a free loopback port in front of a stub "cargo lambda watch" (a
loopback HTTP server answering 200 JSON) and sends several requests on ONE http.client
connection, checking that the socket is never silently reopened.

    python3 -m unittest discover -s tests/gateway -p 'test_*.py' -v

GATEWAY_SCRIPT names another copy of the gateway to test (default scripts/local_gateway.py).
Standard library only.
"""

import http.client
import importlib.util
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
GATEWAY = pathlib.Path(os.environ.get("GATEWAY_SCRIPT") or ROOT / "scripts" / "local_gateway.py")
TIMEOUT = 5
NOT_FOUND = {"error": "No such route.", "code": "not_found"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_route():
    """(binary, concrete path) of the first POST HttpApi route, as the gateway reads template.yaml."""
    spec = importlib.util.spec_from_file_location("local_gateway", ROOT / "scripts" / "local_gateway.py")
    gateway = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gateway)
    for method, _, binary, path in gateway.routes(ROOT / "template.yaml"):
        if method == "POST":
            return binary, re.sub(r"\{[^/]+\}", "test-1", path)
    raise AssertionError("template.yaml has no POST HttpApi route")


class Stub(BaseHTTPRequestHandler):
    """Stands in for cargo lambda watch: records each request and answers 200 JSON."""

    protocol_version = "HTTP/1.1"
    seen = None  # list of (method, path, body), set per server

    def log_message(self, fmt, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, body))
        data = json.dumps({"stub": True, "method": self.command, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer


class GatewayTest(unittest.TestCase):
    def setUp(self):
        self.stub = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        self.stub.daemon_threads = True
        self.stub.seen = []
        threading.Thread(target=self.stub.serve_forever, daemon=True).start()
        self.addCleanup(self.stub.server_close)
        self.addCleanup(self.stub.shutdown)

        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.addCleanup(self.log.close)
        self.gateway = subprocess.Popen(
            [sys.executable, str(GATEWAY), "--port", str(self.port),
             "--lambda-port", str(self.stub.server_address[1])],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.addCleanup(self.stop_gateway)
        self.wait_listening()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        self.addCleanup(self.conn.close)
        self.sock = None

    def stop_gateway(self):
        if self.gateway.poll() is None:
            self.gateway.kill()
        self.gateway.wait(timeout=TIMEOUT)

    def gateway_log(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_listening(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.gateway.poll() is not None:
                self.fail(f"the gateway exited ({self.gateway.returncode}):\n{self.gateway_log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.fail(f"the gateway did not listen on {self.port}:\n{self.gateway_log()}")

    def send(self, method, path, body=None, headers=None, **kwargs):
        """One request on the shared connection; (response, body bytes). Fails if http.client
        had to open a new socket (the gateway closed the previous one)."""
        self.conn.request(method, path, body=body, headers=headers or {}, **kwargs)
        if self.sock is None:
            self.sock = self.conn.sock
        self.assertIs(self.conn.sock, self.sock, f"{method} {path}: the connection was not kept alive")
        response = self.conn.getresponse()
        data = response.read()
        return response, data

    def assert_kept_alive(self, response, what):
        self.assertFalse(response.will_close, f"{what}: the gateway closes the connection")

    def assert_json_404(self, response, data, what, head=False):
        self.assertEqual(response.status, 404, f"{what}: {response.status} {data[:200]!r}")
        self.assertEqual(response.getheader("Content-Type"), "application/json", what)
        if head:
            self.assertEqual(data, b"", f"{what}: HEAD got a body")
        else:
            self.assertEqual(json.loads(data), NOT_FOUND, what)
        self.assert_kept_alive(response, what)

    def assert_next_request_works(self, what):
        response, data = self.send("GET", "/no/such/route")
        self.assert_json_404(response, data, f"GET after {what}")
        binary, path = post_route()
        response, data = self.send("POST", path, b'{"after":true}', {"Content-Type": "application/json"})
        self.assertEqual(response.status, 200, f"POST after {what}: {response.status} {data[:200]!r}")
        self.assertTrue(json.loads(data)["stub"])
        self.assertEqual(self.stub.seen[-1][2], b'{"after":true}')

    def test_post_with_body_to_unknown_route(self):
        response, data = self.send("POST", "/no/such/route", b'{"name":"x"}', {"Content-Type": "application/json"})
        self.assert_json_404(response, data, "POST to an unknown route")
        self.assert_next_request_works("a POST to an unknown route")

    def test_patch_with_body_to_unknown_route(self):
        response, data = self.send("PATCH", "/no/such/route", b'{"name":"x"}', {"Content-Type": "application/json"})
        self.assert_json_404(response, data, "PATCH to an unknown route")
        self.assert_next_request_works("a PATCH to an unknown route")

    def test_other_methods_to_unknown_route(self):
        for method in ("PUT", "DELETE", "TRACE", "FROB"):
            response, data = self.send(method, "/no/such/route", b"leftover?")
            self.assert_json_404(response, data, f"{method} to an unknown route")
        self.assert_next_request_works("other methods to an unknown route")

    def test_head_to_unknown_route_has_no_body(self):
        response, data = self.send("HEAD", "/no/such/route")
        self.assert_json_404(response, data, "HEAD to an unknown route", head=True)
        self.assert_next_request_works("a HEAD to an unknown route")

    def test_get_of_missing_web_file_with_body(self):
        response, data = self.send("GET", "/web/no-such-file.js", b"a body a GET should not have")
        self.assertEqual(response.status, 404, f"{response.status} {data[:200]!r}")
        self.assertEqual(response.getheader("Content-Type"), "application/json")
        self.assert_kept_alive(response, "GET of a missing /web/ file")
        self.assert_next_request_works("a GET of a missing /web/ file")

    def test_get_of_web_file_with_body(self):
        name = next(p.name for p in sorted((ROOT / "web").iterdir()) if p.is_file())
        response, data = self.send("GET", f"/web/{name}", b"a body a GET should not have")
        self.assertEqual(response.status, 200, f"{response.status} {data[:200]!r}")
        self.assertEqual(data, (ROOT / "web" / name).read_bytes())
        self.assert_kept_alive(response, "GET of a /web/ file")
        self.assert_next_request_works("a GET of a /web/ file")

    def test_dashboard_is_served_under_its_content_security_policy(self):
        response, data = self.send("GET", "/dashboard/")
        self.assertEqual(response.status, 200, f"{response.status} {data[:200]!r}")
        self.assertEqual(data, (ROOT / "web" / "dashboard" / "index.html").read_bytes())
        policy = response.getheader("Content-Security-Policy") or ""
        for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"):
            self.assertIn(directive, policy)
        self.assertNotIn("unsafe-inline", policy)
        # The profile element beside it, as the deployed bucket lays them out.
        response, data = self.send("GET", "/userfields-profile.js")
        self.assertEqual((response.status, response.getheader("Content-Type")), (200, "text/javascript"))
        self.assertEqual(data, (ROOT / "web" / "userfields-profile.js").read_bytes())
        for escape in ("/dashboard/../../template.yaml", "/dashboard/%2e%2e/demo.html", "/dashboard/no-such.js"):
            response, data = self.send("GET", escape)
            self.assertEqual(response.status, 404, f"{escape}: {response.status} {data[:100]!r}")
        self.assert_next_request_works("the dashboard's files")

    def test_options_with_body(self):
        response, data = self.send("OPTIONS", "/no/such/route", b"preflight body",
                                   {"Origin": "http://127.0.0.1:1"})
        self.assertEqual(response.status, 204, f"{response.status} {data[:200]!r}")
        self.assertEqual(response.getheader("Access-Control-Allow-Origin"), "http://127.0.0.1:1")
        self.assert_kept_alive(response, "OPTIONS")
        self.assert_next_request_works("an OPTIONS with a body")

    def test_preflight_allows_what_dynamics_client_sends(self):
        response, data = self.send("OPTIONS", "/sdk/00000000-0000-4000-8000-000000000000/users", b"",
                                   {"Origin": "http://127.0.0.1:1", "Access-Control-Request-Method": "PUT",
                                    "Access-Control-Request-Headers": "authorization,x-dyn-session-public-key"})
        self.assertEqual(response.status, 204, f"{response.status} {data[:200]!r}")
        allowed = {h.strip() for h in response.getheader("Access-Control-Allow-Headers").split(",")}
        for header in ("authorization", "content-type", "x-dyn-api-version", "x-dynamic-platform", "x-dyn-request-id",
                       "x-dyn-session-id", "x-dyn-version", "x-dyn-session-public-key", "x-dyn-logout-reason"):
            self.assertIn(header, allowed)

    def test_the_most_specific_route_wins_and_the_catch_all_takes_the_rest(self):
        for method, path, binary in [("GET", "/sdk/e1/users", "sdk-users"), ("POST", "/sdk/e1/smsVerifications/create", "sdk-settings"),
                                     ("DELETE", "/sdk/e1/users", "sdk-settings"), ("GET", "/sdk/e1/.well-known/jwks.json", "well-known")]:
            response, data = self.send(method, path, b"", {"Authorization": "Bearer t"})
            self.assertEqual(response.status, 200, f"{method} {path}: {response.status} {data[:200]!r}")
            self.assertEqual(json.loads(data)["path"], f"/lambda-url/{binary}{path}", f"{method} {path}")

    def test_forwarded_post(self):
        binary, path = post_route()
        response, data = self.send("POST", path, b'{"email":"a@example.com"}',
                                   {"Content-Type": "application/json", "Authorization": "Bearer t"})
        self.assertEqual(response.status, 200, f"{response.status} {data[:200]!r}")
        self.assertEqual(json.loads(data), {"stub": True, "method": "POST", "path": f"/lambda-url/{binary}{path}"})
        self.assertEqual(self.stub.seen, [("POST", f"/lambda-url/{binary}{path}", b'{"email":"a@example.com"}')])
        self.assert_kept_alive(response, "a forwarded POST")
        self.assert_next_request_works("a forwarded POST")

    def test_chunked_bodies(self):
        response, data = self.send("POST", "/no/such/route", iter([b'{"na', b'me":"x"}']), encode_chunked=True)
        self.assert_json_404(response, data, "a chunked POST to an unknown route")
        binary, path = post_route()
        response, data = self.send("POST", path, iter([b'{"a":', b"1}"]),
                                   {"Content-Type": "application/json"}, encode_chunked=True)
        self.assertEqual(response.status, 200, f"{response.status} {data[:200]!r}")
        self.assertEqual(self.stub.seen[-1], ("POST", f"/lambda-url/{binary}{path}", b'{"a":1}'))
        self.assert_next_request_works("chunked POSTs")

    def test_too_large_body_is_refused_and_connection_closed(self):
        # Only the headers are sent: the gateway must answer without waiting for 11 MiB.
        self.conn.putrequest("POST", "/no/such/route")
        self.conn.putheader("Content-Type", "application/json")
        self.conn.putheader("Content-Length", str(11 * 1024 * 1024))
        self.conn.endheaders()
        response = self.conn.getresponse()
        data = response.read()
        self.assertEqual(response.status, 413, f"{response.status} {data[:200]!r}")
        self.assertEqual(response.getheader("Content-Type"), "application/json")
        self.assertEqual(json.loads(data)["code"], "payload_too_large")
        self.assertTrue(response.will_close, "a refused body must close the connection")


if __name__ == "__main__":
    unittest.main()
