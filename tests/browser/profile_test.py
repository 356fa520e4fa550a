#!/usr/bin/env python3
"""Browser test of web/userfields-profile.js against the local stack, in headless Chromium.

Drives Debian's chromium through chromedriver's WebDriver HTTP API (standard library only; no
browser download). Expects the local stack up (scripts/browser_test.sh starts it): the gateway
(scripts/local_gateway.py) serving web/ and the API, and moto for reading the emailed codes.

    python3 tests/browser/profile_test.py --gateway URL --moto URL --environment ID --api-key KEY \
        [--screenshot target/browser/profile.png]

Scenario: the operator requires firstName, a select and a text field with a pattern; a new person
signs in on the demo page (a wrong code first: its error shows), fills the form (a value against
the pattern first, then one only the server refuses: each error shows at its field), and the
element reports completion with a token whose scope holds `user:basic`.
"""

import argparse
import base64
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
SHADOW = "shadow-6066-11e4-a52e-4f735466cecf"


def http(method: str, url: str, body=None, headers=None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else {}


class Browser:
    """The few WebDriver commands the test needs."""

    def __init__(self, screenshot_dir: pathlib.Path):
        driver = shutil.which("chromedriver")
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not driver or not chromium:
            sys.exit("chromium and chromedriver are needed: apt-get install -y chromium chromium-driver")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                if http("GET", f"{self.base}/status")[1]["value"]["ready"]:
                    break
            except (OSError, KeyError):
                pass
            time.sleep(0.1)
        options = {"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=720,900"]}
        status, created = http("POST", f"{self.base}/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}})
        assert status == 200, created
        self.session = f"{self.base}/session/{created['value']['sessionId']}"
        self.screenshot_dir = screenshot_dir

    def cmd(self, method: str, path: str, body=None):
        status, answer = http(method, self.session + path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: {answer}")
        return answer["value"]

    def close(self):
        try:
            http("DELETE", self.session)
        finally:
            self.process.terminate()

    def open(self, url: str):
        self.cmd("POST", "/url", {"url": url})

    def shadow_root(self) -> str:
        host = self.cmd("POST", "/element", {"using": "css selector", "value": "userfields-profile"})[ELEMENT]
        return self.cmd("GET", f"/element/{host}/shadow")[SHADOW]

    def find(self, css: str, timeout: float = 60) -> str:
        """An element inside the profile element's shadow root, waiting for it to appear."""
        deadline = time.time() + timeout
        while True:
            try:
                root = self.shadow_root()
                status, answer = http("POST", f"{self.session}/shadow/{root}/element", {"using": "css selector", "value": css})
                if status == 200:
                    return answer["value"][ELEMENT]
            except RuntimeError:
                pass
            if time.time() > deadline:
                self.screenshot("failure.png")
                raise TimeoutError(f"no {css} in <userfields-profile> after {timeout} s")
            time.sleep(0.2)

    def type(self, css: str, text: str):
        element = self.find(css)
        self.cmd("POST", f"/element/{element}/clear", {})
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def click(self, css: str):
        self.cmd("POST", f"/element/{self.find(css)}/click", {})

    def text(self, element: str) -> str:
        return self.cmd("GET", f"/element/{element}/text")

    def wait_text(self, css: str, contains: str = "", timeout: float = 60) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.text(self.find(css))
            if text and contains in text:
                return text
            time.sleep(0.2)
        self.screenshot("failure.png")
        raise TimeoutError(f"{css} never said {contains!r}")

    def script(self, source: str):
        return self.cmd("POST", "/execute/sync", {"script": source, "args": []})

    def screenshot(self, name: str) -> pathlib.Path:
        self.screenshot_dir.mkdir(parents=True, exist_ok=True)
        path = self.screenshot_dir / name
        path.write_bytes(base64.b64decode(self.cmd("GET", "/screenshot")))
        return path


def last_code(moto: str, address: str) -> str:
    url = f"{moto}/userfields-dev/last-email?to={urllib.parse.quote(address)}"
    for _ in range(100):
        status, body = http("GET", url)
        if status == 200 and body.get("code"):
            return body["code"]
        time.sleep(0.1)
    raise TimeoutError(f"no code sent to {address}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--moto", required=True)
    parser.add_argument("--environment", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--screenshot", default="target/browser/profile.png")
    args = parser.parse_args()
    shot = pathlib.Path(args.screenshot)

    fields = [
        {"name": "email", "type": "standard", "required": True},
        {"name": "firstName", "type": "standard", "required": True, "position": 1},
        {"name": "department", "type": "custom", "required": True, "label": "Department", "position": 2, "validationType": "select",
         "validationRules": {"validOptions": [{"label": "Red", "key": "red"}, {"label": "Blue", "key": "blue"}]}},
        {"name": "badge", "type": "custom", "required": True, "label": "Badge code", "position": 3,
         "validationRules": {"regex": "^[A-Z]{3}$"}},
        {"name": "newsletter", "type": "custom", "label": "Newsletter", "position": 4, "validationType": "checkbox",
         "validationRules": {"checkboxText": "Send me the newsletter"}},
    ]
    status, body = http("PUT", f"{args.gateway}/environments/{args.environment}/settings/userFields",
                        {"fields": fields}, {"authorization": f"Bearer {args.api_key}"})
    assert status == 200, body

    email = f"browser.{uuid.uuid4().hex[:12]}@example.com"
    browser = Browser(shot.parent)
    try:
        query = urllib.parse.urlencode({"environmentId": args.environment, "apiBase": args.gateway})
        browser.open(f"{args.gateway}/web/demo.html?{query}")
        browser.type("input[name=email]", email)
        browser.click("button[type=submit]")

        code = last_code(args.moto, email)
        browser.type("input[name=code]", "000000" if code != "000000" else "111111")
        browser.click("button[type=submit]")
        wrong = browser.wait_text(".error", "not right")
        print(f"wrong code shows: {wrong!r}")
        browser.type("input[name=code]", code)
        browser.click("button[type=submit]")

        browser.type("input[name=firstName]", "Ada")
        team = browser.find("select[name=department]")
        browser.cmd("POST", f"/element/{team}/value", {"text": "Blue"})
        browser.type("input[name=badge]", "abc")
        browser.click("button[type=submit]")
        bad = browser.wait_text("#" + browser.cmd("GET", f"/element/{browser.find('input[name=badge]')}/attribute/aria-describedby"), "format")
        print(f"invalid field shows: {bad!r}")
        browser.screenshot("form.png")
        # A value only the server refuses (over 255 characters): its error shows at that field.
        browser.type("input[name=badge]", "ABC")
        browser.type("input[name=firstName]", "A" * 300)
        browser.click("button[type=submit]")
        first_error = browser.cmd("GET", f"/element/{browser.find('input[name=firstName]')}/attribute/aria-describedby")
        refused = browser.wait_text("#" + first_error, "255")
        print(f"server error shows at its field: {refused!r}")
        browser.type("input[name=firstName]", "Ada")
        browser.click("button[type=submit]")

        deadline = time.time() + 60
        scope = None
        while time.time() < deadline and not scope:
            scope = browser.script("return document.body.dataset.complete || null")
            time.sleep(0.2)
        assert scope, "the element never reported completion"
        assert "user:basic" in scope.split(" "), scope
        token = browser.script("return sessionStorage.getItem('userfields:' + new URLSearchParams(location.search).get('environmentId') + ':jwt')")
        payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        assert payload["scope"] == "user:basic" and "missing_fields" not in payload, payload
        print(f"completed: scope {scope!r}, token for {payload['email']}")
        print(f"screenshot: {browser.screenshot(shot.name)}")
        status, me = http("GET", f"{args.gateway}/sdk/{args.environment}/users", headers={"authorization": f"Bearer {token}"})
        assert status == 200 and me["metadata"] == {"department": "blue", "badge": "ABC"}, me

        # The operator adds a field the end user only sees (view) and one it never sees (hidden),
        # both required: the form shows the first read-only and leaves the second out.
        fields += [{"name": "jobTitle", "type": "standard", "required": True, "position": 5, "userAccess": "view"},
                   {"name": "lastName", "type": "standard", "required": True, "position": 6, "userAccess": "hidden"}]
        status, body = http("PUT", f"{args.gateway}/environments/{args.environment}/settings/userFields",
                            {"fields": fields}, {"authorization": f"Bearer {args.api_key}"})
        assert status == 200, body
        browser.open(f"{args.gateway}/web/demo.html?{query}")
        job = browser.find("input[name=jobTitle]")
        assert browser.cmd("GET", f"/element/{job}/enabled") is False, "a view field is read-only"
        status_line = browser.wait_text("[part=status]", "site's team")
        root = browser.shadow_root()
        found, _ = http("POST", f"{browser.session}/shadow/{root}/element", {"using": "css selector", "value": "input[name=lastName]"})
        assert found != 200, "a hidden field is never shown"
        print(f"view field read-only, hidden field absent: {status_line!r}")
        browser.screenshot("access.png")
    finally:
        browser.close()
    print("browser test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
