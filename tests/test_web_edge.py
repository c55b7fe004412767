"""Sessions and the web edge: revocation, timeouts, cookies, CSRF, safe GETs, headers, caching."""
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from conftest import (
    PASSWORD,
    PRODUCTION_KEY,
    PRODUCTION_URL,
    AuthActions,
    add_user,
    is_signed_in,
)
from flask.testing import FlaskClient

from app import create_app
from twofactor.extensions import db

LONG_KEY = PRODUCTION_KEY
PAGES = ["/login", "/signup", "/code", "/"]


def routes(app, method: str) -> list[str]:
    """Every URL of ``app`` that answers ``method``, with a dummy value for each argument."""
    urls = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint != "static":
            urls.append(rule.build({arg: "x" for arg in rule.arguments})[1])
    return urls


def signed_in(app, twilio):
    """A new browser that has passed both steps as alice."""
    browser = app.test_client()
    auth = AuthActions(browser, twilio)
    auth.login()
    assert auth.verify().location == "/"
    return browser


def test_sign_out_everywhere_ends_every_session(app, twilio, clock):
    laptop, phone = signed_in(app, twilio), None
    clock.tick(timedelta(seconds=31))
    phone = signed_in(app, twilio)
    bob = app.test_client()
    AuthActions(bob, twilio).login(username="bob")
    AuthActions(bob, twilio).verify()
    assert is_signed_in(laptop) and is_signed_in(phone)
    phone.post("/logout", data={"everywhere": "1"})
    assert not is_signed_in(laptop) and not is_signed_in(phone)
    assert is_signed_in(bob)  # other people stay signed in


def test_sign_out_here_keeps_other_browsers(app, twilio, clock):
    laptop = signed_in(app, twilio)
    clock.tick(timedelta(seconds=31))
    phone = signed_in(app, twilio)
    copied = app.test_client()
    copied.set_cookie("session", phone.get_cookie("session").value)
    phone.post("/logout")
    assert not is_signed_in(copied)  # the copied cookie died too
    assert is_signed_in(laptop)


def test_idle_timeout_is_30_minutes(app, twilio, clock):
    browser = signed_in(app, twilio)
    for _ in range(4):  # active every 29 minutes: still signed in after ~2 hours
        clock.tick(timedelta(minutes=29))
        assert is_signed_in(browser)
    clock.tick(timedelta(minutes=30, seconds=1))
    assert not is_signed_in(browser)


def test_absolute_timeout_is_12_hours_even_when_active(app, twilio, clock):
    browser = signed_in(app, twilio)
    for _ in range(24):
        clock.tick(timedelta(minutes=29, seconds=59))
        assert is_signed_in(browser)
    clock.tick(timedelta(minutes=1))  # 12 h and 36 s after signing in
    assert not is_signed_in(browser)


class HttpsClient(FlaskClient):
    """A browser on https://localhost unless told otherwise."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("base_url", "https://localhost")
        return super().open(*args, **kwargs)


@pytest.fixture
def production(tmp_path, twilio, app_config):
    """The app as deployed: not testing, not debug, a long key, Twilio (the fake) configured."""
    config = {key: value for key, value in app_config.items()
              if key not in ("TESTING", "WTF_CSRF_ENABLED")}
    app = create_app({**config, "SECRET_KEY": LONG_KEY, "PUBLIC_URL": PRODUCTION_URL,
                      "PROPAGATE_EXCEPTIONS": False})
    assert not app.testing and not app.debug
    app.test_client_class = HttpsClient
    yield app
    with app.app_context():
        db.engine.dispose()


def test_production_cookies_are_secure_httponly_lax_host_prefixed(production, twilio):
    browser = production.test_client()
    set_cookies = []

    def keep(response):
        set_cookies.extend(response.headers.getlist("Set-Cookie"))
        return response

    page = keep(browser.get("/login"))
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0]
    keep(browser.post("/login", data={"username": "nobody", "password": "x",
                                      "csrf_token": token},
                      headers={"Referer": "https://localhost/login"}))
    assert set_cookies, "the flow set no cookie"
    for header in set_cookies:
        cookie = SimpleCookie(header)
        (name, morsel), = cookie.items()
        attributes = header.lower()
        assert name.startswith("__Host-")
        assert "; secure" in attributes and "; httponly" in attributes
        assert "samesite=lax" in attributes and morsel["path"] == "/" and not morsel["domain"]


def test_production_cookie_flags_in_the_whole_flow(production, twilio):
    """Password, code, home and sign-out: every Set-Cookie carries the flags."""
    add_user(production, "alice", "+12015550123")
    browser = production.test_client()
    headers = []

    def post(path, **data):
        page = browser.get("/code" if path != "/login" else "/login")
        token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0]
        # over HTTPS Flask-WTF also checks that the Referer is this site, as a browser sends it
        response = browser.post(path, data={**data, "csrf_token": token},
                                headers={"Referer": "https://localhost/login"})
        headers.extend(response.headers.getlist("Set-Cookie"))
        return response

    assert post("/login", username="alice", password=PASSWORD).location == "/code"
    code = AuthActions(browser, twilio).last_code()
    assert post("/code", code=code).location == "/"
    assert is_signed_in(browser)
    assert len(headers) >= 2
    assert all(h.startswith("__Host-session=") and "Secure" in h and "HttpOnly" in h
               and "SameSite=Lax" in h and "Path=/" in h and "Domain" not in h for h in headers)


def test_production_sends_http_to_https_and_sets_hsts(production):
    plain = production.test_client().get("/login?next=/x", base_url="http://localhost")
    assert plain.status_code == 301
    assert plain.location == "https://localhost/login?next=/x"
    secure = production.test_client()
    for path in PAGES + ["/no-such-page"]:
        hsts = secure.get(path).headers["Strict-Transport-Security"]
        assert hsts == "max-age=31536000; includeSubDomains"


def add_failing_route(app):
    """A route that crashes, to see the 500 page's headers."""
    def boom():
        raise RuntimeError("a bug")
    app.add_url_rule("/boom", "boom", boom)


@pytest.mark.parametrize("kind", ["test", "production"])
def test_security_headers_on_every_response_errors_included(request, kind, app_config):
    if kind == "production":
        app, status = request.getfixturevalue("production"), 301
    else:
        app, status = create_app({**app_config, "PROPAGATE_EXCEPTIONS": False}), None
    add_failing_route(app)
    client = app.test_client()
    responses = [client.get(path) for path in routes(app, "GET") + ["/no-such-page", "/boom"]]
    responses += [client.post(path) for path in routes(app, "POST")]
    responses.append(client.get("/static/style.css"))
    if status:
        responses.append(client.get("/login", base_url="http://localhost"))  # -> https
    codes = {r.status_code for r in responses}
    assert {404, 500} <= codes and (status is None or status in codes)
    for response in responses:
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "base-uri 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert ("Strict-Transport-Security" in headers) == (kind == "production")
        response.close()


def test_pages_are_never_cached(client, auth):
    for path in ["/login", "/signup"]:
        assert client.get(path).headers["Cache-Control"] == "no-store"
    assert auth.login().headers["Cache-Control"] == "no-store"
    assert client.get("/code").headers["Cache-Control"] == "no-store"
    auth.verify()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_any_page(client, auth):
    pages = [client.get("/login"), client.get("/signup"), auth.login(), client.get("/code")]
    auth.verify()
    pages.append(client.get("/"))
    for page in pages:
        for tag in page.data.split(b"<script")[1:]:
            assert b"src=" in tag.split(b">")[0]  # scripts come from files only
        assert b" onclick=" not in page.data and b" onload=" not in page.data


def test_every_post_needs_a_csrf_token_and_get_is_refused(app_config, twilio):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    browser = app.test_client()
    AuthActions(browser, twilio).login()  # nothing is sent: the login itself needs a token
    assert twilio.requests == []
    for path in routes(app, "POST"):
        # Twilio's webhooks are exempt from CSRF and need Twilio's signature instead; the
        # sign-in and sign-up forms come back to be sent again, the other buttons redirect; the
        # JSON API takes no form a cross-site page could post (and checks X-CSRFToken itself)
        expected = {"/login": 400, "/signup": 400}.get(
            path, 403 if "/twilio/" in path else 415 if path.startswith("/api/") else 303)
        assert browser.post(path, data={"username": "alice", "password": PASSWORD,
                                        "code": "123456", "channel": "sms"}).status_code == expected
        assert browser.post(path, data={"csrf_token": "forged"}).status_code == expected
    pages = {rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.rule not in pages:  # some pages post to themselves
            path = rule.build({arg: "x" for arg in rule.arguments})[1]
            assert browser.get(path).status_code == 405
    assert twilio.requests == []


def test_a_token_from_another_session_is_refused(app_config, twilio):
    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    attacker, victim = app.test_client(), app.test_client()
    page = attacker.get("/login")
    token = page.data.split(b'name="csrf_token" type="hidden" value="')[1].split(b'"')[0]
    response = victim.post("/login", data={"username": "alice", "password": PASSWORD,
                                           "csrf_token": token.decode()})
    assert response.status_code == 400 and twilio.requests == []


def table_counts(app) -> dict:
    """How many rows each table has, and the attempts charged to codes."""
    with app.app_context():
        counts = {table.name: db.session.scalar(db.select(db.func.count()).select_from(table))
                  for table in db.metadata.sorted_tables}
        counts["attempts"] = db.session.scalar(db.text(
            "SELECT coalesce(sum(failed_attempts), 0) FROM one_time_code"))
    return counts


def test_no_get_changes_anything(app, client, auth, twilio):
    """Anonymous, half-way and signed in: a GET of every route leaves the database as it was."""
    def get_everything():
        before, sent = table_counts(app), len(twilio.requests)
        for path in routes(app, "GET"):
            assert client.get(path).status_code < 500
            assert client.get(path + "?code=123456&channel=voice&everywhere=1").status_code < 500
        assert table_counts(app) == before and len(twilio.requests) == sent

    get_everything()
    auth.login()
    get_everything()
    auth.verify()
    get_everything()
    assert is_signed_in(client)  # still signed in: GET /logout did nothing


def test_half_signed_in_reaches_no_protected_page(app, client, auth):
    """Between the password and the code, every signed-in page sends to /code."""
    auth.login()
    protected = [path for path in routes(app, "GET") if client.get(path).status_code == 302
                 and client.get(path).location.startswith(("/code", "/login"))]
    assert "/" in protected
    for path in protected:
        assert client.get(path).location == "/code"
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_unknown_user_and_wrong_password_get_identical_responses(app):
    """Same status, body, headers and cookie names (timing: bench/login_timing.py)."""
    def attempt(username):
        response = app.test_client().post("/login", data={"username": username,
                                                          "password": "not the password"})
        cookies = sorted(SimpleCookie(h).popitem()[0]
                         for h in response.headers.getlist("Set-Cookie"))
        return (response.status_code, sorted(response.headers.keys()), cookies,
                response.data.replace(username.encode(), b"NAME"))

    assert attempt("alice") == attempt("nobody")
    assert attempt("bob") == attempt("someone-else")
