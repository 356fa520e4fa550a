#!/usr/bin/env python3
"""Browser test of the operator's dashboard (web/dashboard/) against the local stack, in headless
Chromium, with the WebDriver client of profile_test.py. Expects the stack up (scripts/browser_test.sh
starts it) and the `userfields` CLI built (it makes the environment and the keys).

    python3 tests/browser/dashboard_test.py --gateway URL --moto URL [--screenshots target/browser]

Scenario: a wrong key gets a message; a key without settings:write sees the settings read-only;
with a full key, making firstName required shows the impact counted from the users made here,
a select field with two options appears in the end-user preview, and both are saved; a user found
by email is edited; a signed-in user's sessions are revoked (their token is then refused); a user
is deleted after a confirmation; a webhook is created and its secret shown once, and its test event
reaches a receiver on loopback and shows in its messages as delivered; an export is downloaded; the page is readable at 400 px, and the key never reaches localStorage or the URL.
Screenshots of each screen go to --screenshots.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from profile_test import ELEMENT, SHADOW, Browser, http, last_code  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


class Page(Browser):
    """Finds in the document (the dashboard), and in the preview's shadow root."""

    def find(self, css: str, timeout: float = 30) -> str:
        deadline = time.time() + timeout
        while True:
            status, answer = http("POST", f"{self.session}/element", {"using": "css selector", "value": css})
            if status == 200:
                return answer["value"][ELEMENT]
            if time.time() > deadline:
                self.screenshot("dashboard-failure.png")
                raise TimeoutError(f"no {css} after {timeout} s")
            time.sleep(0.1)

    def click(self, css: str):
        """Clicks `css`, finding it again if the page redrew it meanwhile."""
        for attempt in range(3):
            try:
                return self.cmd("POST", f"/element/{self.find(css)}/click", {})
            except RuntimeError as e:
                if "stale element" not in str(e) or attempt == 2:
                    raise

    def search(self, value: str):
        """Searches the users screen by email and waits for that search's answer."""
        self.type("#search-value", value)
        self.click("#search button[type=submit]")
        self.wait_text("#results h3", value)

    def attribute(self, css: str, name: str):
        return self.cmd("GET", f"/element/{self.find(css)}/attribute/{name}")

    def property(self, css: str, name: str):
        return self.cmd("GET", f"/element/{self.find(css)}/property/{name}")

    def select(self, css: str, label: str):
        self.cmd("POST", f"/element/{self.find(css)}/value", {"text": label})

    def preview_texts(self, css: str) -> list[str]:
        host = self.find("#preview")
        root = self.cmd("GET", f"/element/{host}/shadow")[SHADOW]
        found = self.cmd("POST", f"/shadow/{root}/elements", {"using": "css selector", "value": css})
        return [self.cmd("GET", f"/element/{e[ELEMENT]}/property/textContent") for e in found]

    def wait(self, what: str, check, timeout: float = 30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                value = check()
                if value:
                    return value
            except (RuntimeError, TimeoutError):
                pass
            time.sleep(0.15)
        self.screenshot("dashboard-failure.png")
        raise TimeoutError(f"never: {what}")

    def wait_text(self, css: str, contains: str = "", timeout: float = 30) -> str:
        return self.wait(f"{css} says {contains!r}", lambda: (t := self.text(self.find(css, 2))) and contains in t and t, timeout)

    def resize(self, width: int, height: int = 1000):
        self.cmd("POST", "/window/rect", {"width": width, "height": height})


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on loopback: keeps every body POSTed to it and answers 204."""

    def __init__(self):
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


def cli(*args: str) -> dict:
    out = subprocess.run([str(ROOT / "target/debug/userfields"), *args], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--screenshots", default="target/browser")
    args = parser.parse_args()
    gateway = args.gateway

    created = cli("create-environment", "--name", "dashboard")
    env, key = created["environmentId"], created["apiKey"]
    reader = cli("create-api-key", env, "--name", "reader", "--scopes", "users:read,settings:read")["apiKey"]
    auth = {"authorization": f"Bearer {key}"}
    api = lambda method, path, body=None: http(method, f"{gateway}/environments/{env}{path}", body, auth)  # noqa: E731
    status, body = api("PUT", "/settings/userFields", {"fields": [
        {"name": "email", "type": "standard", "required": True},
        {"name": "firstName", "type": "standard"},
        {"name": "lastName", "type": "standard"},
    ]})
    assert status == 200, body

    # Three users without a first name and one with: making it required asks three.
    tag = uuid.uuid4().hex[:8]
    emails = [f"dash.{tag}.{i}@example.com" for i in range(4)]
    ids = []
    for i, email in enumerate(emails):
        status, body = api("POST", "/users", {"email": email, **({"firstName": "Ada"} if i == 3 else {})})
        assert status == 201, body
        ids.append(body["user"]["id"])
    # The first one signs in as an end user: their token works until the dashboard revokes it.
    sdk = f"{gateway}/sdk/{env}"
    status, started = http("POST", f"{sdk}/emailVerifications/create", {"email": emails[0]})
    assert status == 201 or status == 200, started
    status, signed = http("POST", f"{sdk}/emailVerifications/signin",
                          {"verificationUUID": started["verificationUUID"], "verificationToken": last_code(args.moto, emails[0])})
    assert status == 200, signed
    token = {"authorization": f"Bearer {signed['minifiedJwt']}"}
    assert http("GET", f"{sdk}/users", headers=token)[0] == 200

    page = Page(pathlib.Path(args.screenshots))
    try:
        page.resize(1280, 1000)
        page.open(f"{gateway}/dashboard/?{urllib.parse.urlencode({'environmentId': env})}")

        # A wrong key: a message, not a blank page.
        page.type("#api-key", "uf_0000000000000000_" + "0" * 64)
        page.click("#signin button[type=submit]")
        print("wrong key:", page.wait_text("#signin-error", "not known"))
        page.screenshot("dashboard-signin.png")

        # A key that may only read settings: the switches are off-limits, no save button.
        page.type("#api-key", reader)
        page.click("#signin button[type=submit]")
        page.wait_text("#read-only", "settings:write")
        assert page.property("#f-firstName-required", "disabled") is True
        assert page.script("return document.querySelector('#save') === null") is True
        page.click("#who button")

        # The full key.
        page.type("#api-key", key)
        page.click("#signin button[type=submit]")
        page.find("#f-firstName-required")
        assert page.script("return localStorage.length") == 0, "the key is never in localStorage"
        assert key not in page.script("return location.href"), "nor in the URL"
        assert key in page.script("return sessionStorage.getItem('userfields-dashboard')")

        page.click("#f-firstName-required")
        impact = page.wait_text("#impact", "firstName becomes required")
        print("impact:", impact)
        assert "firstName becomes required: 3 users will be asked for it at their next sign-in." in impact, impact
        page.resize(1280, 1500)
        page.script("document.getElementById('impact').scrollIntoView({block: 'end'})")
        page.screenshot("dashboard-fields.png")
        page.resize(1280, 1000)
        page.click("#save")
        page.wait_text("#save-status", "Saved.")
        fields = {f["name"]: f for f in api("GET", "/settings/userFields")[1]["fields"]}
        assert fields["firstName"]["required"] is True, fields["firstName"]

        # A select field with two options: in the end-user preview, then saved.
        page.type("#new-field-name", "plan")
        page.select("#new-field-kind", "Select")
        page.click("#add-field button[type=submit]")
        page.type("#f-plan-option-0", "Free")
        page.type("#f-plan-option-1", "Pro")
        options = page.wait("the preview offers Free and Pro", lambda: (o := page.preview_texts("select[name=plan] option")) and "Pro" in o and o)
        assert options[1:] == ["Free", "Pro"], options
        page.screenshot("dashboard-preview.png")
        page.click("#save")
        page.wait_text("#save-status", "Saved.")
        plan = next(f for f in api("GET", "/settings/userFields")[1]["fields"] if f["name"] == "plan")
        assert [o["label"] for o in plan["validationRules"]["validOptions"]] == ["Free", "Pro"], plan

        # A pattern the server refuses shows at its field.
        page.type("#new-field-name", "badge")
        page.select("#new-field-kind", "Text")
        page.click("#add-field button[type=submit]")
        page.type("#f-badge-pattern", "(unclosed")
        page.type("#f-badge-sample", "x")
        print("pattern tried live:", page.wait_text("#f-badge-pattern-result", "Not a pattern"))
        page.click("#save")
        print("server's refusal at the field:", page.wait_text("#f-badge-error"))
        page.click("li.field[data-name=badge] button.danger")

        # Users: find by email, edit.
        page.open(f"{gateway}/dashboard/#users")
        page.search(emails[1])
        page.click("#results button.link")
        page.type("#u-firstName", "Grace")
        page.click("#edit-user button[type=submit]")
        page.wait_text("#user-status", "Saved.")
        assert api("GET", f"/users/{ids[1]}")[1]["user"].get("firstName") == "Grace", (page.screenshot("dashboard-failure.png"), api("GET", f"/users/{ids[1]}"))
        page.wait_text("#missing", "None")
        page.screenshot("dashboard-user.png")

        # Revoke the signed-in user's sessions: their token is refused from then on.
        page.click("#back")
        page.search(emails[0])
        page.click("#results button.link")
        session_id = signed["user"]["sessionId"]
        page.wait_text("#sessions", session_id)
        page.script("document.querySelector('#sessions').scrollIntoView()")
        page.screenshot("dashboard-sessions.png")
        page.click("#revoke")
        page.wait_text("#user-status", "revoked")
        page.wait_text("#sessions", "No live session")
        assert http("GET", f"{sdk}/users", headers=token)[0] == 401, "a revoked session's token is refused"

        # Delete, after a confirmation.
        page.click("#back")
        page.search(emails[2])
        page.click("#results button.link")
        page.click("#delete")
        page.find("#delete-dialog[open]")
        page.screenshot("dashboard-delete.png")
        page.click("#confirm-delete")
        page.wait_text("#users-status", "was deleted")
        assert api("GET", f"/users/{ids[2]}")[0] == 404

        # The list, and an export with its progress.
        page.type("#search-value", "")
        page.click("#search button[type=submit]")
        page.wait_text("#results h3", "All users")
        page.wait_text("#results", emails[3])
        page.click("#export")
        print("export:", page.wait_text("#export-status", "Exported", timeout=90))
        page.screenshot("dashboard-users.png")

        # Webhooks: created, its secret shown once; its test event arrives and is listed delivered.
        receiver = Receiver()
        page.open(f"{gateway}/dashboard/#webhooks")
        page.type("#webhook-url", receiver.url)
        page.click("#create-webhook button[type=submit]")
        assert page.wait_text("#webhook-secret", "whsec_").startswith("whsec_")
        page.screenshot("dashboard-webhooks.png")
        page.click("#webhooks button.send-test")
        print("test event:", page.wait_text("#webhooks-status", "on its way"))
        test = page.wait("the receiver got the test event", lambda: [b for b in receiver.bodies if b["eventName"] == "webhook.test"], timeout=90)[0]
        assert test["data"]["url"] == receiver.url, test
        hook = next(h for h in api("GET", "/webhooks")[1]["data"] if h["url"] == receiver.url)
        delivered = lambda: any(m["eventName"] == "webhook.test" and m["status"] == "delivered"  # noqa: E731
                                for m in api("GET", f"/webhooks/{hook['webhookId']}/messages")[1]["data"])
        page.wait("the test message is recorded as delivered", delivered)
        page.click("#webhooks button.messages")
        page.wait_text("#messages table", "webhook.test")
        assert "delivered" in page.wait_text("#messages table", "webhook.test")
        page.screenshot("dashboard-webhook-messages.png")
        receiver.shutdown()

        # Readable at 400 px: nothing wider than the window.
        page.open(f"{gateway}/dashboard/#fields")
        page.find("#f-firstName-required")
        page.resize(400, 900)
        overflow = page.wait("the page fits 400 px", lambda: page.script("return document.documentElement.scrollWidth <= window.innerWidth + 1"))
        assert overflow
        page.screenshot("dashboard-narrow.png")
    finally:
        page.close()
    print("dashboard browser test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
