"""Runs moto's server on loopback, handling one request at a time.

moto's TransactWriteItems snapshots whole tables and restores them on failure, so on its default
threaded server two concurrent transactions can undo each other's committed writes. DynamoDB
serialises conflicting transactions; serving requests one by one gives the same guarantee, so
concurrency tests exercise this service's logic rather than the emulator's races.
"""

import argparse
import os

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
