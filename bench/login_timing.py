"""Timing of failed sign-ins: does a wrong password take as long as an unknown username?

Run: python3 bench/login_timing.py [ROUNDS]   (default 30 of each, interleaved)
Prints the median time of each case and their difference; the target is under 20 ms.
"""
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from twofactor.extensions import db  # noqa: E402
from twofactor.models import User  # noqa: E402


def main(rounds: int = 30) -> None:
    """Time POST /login for both cases, alternating so drift hits both alike."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                          "SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        with app.app_context():
            user = User(username="alice", phone="+12015550123", phone_confirmed=True)
            user.set_password("correct horse battery")
            db.session.add(user)
            db.session.commit()
        client = app.test_client()
        times = {"wrong password": [], "unknown user": []}
        for n in range(rounds + 3):
            for case, name in (("wrong password", "alice"), ("unknown user", f"nobody{n}")):
                began = time.perf_counter()
                response = client.post("/login", data={"username": name, "password": "guess"})
                elapsed = time.perf_counter() - began
                assert response.status_code == 200 and b"Invalid username or password." in response.data
                if n >= 3:  # the first rounds warm caches up
                    times[case].append(elapsed * 1000)
        with app.app_context():
            db.engine.dispose()
    medians = {case: statistics.median(values) for case, values in times.items()}
    for case, values in times.items():
        print(f"{case:15} median {medians[case]:7.2f} ms  "
              f"(min {min(values):.2f}, max {max(values):.2f}, n={len(values)})")
    diff = medians["wrong password"] - medians["unknown user"]
    print(f"difference of medians {diff:+.2f} ms (target: under 20 ms)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
