"""Runs moto's server on loopback, handling one request at a time, with bounded memory.

moto's TransactWriteItems snapshots whole tables and restores them on failure, so on its default
threaded server two concurrent transactions can undo each other's committed writes. DynamoDB
serialises conflicting transactions; serving requests one by one gives the same guarantee, so
concurrency tests exercise this service's logic rather than the emulator's races.

Memory: moto registers every model object it ever creates (`BaseModel.instances_tracked`, for
its `/moto-api/data.json` dump) and never lets go of them. That includes the table copies each
TransactWriteItems takes for rollback (one deep copy of the whole table per operation), and
every replaced item version, so a long-running moto grows by the table's size on every
transaction and the dump walks millions of dead objects. This wrapper tracks those objects
weakly (the dump still lists every live one), copies a table once per transaction rather than
once per operation, and keeps only the last `--keep-emails` SES messages.

It also mends moto 5.2's CompleteMultipartUpload answer (see `CompleteUploadResult`), and serves
`GET /userfields-dev/emails?to=<address>` (every message still kept for that
address, oldest first) and `GET /userfields-dev/last-email?to=<address>` (the newest, 404 if
none), each with the 6-digit code found in the body, for developers and the test harness.
"""

import argparse
import itertools
import json
import os
import re
import sys
import threading
import weakref
from email.utils import parseaddr
from urllib.parse import unquote

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

DEFAULT_KEEP_EMAILS = 1000
CODE = re.compile(r"code is (\d{6})\b")
_sequence = itertools.count(1)


def warn(text: str) -> None:
    print(f"moto_serial: {text}", file=sys.stderr, flush=True)


# --- moto keeps every model object forever: track them weakly -----------------------------------

class WeakInstances:
    """Stands in for a model class's `instances_tracked` list, without keeping objects alive.

    Iterates the live instances in creation order, as moto's list did; objects that cannot be
    weakly referenced are kept strongly, as before.
    """

    def __init__(self, existing=()):
        self._refs = {}
        for obj in existing:
            self.append(obj)

    def append(self, obj) -> None:
        key = next(_sequence)
        refs = self._refs
        try:
            refs[key] = weakref.ref(obj, lambda _ref, key=key: refs.pop(key, None))
        except TypeError:
            refs[key] = lambda obj=obj: obj

    def _live(self) -> list:
        return [obj for obj in (ref() for ref in list(self._refs.values())) if obj is not None]

    def __iter__(self):
        return iter(self._live())

    def __len__(self) -> int:
        return len(self._live())

    def __bool__(self) -> bool:
        return len(self) > 0

    def remove(self, obj) -> None:
        for key, ref in list(self._refs.items()):
            if ref() is obj:
                del self._refs[key]
                return
        raise ValueError("instance not tracked")

    def clear(self) -> None:
        self._refs.clear()


def track_models_weakly() -> None:
    from moto.core.common_models import BaseModel

    def tracked_new(cls, *args, **kwargs):
        instance = super(BaseModel, cls).__new__(cls)
        tracked = cls.__dict__.get("instances_tracked")
        if not isinstance(tracked, WeakInstances):
            # moto's metaclass gives each class a plain list; /moto-api/reset puts new ones back.
            tracked = WeakInstances(tracked or ())
            cls.instances_tracked = tracked
        tracked.append(instance)
        return instance

    BaseModel.__new__ = staticmethod(tracked_new)


# --- TransactWriteItems: one rollback copy per table, not per operation -------------------------

def snapshot_each_table_once() -> None:
    """moto deep-copies the whole table once for every operation naming it, before running any of
    them, and keeps the last copy; the copies are identical, so one is made and reused."""
    import copy as copy_module

    import moto.dynamodb.models as ddb_models

    backend = getattr(ddb_models, "DynamoDBBackend", None)
    table_class = getattr(ddb_models, "Table", None)
    if backend is None or table_class is None or getattr(ddb_models, "copy", None) is not copy_module:
        warn("moto's DynamoDB internals changed; table copies are not shared")
        return
    state = threading.local()

    class CopyOncePerTransaction:
        def __getattr__(self, name):
            return getattr(copy_module, name)

        @staticmethod
        def deepcopy(obj, memo=None):
            copies = getattr(state, "copies", None)
            if copies is None or not isinstance(obj, table_class):
                return copy_module.deepcopy(obj, memo)
            if id(obj) not in copies:
                copies[id(obj)] = (obj, copy_module.deepcopy(obj, memo))
            return copies[id(obj)][1]

    original = backend.transact_write_items

    def transact_write_items(self, *args, **kwargs):
        state.copies = {}
        try:
            return original(self, *args, **kwargs)
        finally:
            state.copies = None

    ddb_models.copy = CopyOncePerTransaction()
    backend.transact_write_items = transact_write_items


# --- SES: keep the last N sent messages ---------------------------------------------------------

class RecentMessages(list):
    """SESBackend.sent_messages, trimmed to the newest `limit`; stamps each message's order."""

    def __init__(self, limit: int, existing=()):
        super().__init__()
        self.limit = limit
        for message in existing:
            self.append(message)

    def append(self, message) -> None:
        try:
            message._userfields_seq = next(_sequence)
        except AttributeError:
            pass
        super().append(message)
        if len(self) > self.limit:
            del self[: len(self) - self.limit]


def keep_recent_emails(limit: int) -> None:
    from moto.ses.models import SESBackend

    original_init = SESBackend.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.sent_messages = RecentMessages(limit, getattr(self, "sent_messages", ()))

    SESBackend.__init__ = init


# --- GET /userfields-dev/emails and /userfields-dev/last-email ----------------------------------

def recipients(message) -> set:
    destinations = getattr(message, "destinations", None) or {}
    if isinstance(destinations, dict):
        addresses = [a for key in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(key) or []]
    else:
        addresses = list(destinations)
    return {parseaddr(a)[1] for a in addresses if isinstance(a, str)}


def describe(message) -> dict:
    body = getattr(message, "body", None)
    if body is None:
        body = getattr(message, "raw_data", None) or getattr(message, "template_data", None) or ""
    found = CODE.search(body)
    return {
        "id": getattr(message, "id", None),
        "from": getattr(message, "source", None),
        "subject": getattr(message, "subject", None),
        "body": body,
        "code": found.group(1) if found else None,
    }


def emails_to(address: str) -> list:
    """Every kept message to `address` (To, Cc or Bcc), across accounts and regions, oldest first."""
    from moto.ses.models import ses_backends

    found = []
    for _account, _region, backend in ses_backends.iter_backends():
        found.extend(m for m in list(backend.sent_messages) if address in recipients(m))
    found.sort(key=lambda m: getattr(m, "_userfields_seq", 0))
    return [describe(m) for m in found]


def query_param(environ, name: str):
    # `unquote`, not form decoding: a literal "+" in an address stays a "+".
    for pair in environ.get("QUERY_STRING", "").split("&"):
        key, _, value = pair.partition("=")
        if unquote(key) == name:
            return unquote(value)
    return None


class DevRoutes:
    """WSGI middleware answering /userfields-dev/... and passing everything else to moto."""

    PREFIX = "/userfields-dev/"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.PREFIX):
            return self.app(environ, start_response)
        status, body = self.answer(environ, path[len(self.PREFIX):])
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def answer(environ, route: str):
        if route not in ("emails", "last-email"):
            return "404 Not Found", {"error": "routes: /userfields-dev/emails?to=, /userfields-dev/last-email?to="}
        if environ.get("REQUEST_METHOD") != "GET":
            return "405 Method Not Allowed", {"error": "GET only"}
        to = query_param(environ, "to")
        if not to:
            return "400 Bad Request", {"error": "give the address: ?to=<address>"}
        emails = emails_to(to)
        if route == "emails":
            return "200 OK", {"to": to, "emails": emails}
        if not emails:
            return "404 Not Found", {"error": f"no email kept for {to}"}
        return "200 OK", {"to": to, **emails[-1]}


class CompleteUploadResult:
    """WSGI middleware mending one moto 5.2 answer: CompleteMultipartUpload's XML root is
    `CompleteMultipartUploadResponse` where S3 (and its SDKs' parsers) have
    `CompleteMultipartUploadResult`. Only a POST carrying `uploadId` is touched."""

    WRONG, RIGHT = b"CompleteMultipartUploadResponse", b"CompleteMultipartUploadResult"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or "uploadId=" not in environ.get("QUERY_STRING", ""):
            return self.app(environ, start_response)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.app(environ, capture)).replace(self.WRONG, self.RIGHT)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(body)))])
        return [body]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    parser.add_argument("--keep-emails", type=int, default=DEFAULT_KEEP_EMAILS, metavar="N",
                        help=f"how many of the newest SES messages to keep (default {DEFAULT_KEEP_EMAILS})")
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    for patch, *patch_args in ((track_models_weakly,), (snapshot_each_table_once,), (keep_recent_emails, max(1, args.keep_emails))):
        try:
            patch(*patch_args)
        except (ImportError, AttributeError, TypeError) as e:
            warn(f"{patch.__name__} not applied ({e!r}); memory may grow")
    app = CompleteUploadResult(DevRoutes(DomainDispatcherApplication(create_backend_app)))
    run_simple(args.host, args.port, app, threaded=False, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
