"""The webhook receiver the delivery function POSTs to: on 127.0.0.1, answering 204 to every POST.
Each POST is counted with the AWS calls (label `POST webhook`), so it shows in an invoke's calls
and its time is kept out of *non-DDB*; event_latency.py reads when each message arrived."""

from __future__ import annotations

import threading
import time

from processes import read_body, serve
from proxy import CallCounter, TimedHandler

LABEL = "POST webhook"


class Receiver:
    def __init__(self, counter: CallCounter) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, bytes]] = []  # (perf_counter as the 204 leaves, body)
        receiver = self

        class Handler(TimedHandler):
            def do_POST(self) -> None:
                body = read_body(self)
                # Counted before answering, as the proxy does: once the 204 is out, the invoke may end.
                counter.add(LABEL, time.perf_counter() - self.started)
                with receiver.lock:
                    receiver.arrivals.append((time.perf_counter(), body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.wfile.flush()

        self.server = serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def take(self) -> list[tuple[float, bytes]]:
        """The arrivals since the last call."""
        with self.lock:
            got, self.arrivals = self.arrivals, []
        return got
