"""Where things are and what the benchmark aims at: paths, the table, the goals of the brief."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TARGET = ROOT / "target"
RELEASE = TARGET / "release"
EVENTS = ROOT / "events"
LOGS = TARGET / "bench-logs"
ROWS = tomllib.loads((Path(__file__).parent / "rows.toml").read_text())

# The binaries measured (--bin-dir: e.g. target/profiling) and a command they run under (--wrap:
# e.g. valgrind's callgrind); set by __main__.
BIN_DIR = RELEASE
WRAP: list[str] = []

TABLE = "userfields-bench"
OTP_KEY = "bench-only-otp-hmac-key-0123456789abcdef"  # 40 chars, local only
OTP_SECRET = "userfields-bench-otp-key"
WEBHOOK_QUEUE = "bench-webhooks.fifo"
VERIFY_CODE = "123456"
FLOOR_COLD_RUNS = 25
IMPORT_USERS = 300
# The export throughput run (issue 27), off by default: seeding goes through moto, whose every
# transaction copies the table, so 10,000 users took over ten minutes to import here.
EXPORT_USERS = 0
# The events run (issue 28, event_latency.py): this many updates for its throughput, as many
# again, paced, for its latency. About a minute here.
EVENT_UPDATES = 100

# Goals (the brief): init ≤ 1.5× the floor; CPU per warm invoke ≤ 0.5 ms over the floor per AWS
# call; peak RSS ≤ 20 MB. Each row's expected warm calls are in rows.toml.
GOAL_INIT_RATIO = 1.5
GOAL_CPU_PER_CALL_MS = 0.5
GOAL_RSS_MB = 20.0


def rows() -> list[dict]:
    """The measured rows, in order, each with its `name` (the function, unless a case says)."""
    return [{"name": r.get("name", r["function"]), **r} for r in ROWS["row"]]


def floors() -> dict[str, dict]:
    return {r["function"]: r for r in ROWS["floor"]}


def row(name: str) -> dict:
    return next(r for r in [*rows(), *floors().values()] if r.get("name", r["function"]) == name)


def binary(name: str) -> Path:
    """The binary of row `name` (or the binary `name`, as the CLI's) from --bin-dir, or from the
    release build when that holds only some binaries."""
    function = next((r["function"] for r in [*rows(), *floors().values()] if r.get("name", r["function"]) == name), name)
    return BIN_DIR / function if (BIN_DIR / function).exists() else RELEASE / function


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
