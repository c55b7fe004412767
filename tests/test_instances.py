"""Two app instances (two gunicorn masters, 2 workers each) sharing one database hold every
limit and every single-use guarantee, for accounts that share only an address, a number
prefix, or the site. Requests alternate between the instances, as a load balancer sends them.

Each test prints its figures (run with ``-s``); the assertions are the policy.
"""
import json

import pytest
import requests

from app import create_app
from conftest import PASSWORD, code_in
from gunicorn_server import SECRET_KEY, gunicorn, served_env
from test_concurrency import TIMEOUT, at_once, report
from twofactor.extensions import db
from twofactor.models import FailedGuess, LoginSession, OneTimeCode, SendEvent, User

ACCOUNTS = 30
LIMITS = {"SEND_LIMIT_IP": [10, 3600], "SEND_LIMIT_PREFIX": [10, 3600],
          "SEND_LIMIT_GLOBAL": [15, 86400],
          "TRUSTED_PROXIES": 1}  # behind a load balancer: X-Forwarded-For names the client


@pytest.fixture(scope="module")
def instances(tmp_path_factory, databases, twilio_server):
    """Two instances on one database; yields ([url_a, url_b], test app on that database)."""
    env = served_env(databases.fresh(), twilio_server.port, SERVED_CONFIG=json.dumps(LIMITS))
    local = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY,
                        "SQLALCHEMY_DATABASE_URI": env["SERVED_DATABASE_URL"]})
    with local.app_context():
        for n in range(ACCOUNTS):
            # "spread" accounts have numbers with different prefixes; "near" ones share one
            for name, phone in ((f"spread{n}", f"+1201{200 + n:03d}0123"),
                                (f"near{n}", f"+12015550{100 + n:03d}")):
                user = User(username=name, phone=phone, phone_confirmed=True)
                user.set_password(PASSWORD)
                db.session.add(user)
        db.session.commit()
    logs = tmp_path_factory.mktemp("instances")
    try:
        with gunicorn(env, logs / "a.log") as a, gunicorn(env, logs / "b.log") as b:
            yield [a, b], local
    finally:
        with local.app_context():
            db.engine.dispose()


@pytest.fixture
def cluster(instances, twilio):
    """The two instances with no sends or guesses counted yet."""
    urls, local = instances
    with local.app_context():
        for model in (SendEvent, FailedGuess):
            db.session.execute(db.delete(model))
        db.session.commit()
    return urls, local


def sign_ins_at_once(urls, name, address) -> list:
    """All accounts ``name(i)`` pass the password step at once, from ``address(i)``,
    alternating between the instances."""
    return at_once(ACCOUNTS, lambda i: requests.post(
        urls[i % 2] + "/login", data={"username": name(i), "password": PASSWORD},
        headers={"X-Forwarded-For": address(i)}, allow_redirects=False, timeout=TIMEOUT))


def sends(local) -> int:
    """How many sends the database counted."""
    with local.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(SendEvent))


def test_30_accounts_from_one_address_get_exactly_the_address_limit(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ins_at_once(urls, lambda i: f"spread{i}", lambda i: "198.51.100.7")
    report("30 accounts, one address", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == sends(local) == 10
    assert all(r.status_code in (200, 302) for r in responses)


def test_30_accounts_sharing_a_prefix_get_exactly_the_prefix_limit(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ins_at_once(urls, lambda i: f"near{i}",
                                          lambda i: f"198.51.100.{i + 1}")
    report("30 accounts, one prefix", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == sends(local) == 10


def test_30_accounts_everywhere_get_exactly_the_site_wide_cap(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ins_at_once(urls, lambda i: f"spread{i}",
                                          lambda i: f"203.0.113.{i + 1}")
    report("30 accounts, site-wide cap", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == sends(local) == 15


def pending_cookie(url: str, username: str) -> str:
    """Pass the password step on one instance; the pending session's cookie."""
    response = requests.post(url + "/login", data={"username": username, "password": PASSWORD},
                             headers={"X-Forwarded-For": "192.0.2.50"}, allow_redirects=False,
                             timeout=TIMEOUT)
    assert response.headers["Location"] == "/code"
    return response.cookies["session"]


def test_right_code_from_10_clients_on_both_instances_signs_in_exactly_one(cluster, twilio):
    urls, local = cluster
    cookie = pending_cookie(urls[0], "near1")
    code = code_in(twilio.requests[-1])
    responses, seconds = at_once(10, lambda i: requests.post(
        urls[i % 2] + "/code", data={"code": code}, cookies={"session": cookie},
        allow_redirects=False, timeout=TIMEOUT))
    with local.app_context():
        sessions = db.session.scalar(db.select(db.func.count()).select_from(LoginSession))
    signed_in = [r for r in responses if r.headers.get("Location") == "/"]
    report("right code x10, two instances", responses, seconds, signed_in=len(signed_in))
    assert len(signed_in) == 1 and sessions == 1


def test_50_wrong_codes_on_both_instances_are_charged_exactly_3(cluster, twilio):
    urls, local = cluster
    cookie = pending_cookie(urls[1], "near2")
    wrong = f"{(int(code_in(twilio.requests[-1])) + 1) % 10**6:06d}"
    responses, seconds = at_once(50, lambda i: requests.post(
        urls[i % 2] + "/code", data={"code": wrong}, cookies={"session": cookie},
        allow_redirects=False, timeout=TIMEOUT))
    with local.app_context():
        charged = db.session.scalar(db.select(db.func.count()).select_from(FailedGuess))
        attempts = db.session.scalar(
            db.select(OneTimeCode.failed_attempts).join(User).where(User.username == "near2")
            .order_by(OneTimeCode.created_at.desc()).limit(1))
    report("50 wrong codes, two instances", responses, seconds, charged=charged)
    assert all(r.status_code == 200 for r in responses)
    assert charged == attempts == 3
