"""Sign in: password first, then exactly one code to the stored number, then the code."""
from datetime import timedelta

import pytest
from conftest import PASSWORD, is_signed_in


@pytest.mark.parametrize("path", ["/login", "/signup"])
def test_pages_load(client, path):
    assert client.get(path).status_code == 200


def test_a_visitor_is_welcomed_and_the_code_page_needs_a_password_first(client):
    home = client.get("/")
    assert home.status_code == 200 and not is_signed_in(client)
    assert b'href="/login">Sign in</a>' in home.data
    assert b'href="/signup">Create account</a>' in home.data
    assert b"Please sign in to see that page" not in home.data
    assert client.get("/code").headers["Location"] == "/login"


def test_wrong_password_and_unknown_user_look_the_same_and_send_nothing(auth, twilio):
    wrong = auth.login(password="not the password")
    unknown = auth.login(username="nobody")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Invalid username or password." in wrong.data
    assert wrong.data.replace(b"alice", b"nobody") == unknown.data
    assert twilio.requests == []


def test_correct_password_sends_one_code_to_stored_number_and_does_not_log_in(
        client, auth, twilio):
    response = auth.login()
    assert response.headers["Location"] == "/code"
    assert len(twilio.requests) == 1
    sms = twilio.requests[0]
    assert sms["path"].endswith("/Messages.json")
    assert sms["form"]["To"] == "+12015550123"
    assert client.get("/").headers["Location"] == "/code"  # pending is not signed in


def test_code_page_shows_masked_number_and_refresh_sends_nothing(client, auth, twilio):
    auth.login()
    for _ in range(3):
        page = client.get("/code")
        assert page.status_code == 200
    assert "+•••••••••23".encode() in page.data
    assert b"2015550123" not in page.data
    assert len(twilio.requests) == 1


def test_right_code_logs_in_and_greets(client, auth):
    auth.login()
    response = auth.verify()
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert b"Welcome, alice" in home.data
    assert "+•••••••••23".encode() in home.data


def test_session_holds_only_an_opaque_pending_id(client, auth):
    auth.login()
    code = auth.last_code()
    with client.session_transaction() as sess:
        assert set(sess) <= {"pending", "_flashes", "csrf_token"}
        assert code not in str(dict(sess))
    cookie = client.get_cookie("session").value
    assert code not in cookie


def test_session_is_new_after_each_step(client, auth):
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login()
    with client.session_transaction() as sess:
        assert "planted" not in sess
        pending = sess["pending"]
    auth.verify()
    with client.session_transaction() as sess:
        assert "pending" not in sess and sess["_user_id"]
        assert pending not in str(dict(sess))


def test_the_usual_channel_is_the_last_that_worked(client, auth, twilio, clock):
    auth.login(username="bob")  # bob prefers calls
    assert twilio.requests[-1]["path"].endswith("/Calls.json")
    clock.tick(timedelta(seconds=31))
    auth.resend("sms")  # "Text me instead"
    assert twilio.requests[-1]["path"].endswith("/Messages.json")
    auth.verify()
    client.post("/logout")
    auth.login(username="bob")
    assert twilio.requests[-1]["path"].endswith("/Messages.json")


def test_pending_login_expires(client, auth, clock):
    auth.login()
    clock.tick(timedelta(minutes=10, seconds=1))
    response = client.get("/code")
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "\\\\evil.example", "https:evil.example",
                                    "javascript:alert(1)", "%2F%2Fevil.example", "/\t/evil.example"])
def test_next_open_redirects_stay_on_site(auth, target):
    auth.login(next=target)
    assert auth.verify().headers["Location"] == "/"


def test_next_is_followed_after_the_code(client, auth):
    client.post("/login?next=/?page%3D2", data={"username": "alice", "password": PASSWORD})
    assert auth.verify().headers["Location"] == "/?page=2"


def test_logout_ends_the_session(client, auth):
    auth.login()
    auth.verify()
    assert is_signed_in(client)
    assert auth.logout().headers["Location"] == "/login"
    assert not is_signed_in(client)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_logout_is_post_only(client, auth):
    auth.login()
    auth.verify()
    assert client.get("/logout").status_code == 405
    assert is_signed_in(client)


def test_copied_cookie_is_dead_after_logout(app, client, auth):
    auth.login()
    auth.verify()
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert is_signed_in(copy)
    auth.logout()
    assert not is_signed_in(copy)


def test_session_state_exposes_no_code(client, auth):
    auth.login()
    with client.session_transaction() as sess:
        assert "code" not in " ".join(sess)
