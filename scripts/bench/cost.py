"""A model of Lambda's memory sizes: how the CPU measured here at a full core stretches at each
size, and what a million warm requests cost."""

from __future__ import annotations

import math

import config
from report import warm_calls


# Lambda model (us-east-1, arm64, 2026 list prices) for the memory-size table.
MEMORY_SIZES = (128, 256, 512, 1024)
FULL_VCPU_MB = 1769                 # CPU share grows linearly with memory up to one vCPU here
PRICE_GB_SECOND = 0.0000133334      # arm64 duration, per GB-second
PRICE_PER_MILLION_REQUESTS = 0.20
# Assumed in-region service latency per call (moto on loopback says nothing about AWS).
AWS_CALL_MS = {"default": 5.0, "SES": 40.0}
# A size is recommended when the CPU of a warm invoke adds at most this much wall time.
CPU_WALL_BUDGET_MS = 10.0


def io_ms(r: dict) -> float:
    """Assumed AWS wait of a warm invoke: its most common call pattern at the latencies above."""
    return sum(n * AWS_CALL_MS["SES" if op.startswith("POST /v2/email") else "default"] for n, op in warm_calls(r))


def stretch(memory: int) -> float:
    """How much longer CPU work takes at `memory` MB than at a full core."""
    return max(1.0, FULL_VCPU_MB / memory)


def cpu_wall_ms(r: dict, memory: int) -> float:
    """The wall time a warm invoke's CPU takes at `memory` MB (measured here at a full core)."""
    return r["cpu"] * 1000 * stretch(memory)


def model(r: dict, memory: int) -> tuple[float, float, float]:
    """(warm wall ms, cold init ms, $ per million warm requests) at `memory` MB, from the CPU
    measured here at a full core."""
    wall = cpu_wall_ms(r, memory) + io_ms(r)
    init = r["init"] * 1000 * stretch(memory)
    cost = 1e6 * math.ceil(wall) / 1000 * memory / 1024 * PRICE_GB_SECOND + PRICE_PER_MILLION_REQUESTS
    return wall, init, cost


def recommended_memory(r: dict) -> int:
    for memory in MEMORY_SIZES:
        if cpu_wall_ms(r, memory) <= CPU_WALL_BUDGET_MS:
            return memory
    return MEMORY_SIZES[-1]


def memory_report(results: list[dict]) -> str:
    lines = [
        "", "## Memory size: modelled wall time and cost", "",
        f"Lambda gives a function memory/{FULL_VCPU_MB} of a vCPU, so the CPU measured here at a full "
        f"core stretches by {FULL_VCPU_MB}/memory; AWS calls are assumed to take "
        f"{AWS_CALL_MS['default']:g} ms (DynamoDB, KMS, Secrets Manager) or {AWS_CALL_MS['SES']:g} ms "
        f"(SES) in-region whatever the size. Cost: arm64 ${PRICE_GB_SECOND} per GB-s, billed per ms, "
        f"plus ${PRICE_PER_MILLION_REQUESTS:.2f} per million requests. Recommended: the smallest size "
        f"at which a warm invoke's CPU adds at most {CPU_WALL_BUDGET_MS:g} ms.",
        "",
        "| function | CPU / warm invoke | AWS wait | " + " | ".join(
            f"{m} MB: warm / cold init / $ per M" for m in MEMORY_SIZES) + " | recommended |",
        "|---|---:|---:|" + "---:|" * len(MEMORY_SIZES) + "---:|",
    ]
    for r in results:
        if config.row(r["function"])["function"] != r["function"]:
            continue  # a function is sized by its own row, its worst case
        cells = [r["function"], f"{r['cpu'] * 1000:.2f} ms", f"{io_ms(r):.0f} ms"]
        for m in MEMORY_SIZES:
            wall, init, cost = model(r, m)
            cells.append(f"{wall:.0f} ms / {init:.0f} ms / ${cost:.2f}")
        cells.append(f"{recommended_memory(r)} MB")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
