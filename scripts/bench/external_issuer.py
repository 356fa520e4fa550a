"""A local OIDC issuer for the external-auth row: an RSA key, its JWKS served on loopback (cached
by the function per its max-age, so warm invokes verify with a cached set), and one ID token the
row sends on every invoke (the same identity: after the first, a sign-in of its holder)."""

from __future__ import annotations

import base64
import json
import time
from http.server import BaseHTTPRequestHandler

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from processes import serve

AUDIENCE = "bench-client"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


class Issuer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.key.public_key().public_numbers()
        body = json.dumps({"keys": [{"kty": "RSA", "kid": "bench-1", "alg": "RS256", "use": "sig",
                                     "n": _int(numbers.n), "e": _int(numbers.e)}]}).encode()

        class Jwks(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("cache-control", "max-age=3600")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_) -> None:
                pass

        self.server = serve(Jwks)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.iss, self.jwks_url = f"{base}/issuer", f"{base}/jwks.json"

    def token(self, sub: str, email: str) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "bench-1"}).encode())
        claims = {"iss": self.iss, "aud": AUDIENCE, "sub": sub, "email": email, "email_verified": True,
                  "iat": now, "exp": now + 4 * 3600}
        message = f"{header}.{_b64(json.dumps(claims).encode())}"
        signature = self.key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{message}.{_b64(signature)}"
