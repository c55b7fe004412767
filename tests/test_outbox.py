"""The development outbox exists only with the console sender in debug, and shows what was sent."""
import re

import pytest
from conftest import PASSWORD, PRODUCTION_KEY, PRODUCTION_URL

CONSOLE = {"TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None}


def sign_in(client, username):
    """Pass the password step, which sends a code."""
    return client.post("/login", data={"username": username, "password": PASSWORD, "channel": ""})


@pytest.fixture
def dev_client(app_config):
    """``flask run --debug`` on a machine with no Twilio account."""
    app_config.update(CONSOLE, TESTING=False, DEBUG=True)
    return app_config


def test_outbox_shows_the_text_exactly_as_sent_and_the_code_works(dev_client, app, client):
    sign_in(client, "alice")
    page = client.get("/dev/outbox").get_data(as_text=True)
    body = re.search(r'<pre class="sms">(.*?)</pre>', page, re.S).group(1)
    code = body[:6]
    assert body == (f"{code} is your Two-factor demo sign-in code. Do not share this code. "
                    f"It expires in 5 minutes.\n\n@localhost #{code}")
    assert "Text message to +•••••••••23 (alice)" in page
    assert "+12015550123" not in page  # numbers are masked, even here
    assert client.post("/code", data={"code": code}).headers["Location"] == "/"


def test_outbox_shows_the_words_a_call_speaks_and_its_twiml_newest_first(dev_client, app, client):
    sign_in(client, "alice")
    sign_in(client, "bob")
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert page.index("Phone call to +•••••••••77 (bob)") < page.index(
        "Text message to +•••••••••23 (alice)")
    words = re.findall(r"<li>(.*?)</li>", page)
    assert words[0] == ("Hello, this is Two-factor demo with your sign-in code. "
                        "Do not share this code with anyone.")
    digits = re.fullmatch(r"(\d), (\d), (\d), (\d), (\d), (\d)\.", words[1]).groups()
    assert words[2] == "Again: " + words[1]
    assert "&lt;Response&gt;&lt;Say" in page  # the TwiML itself, escaped to be read
    assert client.post("/code", data={"code": "".join(digits)}).headers["Location"] == "/"


def test_outbox_shows_when_and_what_every_instance_sent(dev_client, app, client, clock):
    """Two app instances sharing one database: each outbox shows both instances' sends."""
    from app import create_app
    other = create_app(dev_client)
    clock.move_to("2026-11-21 12:00:05")
    sign_in(client, "alice")
    clock.move_to("2026-11-21 12:03:09")
    sign_in(other.test_client(), "bob")
    for browser in (client, other.test_client()):
        page = browser.get("/dev/outbox").get_data(as_text=True)
        assert page.index("2026-11-21 12:03:09 UTC") < page.index("2026-11-21 12:00:05 UTC")
        assert "Phone call to +•••••••••77 (bob)" in page
        assert "Text message to +•••••••••23 (alice)" in page


def test_code_page_points_to_the_outbox_in_development(dev_client, app, client):
    sign_in(client, "alice")
    assert b'href="/dev/outbox"' in client.get("/code").data


@pytest.mark.parametrize("settings", [
    pytest.param({**CONSOLE, "TESTING": True, "DEBUG": False}, id="testing-without-debug"),
    pytest.param({"TESTING": False, "DEBUG": True}, id="debug-with-twilio"),
    pytest.param({"TESTING": False, "DEBUG": False, "SECRET_KEY": PRODUCTION_KEY,
                  "PUBLIC_URL": PRODUCTION_URL}, id="production"),
])
def test_outbox_is_404_everywhere_else(app_config, settings, twilio):
    app_config.update(settings)
    from app import create_app
    app = create_app(app_config)
    client = app.test_client()
    https = {"base_url": "https://localhost"}  # production sends plain HTTP to HTTPS first
    app.test_client().post("/login", data={"username": "x", "password": "y"}, **https)
    assert client.get("/dev/outbox", **https).status_code == 404
    assert b"/dev/outbox" not in client.get("/login", **https).data
