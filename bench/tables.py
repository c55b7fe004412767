"""Do the limit checks, the code check and a prune stay fast as the tables grow?

Run: .venv/bin/python bench/tables.py [--database-url URL] [--users N] [--rows M]
Times, in the app's own functions, what a sign-in asks of the database: every send limit of a
sign-in and of a sign-up, the wrong-code budget and delay, checking a typed code; then a prune
run. First on an empty database, then after filling it (default 100,000 users and 1,000,000
sends, wrong entries and audit events). SQLite in a temporary file unless a URL is given.
"""
import argparse
import statistics
import tempfile
import time

import database
import fill

from twofactor import prune
from twofactor.abuse import counting, limits, policy
from twofactor.extensions import db
from twofactor.models import User
from twofactor.signin import codes, steps

REPEAT = 200


def median_ms(action) -> float:
    """The median time of ``action()`` over REPEAT runs, in milliseconds; each run rolled back."""
    times = []
    for _ in range(REPEAT):
        counting.request_counts().clear()  # else every run after the first reuses its counts
        began = time.perf_counter()
        action()
        times.append((time.perf_counter() - began) * 1000)
        db.session.rollback()
    return statistics.median(times)


def measure(app) -> dict[str, float]:
    """Time each database question of a sign-in, as the app asks it."""
    with app.test_request_context(environ_base={"REMOTE_ADDR": "192.0.2.77"}):
        user = db.session.scalar(db.select(User).order_by(User.id.desc()).limit(1))
        network = policy.client_network("192.0.2.77")
        pending = steps.begin_pending(user, "login", None)
        codes.issue_code(pending, "sms")
        db.session.commit()
        figures = {
            "sign-in send limits": median_ms(lambda: limits.refusal(
                policy.guess_rules(user.id) + policy.send_rules(user, network, True))),
            "sign-up send limits": median_ms(lambda: limits.refusal(
                policy.send_rules(user, network, False))),
            "wrong-code budget and delay": median_ms(lambda: (
                limits.refusal(policy.guess_rules(user.id)),
                limits.delay_refusal(policy.guess_delay(user)))),
            "password delay": median_ms(lambda: [limits.delay_refusal(d) for d in
                                                 policy.password_delays(user.username, network)]),
            "checking a typed code": median_ms(lambda: codes.check_code(pending, "000000")),
        }
        began = time.perf_counter()
        removed = prune.prune()
        figures["prune run (s)"] = time.perf_counter() - began
        figures["rows pruned"] = sum(removed.values())
    return figures


def main() -> None:
    """Measure empty, fill, measure again, print both side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a throwaway database: rows are added to it")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/tables.sqlite"
        app = database.local_app(url)
        database.create_schema(app)
        fill.fill(url, users=10, rows=0)
        empty = measure(app)
        fill.fill(url, users=args.users, rows=args.rows)
        full = measure(app)
        print(f"\n{database.server_version(app)}; medians of {REPEAT} runs, in ms")
        print(f"{'':32} {'empty':>10} {'filled':>10}")
        for name in empty:
            print(f"{name:32} {empty[name]:>10.3f} {full[name]:>10.3f}")
        print("rows left after the prune:", database.row_counts(app))
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
