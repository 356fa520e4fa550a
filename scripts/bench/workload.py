"""The event each row sends, built from rows.toml and the fixtures in events/, and the data seeded
for it before each invoke through `userfields bench-seed` (the project's own operations and store,
so the benchmark's items are the functions' items)."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import subprocess
import time
import uuid

import config
from processes import STARTED


def fixture(name: str, subs: dict[str, str]) -> dict:
    text = (config.EVENTS / name).read_text()
    for k, v in subs.items():
        text = text.replace("{{" + k + "}}", v)
    return json.loads(text)


def status_of(kind: str, body: bytes) -> int | str:
    """An API answer's status code; for a stream or queue batch (`batchItemFailures`), `ok` or
    how many records it reported failed."""
    if kind != "response":
        return "error"
    try:
        answer = json.loads(body)
        if "batchItemFailures" in answer:
            failed = len(answer["batchItemFailures"])
            return f"{failed} failed" if failed else "ok"
        return int(answer.get("statusCode"))
    except (ValueError, TypeError, AttributeError):
        return "?"


def succeeded(status: int | str) -> bool:
    return status in (200, 201, 204, "ok")


def token_claims(token: str) -> dict:
    """The claims of a token the benchmark got from a sign-in."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Seeder:
    """One `userfields bench-seed` process for the whole run, talking to moto directly (its calls
    are not counted)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([str(config.binary("userfields")), "bench-seed"], env=env, cwd=config.ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        STARTED.append(self.proc)

    def __call__(self, seed: str, **fields: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"seed": seed, **fields}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"userfields bench-seed exited ({self.proc.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"seeding {seed} {fields}: {answer['error']}")
        return answer


def fill(template, values: dict):
    """`template` (from rows.toml) with its strings formatted with `values`."""
    if isinstance(template, str):
        return template.format_map(values)
    if isinstance(template, dict):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


class Workload:
    """The event each row gets; seeding runs outside the timed window."""

    def __init__(self, env_id: str, api_key: str, seeder: Seeder) -> None:
        self.env_id, self.api_key, self.seed = env_id, api_key, seeder
        self.tag = uuid.uuid4().hex[:6]
        self.n = 0
        self.users = {"main": "", "verify": "", "signed-in": ""}
        self.token = ""
        self.external_jwt = ""
        self.session = ""
        self.seeded = 0
        self.receiver_url = ""  # the webhook receiver's (receiver.py), set by __main__
        self.webhook_ids: list[str] = []  # the webhooks the last `webhooks` setup made

    def new_user(self) -> str:
        return self.seed("user", environmentId=self.env_id, email=self.seeded_email(new=True))["userId"]

    @property
    def main_email(self) -> str:
        """The address of the first user seeded: the `main` user's."""
        return self.seeded_email(number=1)

    def seeded_email(self, new: bool = False, number: int | None = None) -> str:
        """The address of the user seeded last (or of a new one, or of the `number`th)."""
        self.seeded += new
        return f"d{self.tag}x{number or self.seeded}@example.com"

    def sign_in_to(self, holder: str) -> dict[str, str]:
        """A pending sign-in to `holder`'s address (the user new_user seeded last) with a known code."""
        v = self.seed("sign-in", environmentId=self.env_id, email=self.seeded_email(), holder=holder,
                      code=config.VERIFY_CODE)
        return {"verificationUUID": v["verificationUUID"], "code": config.VERIFY_CODE}

    def signed_in(self, token: str) -> None:
        """The session the session rows share; sdk-session-revoke's seed puts it back."""
        claims = token_claims(token)
        self.token, self.users["signed-in"], self.session = token, claims["sub"], claims["sid"]

    def setup(self, name: str) -> None:
        """The row's one-time seeding (`setup` in rows.toml), if it has one."""
        setup = fill(dict(config.row(name).get("setup", {})), {"receiver": self.receiver_url})
        if setup:
            answer = self.seed(setup.pop("seed"), environmentId=self.env_id, **setup)
            self.webhook_ids = answer.get("webhookIds", self.webhook_ids)

    def event(self, name: str) -> bytes:
        self.n += 1
        row = config.row(name)
        values = {"tag": self.tag, "n": self.n, "ip": f"10.{self.n // 65536 % 256}.{self.n // 256 % 256}.{self.n % 256}",
                  "receiver": self.receiver_url}
        # invoke: unique to this invoke (a stream record's id); sequence: increasing, as a stream's.
        subs = {"environmentId": self.env_id, "apiKey": self.api_key, "token": self.token, "externalJwt": self.external_jwt,
                "userId": self.users[row.get("user", "main")], "invoke": f"{self.tag}-{self.n}",
                "sequence": f"{time.time_ns() // 1000}", "webhookId": (self.webhook_ids or [""])[0]}
        match row.get("seed"):
            case "user":
                subs["userId"] = self.new_user()
            case "email-change":
                v = self.seed("email-change", environmentId=self.env_id, userId=subs["userId"],
                              email=f"v{self.tag}{self.n}@example.com", code=config.VERIFY_CODE)
                subs.update(verificationUUID=v["verificationUUID"], code=config.VERIFY_CODE)
            case "sign-in":
                subs.update(self.sign_in_to(self.new_user()))
            case "session":
                self.seed("session", environmentId=self.env_id, userId=self.users["signed-in"], sessionId=self.session)
            case "no-webhooks":
                self.seed("webhooks", environmentId=self.env_id, url=self.receiver_url, count=0)
            case "message":
                subs["messageId"] = self.seed("message", environmentId=self.env_id, webhookId=subs["webhookId"],
                                              userId=subs["userId"])["messageId"]
        event = fixture(row["fixture"], subs)
        body = row_body(row, event, values)
        if body is not None:
            event["body"] = json.dumps(body)
        if "query" in row:
            query = fill(dict(row["query"]), {**values, "main_email": self.main_email})
            event["queryStringParameters"] = query
            event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
        if "source_ip" in row:
            event["requestContext"]["http"]["sourceIp"] = fill(row["source_ip"], values)
        return json.dumps(event).encode()


def row_body(row: dict, event: dict, values: dict) -> dict | None:
    """The body a row sends: the fixture's, replaced (`body`), merged into (`body_merge`) and with a
    list of `repeat.count` items under `repeat.key`; None leaves the fixture's body as it is."""
    if not any(k in row for k in ("body", "body_merge", "repeat")):
        return None
    body = copy.deepcopy(row["body"]) if "body" in row else json.loads(event.get("body") or "{}")
    body = fill(body, values)
    body.update(fill(row.get("body_merge", {}), values))
    if "repeat" in row:
        repeat = row["repeat"]
        body[repeat["key"]] = [
            fill(repeat["item"], {**values, "i": i,
                                  "wallet": hashlib.sha1(f"{values['tag']}{values['n']}w{i}".encode()).hexdigest()})
            for i in range(repeat["count"])
        ]
    return body
