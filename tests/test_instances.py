"""Two app instances (two gunicorn masters, 2 workers each) sharing one database hold every
limit and every single-use guarantee, for sign-ups that share only an address, a number
prefix, a number, or the site. Requests alternate between the instances, as a load balancer
sends them.

Each test prints its figures (run with ``-s``); the assertions are the policy.
"""
import json

import pytest
import requests
from conftest import PASSWORD, code_in, counted
from gunicorn_server import SECRET_KEY, gunicorn, served_env
from test_concurrency import TIMEOUT, at_once, report

from app import create_app
from twofactor.extensions import db
from twofactor.models import LimitBucket, LimitEvent, LoginSession, OneTimeCode, User

SIGN_UPS = 30
LIMITS = {"SEND_LIMITS_NETWORK": [[10, 3600]], "SEND_LIMITS_NUMBER": [[10, 3600]],
          "SEND_LIMIT_PREFIX": [10, 3600], "SEND_LIMIT_COUNTRY": [1000, 3600],
          "SEND_LIMIT_GLOBAL": [15, 86400], "SIGNUP_LIMIT_NETWORK": [1000, 3600],
          "TRUSTED_PROXIES": 1}  # behind a load balancer: X-Forwarded-For names the client


@pytest.fixture(scope="module")
def instances(tmp_path_factory, databases, twilio_server):
    """Two instances on one database; yields ([url_a, url_b], test app on that database)."""
    env = served_env(databases.fresh(), twilio_server.port, SERVED_CONFIG=json.dumps(LIMITS))
    local = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY,
                        "SQLALCHEMY_DATABASE_URI": env["SERVED_DATABASE_URL"]})
    with local.app_context():
        for n in range(3):
            member = User(username=f"member{n}", phone=f"+1201555{1000 + n:04d}",
                          phone_confirmed=True)
            member.set_password(PASSWORD)
            db.session.add(member)
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
        db.session.execute(db.delete(LimitEvent))
        db.session.execute(db.delete(LimitBucket))
        db.session.commit()
    return urls, local


def sign_ups_at_once(urls, label, phone, address) -> list:
    """30 new accounts, the i-th texting ``phone(i)`` from ``address(i)``, all at once,
    alternating between the instances."""
    return at_once(SIGN_UPS, lambda i: requests.post(
        urls[i % 2] + "/signup", data={"username": f"{label}{i}", "password": PASSWORD,
                                       "confirm": PASSWORD, "phone": phone(i)},
        headers={"X-Forwarded-For": address(i)}, allow_redirects=False, timeout=TIMEOUT))


def test_30_sign_ups_from_one_address_get_exactly_the_network_limit(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ups_at_once(urls, "net", lambda i: f"+1201{300 + i}0123",
                                          lambda i: "198.51.100.7")
    report("30 sign-ups, one address", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == counted(local, "send:network:") == 10
    assert all(r.status_code == 302 for r in responses)


def test_30_sign_ups_sharing_a_prefix_get_exactly_the_prefix_limit(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ups_at_once(urls, "pre", lambda i: f"+12015550{100 + i}",
                                          lambda i: f"198.51.100.{i + 1}")
    report("30 sign-ups, one prefix", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == counted(local, "send:prefix:") == 10


def test_30_sign_ups_naming_one_number_get_exactly_the_number_limit(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ups_at_once(urls, "num", lambda i: "+12015550199",
                                          lambda i: f"192.0.2.{i + 1}")
    report("30 sign-ups, one number", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == counted(local, "send:number:") == 10


def test_30_sign_ups_everywhere_get_exactly_the_site_wide_cap(cluster, twilio):
    urls, local = cluster
    responses, seconds = sign_ups_at_once(urls, "all", lambda i: f"+1201{400 + i}0123",
                                          lambda i: f"203.0.113.{i + 1}")
    report("30 sign-ups, site-wide cap", responses, seconds, codes_sent=len(twilio.requests))
    assert len(twilio.requests) == counted(local, "send:unconfirmed") == 15


def pending_cookie(url: str, username: str) -> str:
    """Pass the password step on one instance; the pending session's cookie."""
    response = requests.post(url + "/login", data={"username": username, "password": PASSWORD},
                             headers={"X-Forwarded-For": "192.0.2.50"}, allow_redirects=False,
                             timeout=TIMEOUT)
    assert response.headers["Location"] == "/code"
    return response.cookies["session"]


def test_right_code_from_10_clients_on_both_instances_signs_in_exactly_one(cluster, twilio):
    urls, local = cluster
    cookie = pending_cookie(urls[0], "member1")
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
    cookie = pending_cookie(urls[1], "member2")
    wrong = f"{(int(code_in(twilio.requests[-1])) + 1) % 10**6:06d}"
    responses, seconds = at_once(50, lambda i: requests.post(
        urls[i % 2] + "/code", data={"code": wrong}, cookies={"session": cookie},
        allow_redirects=False, timeout=TIMEOUT))
    with local.app_context():
        attempts = db.session.scalar(
            db.select(OneTimeCode.failed_attempts).join(User).where(User.username == "member2")
            .order_by(OneTimeCode.created_at.desc()).limit(1))
    charged = counted(local, "guess:")
    report("50 wrong codes, two instances", responses, seconds, charged=charged)
    assert all(r.status_code == 200 for r in responses)
    assert charged == attempts == 3
