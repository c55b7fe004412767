"""The closing report: the machine, then one markdown table with a column per database state."""
import os
import platform
import statistics
from datetime import datetime, timezone
from pathlib import Path


def machine(database: str, generator: str, load_before: float) -> list[str]:
    """Date and machine lines: CPU model and cores from /proc, memory, software versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    meminfo = Path("/proc/meminfo").read_text().split()
    memory = int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2
    return [f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            f"Machine: {model}, {os.cpu_count()} cores, {memory:.0f} GB RAM, "
            f"Linux {platform.release()}; load average before the run {load_before:.2f} "
            "(other work on the machine skews every figure)",
            f"Software: Python {platform.python_version()}, {database}, {generator}, "
            "gunicorn 2 sync workers per server"]


def table(phases: dict[str, dict]) -> str:
    """The figures of each phase side by side."""
    rows = [("rows at start: users / limit counters / audit events",
             lambda p: " / ".join(f"{n:,}" for n in p["rows"].values())),
            ("bare route: req/s (p50 / p99 ms)", lambda p: _load(p["bare"])),
            ("wrong-code POST: req/s (p50 / p99 ms)", lambda p: _load(p["app"])),
            ("wrong-code POST / bare route, throughput", lambda p: f"{_ratio(p):.1f} %"),
            ("wrong-code answers that said \"not right\"",
             lambda p: f"{sum(r['matched'] for r in p['app']):,} of "
                       f"{sum(r['answered'] for r in p['app']):,}"),
            ("sign-ins per second at 1 / 2 clients",
             lambda p: " / ".join(f"{c['per_s']:.1f}" for c in p["cycles"].values())),
            ("ms per sign-in at 1 / 2 clients, as the client sees it",
             lambda p: _cycle_ms(p, "ms")),
            ("server ms per sign-in (its 4 requests) at 1 / 2 clients",
             lambda p: _cycle_ms(p, "server_ms")),
            ("… in the password check", lambda p: _cycle_ms(p, "hash_ms")),
            ("… outside the password check", lambda p: _cycle_ms(p, "outside_ms")),
            ("… outside the password check and the fake Twilio's own work",
             lambda p: _cycle_ms(p, "app_ms")),
            ("SQL statements per wrong-code POST / password POST",
             lambda p: f"{_count(p, 'POST /code wrong')} / {_count(p, 'POST /login')}"),
            ("SQL statements per GET /login, GET /code, right-code POST",
             lambda p: ", ".join(_count(p, k) for k in ("GET /login", "GET /code", "POST /code"))),
            ("RSS per worker, MB: app / bare route",
             lambda p: f"{_mb(p['rss_app'])} / {_mb(p['rss_bare'])}"),
            ("RSS of a worker, MB: the bare route with the app's libraries loaded",
             lambda p: _mb(p["rss_stack"]))]
    lines = ["| | " + " | ".join(phases) + " |", "|---" * (len(phases) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(cell(p) for p in phases.values()) + " |"
              for name, cell in rows]
    return "\n".join(lines)


def _load(rounds: list[dict]) -> str:
    """Median req/s, p50 and p99 over the rounds."""
    med = {k: statistics.median(r[k] for r in rounds) for k in ("rps", "p50_ms", "p99_ms")}
    return f"{med['rps']:.0f} ({med['p50_ms']:.1f} / {med['p99_ms']:.1f})"


def _ratio(phase: dict) -> float:
    """Median over round pairs of app req/s as a share of the bare route's, in %."""
    return statistics.median(a["rps"] / b["rps"] * 100 for a, b in zip(phase["app"], phase["bare"]))


def _cycle_ms(phase: dict, key: str) -> str:
    """A sign-in's ``key`` time in ms (the median) at each client count."""
    return " / ".join(f"{c[key]:.1f}" for c in phase["cycles"].values())


def _count(phase: dict, step: str) -> str:
    """Statements ``step`` ran: one number, or the range when requests differed."""
    seen = sorted(phase["statements"].get(step, ()))
    if not seen:
        return "?"
    return str(seen[0]) if len(seen) == 1 else f"{seen[0]}–{seen[-1]}"


def _mb(sizes: list[float]) -> str:
    """Worker sizes as "71, 70"."""
    return ", ".join(f"{size:.0f}" for size in sizes)
