"""The load benchmark: the app served by gunicorn, against a bare Flask route served the same way.

Run: .venv/bin/python bench/load.py [--database-url URL] [--seconds S] [--big]
SQLite in a temporary file unless a URL is given (that database keeps the benchmark's rows).
bench/README.md says what each figure means.
"""
import argparse
import os
import secrets
import tempfile
from pathlib import Path

import database
import fill
import loadgen
import measure
import report
import servers
from settings import describe_limits

from twofactor.extensions import db

SEED_USERS = 256  # accounts the run signs in as (the big fill adds the rest)
BIG_USERS, BIG_ROWS = 100_000, 1_000_000


def main() -> None:
    """Parse the command line, measure before (and with --big after) the fill, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="e.g. postgresql+psycopg://user@127.0.0.1/db")
    parser.add_argument("--seconds", type=int, default=5, choices=range(1, 61), metavar="1-60",
                        help="length of one load round (default 5)")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each route (default 4)")
    parser.add_argument("--big", action="store_true", help=f"then fill to {BIG_USERS:,} users "
                        f"and {BIG_ROWS:,} rows per growing table and measure again")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        local = database.local_app(url)
        database.create_schema(local)
        people = fill.fill(url, SEED_USERS, 0)
        print("Limits raised for the run:\n  " + "\n  ".join(describe_limits()), flush=True)
        fake = servers.start_fake_twilio()
        try:
            hash_ms = measure.password_hash_ms(local, people[0][0])
            phases = {"before the fill": run_phase(url, local, fake, people, args, Path(tmp))}
            if args.big:
                fill.fill(url, BIG_USERS - SEED_USERS, BIG_ROWS)
                phases["after the fill"] = run_phase(url, local, fake, people, args, Path(tmp))
        finally:
            fake.close()
        broken = sum(bool(request["spec_error"]) for request in fake.requests)
        lines = report.machine(database.server_version(local), loadgen.generator(), load_before)
        with local.app_context():
            db.engine.dispose()
    print("\n" + "\n".join(lines) + "\n\n" + report.table(phases))
    print(f"\nOne password check in the benchmark's own process: {hash_ms:.0f} ms.")
    if broken:
        print(f"\nWARNING: {broken} requests to the fake Twilio broke Twilio's API description.")


def run_phase(url: str, local, fake, people: list, args, tmp: Path) -> dict:
    """Serve the app and the bare route, measure each figure once, stop both; then serve the bare
    route with the app's libraries loaded, for its memory alone."""
    env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_SECRET_KEY": secrets.token_hex(32),
           "BENCH_TWILIO_URL": f"http://127.0.0.1:{fake.port}", "BENCH_MEASURE": "1"}
    result = {"rows": database.row_counts(local)}
    with servers.Gunicorn("production_app", env, tmp / "app.log") as app, \
            servers.Gunicorn("bare_app", env, tmp / "bare.log") as bare:
        app.wait_until_up("/login")
        bare.wait_until_up("/start")
        wrong, readers = measure.browsers(app.base, bare.base, fake, people)
        result["bare"], result["app"] = measure.interleave(
            app.base, bare.base, wrong, readers, args.rounds, args.seconds)
        result["statements"] = measure.wrong_code_statements(wrong)
        result["cycles"] = measure.sign_in_rounds(
            app.base, fake, people[measure.SESSIONS:], args.rounds, args.seconds,
            result["statements"])
        result["rss_app"], result["rss_bare"] = app.worker_rss_mb(), bare.worker_rss_mb()
    # One worker, so that every request warms the worker measured.
    with servers.Gunicorn("stack_app", env, tmp / "stack.log", workers=1) as stack:
        stack.wait_until_up("/db")
        for _ in range(20):
            stack.get("/db")
        result["rss_stack"] = stack.worker_rss_mb()
    for server in (app, bare, stack):
        if server.crashed():
            print(f"WARNING: a worker logged a traceback:\n{server.log_path.read_text()[-3000:]}")
    return result


if __name__ == "__main__":
    main()
