"""Errors in the site's own pages, and a form whose page expired coming back to be sent again."""
import re
from datetime import timedelta

import pytest
from conftest import PASSWORD, AuthActions, is_signed_in
from werkzeug.exceptions import TooManyRequests, abort

from twofactor.extensions import db
from twofactor.models import OneTimeCode, User

EXPIRED = "Your page expired — please try again."


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}  # a crash is answered, as when deployed


def add_routes(app):
    """Routes that fail the ways the app itself rarely does, to see their pages."""
    def fail(code):
        if code == 429:
            raise TooManyRequests(retry_after=60)
        if code == 500:
            raise RuntimeError("a bug")
        abort(code)
    app.add_url_rule("/fail/<int:code>", "fail", fail)


# A form field bigger than Flask reads (MAX_FORM_MEMORY_SIZE), as bytes: no temporary file.
BIG_FORM = {"data": b'--b\r\nContent-Disposition: form-data; name="username"\r\n\r\n'
                    + b"x" * 600_000 + b"\r\n--b--\r\n",
            "content_type": "multipart/form-data; boundary=b"}


def looks_like_the_site(page: str, title: str) -> None:
    """A page of this site: its layout, a phone-sized viewport, the title as its heading."""
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert f"<title>{title} · Two-factor demo</title>" in page
    assert re.search(rf"<h1>\s*{re.escape(title)}\s*</h1>", page)
    assert 'class="brand" href="/">Two-factor demo</a>' in page
    assert 'href="/static/style.css"' in page
    assert "Werkzeug" not in page and "The requested URL" not in page


@pytest.mark.parametrize("method, path, status, title", [
    ("get", "/fail/400", 400, "Something was wrong with that request"),
    ("post", "/twilio/status", 403, "Not allowed"),  # no Twilio signature
    ("get", "/no-such-page", 404, "Page not found"),
    ("get", "/logout", 405, "Not available this way"),
    ("post", "/login", 413, "Too much to send"),  # a field larger than Flask will read
    ("get", "/fail/429", 429, "Too many tries"),
    ("get", "/fail/500", 500, "Something went wrong"),
])
def test_every_error_page_is_a_page_of_the_site(app, method, path, status, title):
    add_routes(app)
    response = getattr(app.test_client(), method)(path, **(BIG_FORM if status == 413 else {}))
    assert response.status_code == status
    looks_like_the_site(response.get_data(as_text=True), title)
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    if status == 405:
        assert "POST" in response.headers["Allow"]  # kept from the error
    if status == 429:
        assert response.headers["Retry-After"] == "60"


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True  # read on each request
    return app


def token(page) -> str:
    """The CSRF token a page's form carries."""
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)
                     ).group(1)


def field_value(page, name: str) -> str | None:
    """What a text field of the page holds, as the browser would show it."""
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page.get_data(as_text=True)).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value and value.group(1)


def test_a_sign_up_form_left_open_comes_back_with_what_was_typed_except_passwords(
        csrf_app, twilio, clock):
    browser = csrf_app.test_client()
    stale = token(browser.get("/signup"))
    clock.tick(timedelta(hours=1, seconds=1))  # the tab sat open past the token's hour
    typed = {"username": "newcomer", "password": "secret horse battery",
             "confirm": "secret horse battery", "phone": "(201) 555-0142", "channel": "voice"}
    page = browser.post("/signup", data={**typed, "csrf_token": stale})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert EXPIRED in html and "<h1>Create an account</h1>" in html
    assert field_value(page, "username") == "newcomer"
    assert field_value(page, "phone") == "(201) 555-0142"
    assert re.search(r'<input[^>]*checked[^>]*value="voice"|<input[^>]*value="voice"[^>]*checked',
                     html)
    assert "secret horse battery" not in html
    assert not field_value(page, "password") and not field_value(page, "confirm")
    with csrf_app.app_context():
        assert db.session.scalar(db.select(User).where(User.username == "newcomer")) is None
    assert twilio.requests == []
    again = browser.post("/signup", data={**typed, "csrf_token": token(page)})
    assert again.location == "/code" and len(twilio.requests) == 1  # "try again" works


def test_a_sign_in_after_the_cookie_was_lost_keeps_the_username(csrf_app, twilio):
    stale = token(csrf_app.test_client().get("/login"))
    browser = csrf_app.test_client()  # a browser without that session cookie
    page = browser.post("/login?next=/%3Fpage%3D2", data={
        "username": "alice", "password": PASSWORD, "csrf_token": stale})
    assert page.status_code == 400 and EXPIRED in page.get_data(as_text=True)
    assert field_value(page, "username") == "alice"
    assert PASSWORD not in page.get_data(as_text=True)
    assert twilio.requests == []
    again = browser.post("/login?next=/%3Fpage%3D2", data={
        "username": "alice", "password": PASSWORD, "csrf_token": token(page)})
    assert again.location == "/code"
    done = browser.post("/code", data={"code": AuthActions(browser, twilio).last_code(),
                                       "csrf_token": token(browser.get("/code"))})
    assert done.location == "/?page=2"  # the next page survived


def test_an_expired_code_form_asks_again_and_costs_no_guess(csrf_app, twilio):
    csrf_app.config["WTF_CSRF_ENABLED"] = False
    browser = csrf_app.test_client()
    auth = AuthActions(browser, twilio)
    auth.login()
    csrf_app.config["WTF_CSRF_ENABLED"] = True
    response = browser.post("/code", data={"code": auth.last_code(), "csrf_token": "stale"})
    assert response.status_code == 303 and response.location == "/code"
    page = browser.get("/code").get_data(as_text=True)
    assert EXPIRED in page and auth.last_code() not in page
    with csrf_app.app_context():
        assert db.session.scalar(db.select(OneTimeCode.failed_attempts)) == 0
        assert db.session.scalar(db.select(OneTimeCode.used_at)) is None
    csrf_app.config["WTF_CSRF_ENABLED"] = False
    assert auth.verify().location == "/"  # the same code still works


def test_an_expired_sign_out_button_leaves_you_signed_in_and_says_so(csrf_app, twilio):
    csrf_app.config["WTF_CSRF_ENABLED"] = False
    browser = csrf_app.test_client()
    auth = AuthActions(browser, twilio)
    auth.login()
    auth.verify()
    csrf_app.config["WTF_CSRF_ENABLED"] = True
    response = browser.post("/logout", data={"csrf_token": "stale"})
    assert response.location == "/"
    assert EXPIRED in browser.get("/").get_data(as_text=True)
    assert is_signed_in(browser)


def test_a_form_posted_from_another_site_is_not_filled_in(csrf_app, twilio):
    page = csrf_app.test_client().post("/signup", data={
        "username": "planted", "phone": "+12015550199", "csrf_token": "x"},
        headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    looks_like_the_site(html, "Something was wrong with that request")
    assert "planted" not in html and "2015550199" not in html and EXPIRED not in html


def test_a_visitor_gets_a_welcome_page_and_a_signed_in_person_their_home(client, auth):
    welcome = client.get("/")
    html = welcome.get_data(as_text=True)
    assert welcome.status_code == 200
    looks_like_the_site(html, "Welcome")
    main = html.split("<main")[1]
    assert 'href="/login">Sign in</a>' in main and 'href="/signup">Create account</a>' in main
    assert "Please sign in" not in html
    auth.login()
    auth.verify()
    assert "<h1>Welcome, alice</h1>" in client.get("/").get_data(as_text=True)
