"""Measuring one binary: cold starts against a fresh Runtime API, then warm invokes in the last
container, with its CPU, peak memory and AWS calls."""

from __future__ import annotations

import collections
import json
import math
import statistics
import subprocess
import time
from pathlib import Path

import config
from config import log
from processes import STARTED, stop_process
from proxy import CallCounter
from runtime_api import RuntimeApi
from workload import Workload, status_of, succeeded


# ---------------------------------------------------------------------------------------------
# Measuring one binary


def lambda_env(base_env: dict[str, str], function: str, runtime_port: int) -> dict[str, str]:
    return {
        **base_env,
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{runtime_port}",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[1]bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
    }


def vm_hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time of every thread of `pid` so far, from /proc/<pid>/task/*/schedstat (ns)."""
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            total += int((task / "schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


class Launch:
    """One cold start of a binary against a fresh Runtime API."""

    def __init__(self, function: str, base_env: dict[str, str]) -> None:
        self.function = function
        self.api = RuntimeApi(function)
        config.LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = config.LOGS / f"{function}.log"
        out = open(self.log_path, "ab")
        env = lambda_env(base_env, function, self.api.port)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([*config.WRAP, str(config.binary(function))], env=env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=config.ROOT)
        out.close()
        STARTED.append(self.proc)

    def wait_ready(self, timeout: float = 20) -> float:
        deadline = time.monotonic() + timeout
        while not self.api.first_next_seen.wait(0.01):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.function} exited with {self.proc.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.function} did not poll /next within {timeout} s")
        assert self.api.first_next is not None
        return self.api.first_next - self.started

    def stop(self) -> int | None:
        hwm = vm_hwm_kb(self.proc.pid)
        stop_process(self.proc)
        self.api.close()
        return hwm


def calls_between(before: tuple[collections.Counter, float], after: tuple[collections.Counter, float]):
    calls = after[0] - before[0]
    return calls, after[1] - before[1]


def pattern(calls: collections.Counter) -> str:
    return " + ".join(f"{n}×{k}" if n > 1 else k for k, n in sorted(calls.items())) or "none"


def summarise_patterns(patterns: list[str]) -> str:
    counts = collections.Counter(patterns)
    total = len(patterns)
    parts = [f"{p} ({n}/{total})" if n != total else p for p, n in counts.most_common()]
    return "; ".join(parts)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def measure(function: str, base_env: dict[str, str], work: Workload, counter: CallCounter,
            cold_runs: int, invokes: int) -> dict:
    inits, init_cpus, firsts, first_rests, first_patterns, first_statuses = [], [], [], [], [], []
    warm, overheads, ddb_times, warm_patterns = [], [], [], []
    warm_statuses: collections.Counter = collections.Counter()
    hwm = None
    listed = 0  # users on a list-users page
    cpu_per_invoke = float("nan")
    work.setup(function)
    for run in range(cold_runs):
        launch = Launch(function, base_env)
        try:
            inits.append(launch.wait_ready())
            init_cpus.append(cpu_seconds(launch.proc.pid) or float("nan"))
            event = work.event(function)
            before = counter.snapshot()
            kind, body, seconds = launch.api.invoke(event)
            calls, ddb = calls_between(before, counter.snapshot())
            firsts.append(seconds)
            first_rests.append(seconds - ddb)
            first_patterns.append(pattern(calls))
            first_statuses.append(status_of(kind, body))
            if not succeeded(first_statuses[-1]):
                log(f"  {function}: first answer {body[:300]!r}")
            if run == cold_runs - 1:
                cpu_before = cpu_seconds(launch.proc.pid)
                for _ in range(invokes):
                    event = work.event(function)
                    before = counter.snapshot()
                    kind, body, seconds = launch.api.invoke(event)
                    calls, ddb = calls_between(before, counter.snapshot())
                    warm.append(seconds)
                    ddb_times.append(ddb)
                    overheads.append(seconds - ddb)
                    warm_patterns.append(pattern(calls))
                    status = status_of(kind, body)
                    if not succeeded(status) and status not in warm_statuses:
                        log(f"  {function}: warm answer {body[:300]!r}")
                    warm_statuses[status] += 1
                    if config.row(function).get("count_listed") and status == 200 and not listed:  # the same page each time
                        listed = json.loads(json.loads(body)["body"])["count"]
                cpu_after = cpu_seconds(launch.proc.pid)
                if invokes and cpu_before is not None and cpu_after is not None:
                    cpu_per_invoke = (cpu_after - cpu_before) / invokes
        finally:
            last_hwm = launch.stop()
        if run == cold_runs - 1:
            hwm = last_hwm
    return {
        "function": function,
        "size": config.binary(function).stat().st_size,
        "init": statistics.median(inits),
        "inits": inits,
        "init_cpu": statistics.median(init_cpus),
        "first": statistics.median(firsts),
        "first_rest": statistics.median(first_rests),
        "first_calls": summarise_patterns(first_patterns),
        "first_status": summarise_patterns([str(s) for s in first_statuses]),
        "warm_p50": statistics.median(warm) if warm else float("nan"),
        "warm_p95": percentile(warm, 0.95) if warm else float("nan"),
        "ddb_p50": statistics.median(ddb_times) if warm else float("nan"),
        "rest_p50": statistics.median(overheads) if warm else float("nan"),
        "warm_calls": summarise_patterns(warm_patterns) if warm else "",
        "warm_patterns": collections.Counter(warm_patterns),
        "warm_status": ", ".join(f"{s}×{n}" for s, n in warm_statuses.most_common()),
        "rss_kb": hwm,
        "cpu": cpu_per_invoke,
        "listed": listed,
    }
