"""Limits hold across processes: the app served by gunicorn (2 workers) hit by many clients at once.

Each test prints its figures (run with ``-s`` to see them); the assertions are the policy.
"""
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from conftest import PASSWORD, code_in, counted
from gunicorn_server import SECRET_KEY, gunicorn, served_env

from app import create_app
from twofactor.extensions import db
from twofactor.models import LimitBucket, LimitEvent, LoginSession, OneTimeCode, User

TIMEOUT = 30  # seconds any one request may take before the test fails


@pytest.fixture(scope="module")
def served(tmp_path_factory, databases, twilio_server):
    """gunicorn with 2 worker processes serving the app on 127.0.0.1; yields (url, test app)."""
    env = served_env(databases.fresh(), twilio_server.port)
    # The test process shares the database: it seeds accounts and reads counters.
    local = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY,
                        "SQLALCHEMY_DATABASE_URI": env["SERVED_DATABASE_URL"]})
    with local.app_context():
        for n in range(20):
            user = User(username=f"user{n}", phone=f"+1201555{1000 + n * 37:04d}",
                        phone_confirmed=True)
            user.set_password(PASSWORD)
            db.session.add(user)
        db.session.commit()
    try:
        with gunicorn(env, tmp_path_factory.mktemp("served") / "gunicorn.log") as url:
            yield url, local
    finally:
        with local.app_context():
            db.engine.dispose()


@pytest.fixture
def fresh(served, twilio):
    """The served app with no sends or failed guesses counted yet."""
    url, local = served
    with local.app_context():
        db.session.execute(db.delete(LimitEvent))
        db.session.execute(db.delete(LimitBucket))
        db.session.commit()
    return url, local


def at_once(count: int, request) -> tuple[list, float]:
    """Run ``request(i)`` from ``count`` threads released together; (responses, seconds)."""
    start = threading.Barrier(count)

    def run(i):
        start.wait(timeout=TIMEOUT)
        began = time.monotonic()
        response = request(i)
        response.elapsed_s = time.monotonic() - began
        return response

    began = time.monotonic()
    with ThreadPoolExecutor(count) as pool:
        responses = list(pool.map(run, range(count), timeout=TIMEOUT * 3))
    return responses, time.monotonic() - began


def report(name: str, responses: list, seconds: float, **figures) -> None:
    """Print what was measured, for the closing note."""
    latencies = [r.elapsed_s for r in responses]
    statuses = {s: [r.status_code for r in responses].count(s)
                for s in sorted({r.status_code for r in responses})}
    print(f"\n[{name}] {len(responses)} requests in {seconds:.2f}s, statuses {statuses}, "
          f"median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms, {figures}")


def sign_in(url: str, username: str) -> str:
    """Pass the password step; the pending session's cookie."""
    response = requests.post(url + "/login", data={"username": username, "password": PASSWORD},
                             allow_redirects=False, timeout=TIMEOUT)
    assert response.headers["Location"] == "/code"
    return response.cookies["session"]


def test_50_wrong_codes_at_once_are_charged_at_most_3_and_never_500(fresh, twilio):
    url, local = fresh
    cookie = sign_in(url, "user1")
    wrong = f"{(int(code_in(twilio.requests[-1])) + 1) % 10**6:06d}"
    responses, seconds = at_once(50, lambda i: requests.post(
        url + "/code", data={"code": wrong}, cookies={"session": cookie},
        allow_redirects=False, timeout=TIMEOUT))
    with local.app_context():
        attempts = db.session.scalar(db.select(OneTimeCode.failed_attempts))
    charged = counted(local, "guess:")
    report("50 wrong codes", responses, seconds, charged=charged, code_attempts=attempts)
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    assert all(r.status_code == 200 for r in responses)
    assert charged <= 3 and attempts <= 3
    told_wrong = sum(b"That code is not right" in r.content for r in responses)
    assert told_wrong == charged  # every charged guess was answered as one, and no other


def test_right_code_from_10_clients_at_once_signs_in_exactly_one(fresh, twilio):
    url, local = fresh
    cookie = sign_in(url, "user2")
    code = code_in(twilio.requests[-1])
    responses, seconds = at_once(10, lambda i: requests.post(
        url + "/code", data={"code": code}, cookies={"session": cookie},
        allow_redirects=False, timeout=TIMEOUT))
    signed_in = [r for r in responses if r.headers.get("Location") == "/"]
    with local.app_context():
        sessions = db.session.scalar(db.select(db.func.count()).select_from(LoginSession))
    report("right code x10", responses, seconds, signed_in=len(signed_in), sessions=sessions)
    assert len(signed_in) == 1 and sessions == 1
    for loser in (r for r in responses if r is not signed_in[0]):
        # refused: told the code is used up, or (once the winner closed the pending
        # sign-in) sent back to sign in; never given a signed-in session
        assert (loser.status_code == 200 and b"used up" in loser.content
                or loser.headers.get("Location") == "/login")
    home = requests.get(url + "/", cookies={"session": signed_in[0].cookies["session"]},
                        allow_redirects=False, timeout=TIMEOUT)
    assert home.status_code == 200 and b"Welcome, user2" in home.content


def test_30_sign_ins_at_once_send_at_most_one_code(fresh, twilio):
    url, _ = fresh
    responses, seconds = at_once(30, lambda i: requests.post(
        url + "/login", data={"username": "user3", "password": PASSWORD},
        allow_redirects=False, timeout=TIMEOUT))
    report("30 sign-ins", responses, seconds, codes_sent=len(twilio.requests))
    assert all(r.status_code == 302 for r in responses)
    assert len(twilio.requests) == 1


def test_spoofed_forwarded_for_does_not_escape_the_per_network_limit(fresh, twilio):
    url, _ = fresh
    responses = [requests.post(
        url + "/signup", data={"username": f"spoof{n}", "password": PASSWORD,
                               "confirm": PASSWORD, "phone": f"+1201{300 + n}0123"},
        headers={"X-Forwarded-For": f"203.0.113.{n}"}, timeout=TIMEOUT) for n in range(8)]
    assert len(twilio.requests) == 5
    assert all(b"Many accounts were made from your network" in r.content
               for r in responses[5:])
