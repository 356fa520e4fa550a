"""The Markdown report: every row against the floors, and each function against the goals."""

from __future__ import annotations

import collections

import config
from measure import pattern


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def warm_calls(r: dict) -> list[tuple[int, str]]:
    """The calls of a warm invoke's most common pattern, as (count, operation)."""
    if not r["warm_patterns"]:
        return []
    top = r["warm_patterns"].most_common(1)[0][0]
    if top == "none":
        return []
    return [(int(p.split("×")[0]), p.split("×")[1]) if "×" in p else (1, p) for p in top.split(" + ")]


def calls_per_invoke(r: dict) -> int:
    return sum(n for n, _ in warm_calls(r))


def report(results: list[dict], floor: dict, store_floor: dict, sdk_floor: dict, invokes: int, cold_runs: int,
           hop: float) -> str:
    lines = [
        f"{cold_runs} cold starts per binary ({len(floor['inits'])} for the floors, whose start every init "
        f"ratio divides by; medians of init and first invoke), then {invokes} warm "
        f"invokes in the last container. Times in ms. DynamoDB is moto on loopback behind a counting "
        f"proxy. *non-DDB* = invoke latency minus the time the proxy spent on the DynamoDB calls; "
        f"each call also costs about {ms(hop)} ms of proxy hop that lands in *non-DDB* (calibrated "
        f"from Python). *CPU* = CPU time of the process per warm invoke (all threads, "
        f"/proc/<pid>/task/*/schedstat): the function's own work, whatever the emulator does.",
        "",
        "| binary | size | init (× floor) | init CPU (× floor) | first invoke (non-DDB) | warm p50 / p95 | DDB p50 | non-DDB p50 "
        "| CPU / warm invoke (over floor) | DDB calls, first invoke | DDB calls, warm invoke | status first / warm "
        "| peak RSS (× floor) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|",
    ]
    floor_rss = floor["rss_kb"] or 0
    for r in [floor, store_floor, sdk_floor, *results]:
        is_floor = r is floor
        rss = r["rss_kb"]
        rss_txt = f"{rss / 1024:.1f} MB" if rss else "?"
        if rss and floor_rss and not is_floor:
            rss_txt += f" ({rss / floor_rss:.1f}×)"
        cells = [
            r["function"],
            f"{r['size'] / 1e6:.2f} MB",
            ms(r["init"]) + ("" if is_floor else f" ({r['init'] / floor['init']:.1f}×)"),
            ms(r["init_cpu"]) + ("" if is_floor else f" ({r['init_cpu'] / floor['init_cpu']:.1f}×)"),
            f"{ms(r['first'])} ({ms(r['first_rest'])})",
            f"{ms(r['warm_p50'])} / {ms(r['warm_p95'])}",
            ms(r["ddb_p50"]),
            ms(r["rest_p50"]),
            ms(r["cpu"]) + ("" if is_floor else f" (+{ms(r['cpu'] - floor['cpu'])})"),
            r["first_calls"],
            r["warm_calls"],
            f"{r['first_status']} / {r['warm_status']}",
            rss_txt,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    # CPU over the floor = the fixed cost of each DynamoDB call (build, sign, send, parse an empty
    # answer: store-floor, measured alone) × calls + the function's own work (*handler*: its
    # logic, and reading and writing its items and its response). Measured, not fitted: a fit
    # over the functions was dominated by list-users and bulk-create-users.
    per_call = (store_floor["cpu"] - floor["cpu"]) * 1000
    lines += ["", f"Goals (*handler* = CPU over floor minus {per_call:.2f} ms per DynamoDB call, what one "
              f"call costs through the store alone: store-floor, a GetItem of a missing item):", ""]
    for r in results:
        checks = []
        ratio = r["init"] / floor["init"]
        cpu_ratio = r["init_cpu"] / floor["init_cpu"] if floor["init_cpu"] else float("nan")
        checks.append(f"init {ratio:.1f}× floor {'✓' if ratio <= config.GOAL_INIT_RATIO else '✗'}, init CPU "
                      f"{cpu_ratio:.1f}× {'✓' if cpu_ratio <= config.GOAL_INIT_RATIO else '✗'} (≤ {config.GOAL_INIT_RATIO:g}×)")
        cpu_over = (r["cpu"] - floor["cpu"]) * 1000
        budget = config.GOAL_CPU_PER_CALL_MS * max(1, calls_per_invoke(r))
        wall_over = (r["rest_p50"] - floor["warm_p50"]) * 1000
        wall_net = wall_over - calls_per_invoke(r) * hop * 1000
        handler = cpu_over - per_call * calls_per_invoke(r)
        checks.append(
            f"CPU over floor {cpu_over:.2f} ms {'✓' if cpu_over <= budget else '✗'} (≤ {budget:g} ms for "
            f"{calls_per_invoke(r)} calls; handler alone {handler:.2f} ms); wall non-DDB over floor "
            f"{wall_over:.2f} ms, {wall_net:.2f} ms without the proxy hops"
        )
        if r.get("listed"):
            # A page's work follows the users in it (and their size), not the shards they sit in.
            checks.append(f"{cpu_over / r['listed']:.3f} ms over floor per user listed ({r['listed']} a page)")
        rss_mb = (r["rss_kb"] or 0) / 1024
        checks.append(f"peak RSS {rss_mb:.1f} MB {'✓' if r['rss_kb'] and rss_mb <= config.GOAL_RSS_MB else '✗'} "
                      f"(≤ {config.GOAL_RSS_MB:g} MB)")
        goal_calls = config.row(r["function"]).get("warm_calls")
        if goal_calls:
            want = pattern(collections.Counter(goal_calls))
            ok = bool(r["warm_patterns"]) and r["warm_patterns"].most_common(1)[0][0] == want
            checks.append(f"warm calls = {want} {'✓' if ok else '✗'}")
        lines.append(f"- {r['function']}: " + "; ".join(checks))
    lines += ["", "Rows with a seed (scripts/bench/rows.toml) are measured on their success path: before each "
              "invoke (untimed, not counted) `userfields bench-seed` writes what it needs through the project's "
              "own operations and store: a user for delete-user, a known code for the verify rows, the "
              "session sdk-session-revoke ends."]
    return "\n".join(lines) + "\n"
