"""Small checks of single security rules that other files do not cover."""
import ast
import hmac
import re
import sys
from pathlib import Path

from conftest import PASSWORD, code_in

from twofactor.signin import codes

PACKAGE = Path(__file__).resolve().parents[1] / "twofactor"


def test_no_random_module_in_the_auth_package():
    """Codes and tokens come from ``secrets``, never ``random``."""
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [alias.name for alias in node.names] + [getattr(node, "module", "")]
                assert "random" not in names, source.name


def test_every_code_check_uses_compare_digest(auth, monkeypatch):
    """A constant-time comparison on every check, right or wrong."""
    calls, real = [], hmac.compare_digest

    def spy(a, b):
        if sys._getframe(1).f_globals["__name__"] == codes.__name__:  # not password checks
            calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    auth.login()
    auth.verify("000000" if auth.last_code() != "000000" else "111111")
    auth.verify()
    assert len(calls) == 2


def test_no_unauthenticated_route_sends_to_a_number_from_the_form(app, client, twilio):
    """Codes go to the stored number; only sign-up takes a number, and confirms it."""
    planted = "+12015550999"
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint != "twofactor.signup":
            path = rule.build({arg: "x" for arg in rule.arguments})[1]
            client.post(path, data={"phone": planted, "To": planted, "to": planted,
                                    "username": "alice", "password": PASSWORD})
    assert twilio.requests  # alice's password did send her a code ...
    assert all(r["form"].get("To") == "+12015550123" for r in twilio.requests)  # ... to her


def test_sms_and_code_field_enable_autofill_and_carry_nothing_else(client, auth, twilio):
    """One segment, the code first, "@host #code" last, no username; the field's markup."""
    page = auth.login(username="alice")
    body = twilio.requests[-1]["form"]["Body"]
    code = auth.last_code()
    assert re.fullmatch(r"@localhost #\d{6}", body.splitlines()[-1])
    assert body.startswith(code) and "alice" not in body and len(body) <= 160
    html = client.get(page.location).data.decode()
    field = re.search(r"<input[^>]*name=\"code\"[^>]*>", html).group(0)
    for attribute in ('type="text"', 'inputmode="numeric"', 'autocomplete="one-time-code"'):
        assert attribute in field


def test_no_code_or_number_in_any_url(client, auth, twilio, clock):
    """Redirects, links, form actions and Twilio request URLs carry no code or number."""
    from datetime import timedelta
    responses = [client.get("/login"), auth.login(), client.get("/code")]
    clock.tick(timedelta(seconds=31))
    responses += [auth.resend("voice"), client.get("/code"), auth.verify(), client.get("/")]
    urls = [r.headers.get("Location", "") for r in responses]
    for response in responses:
        urls += re.findall(r'(?:href|action|src)="([^"]*)"', response.data.decode())
    urls += [r["path"] for r in twilio.requests]
    secrets = [code_in(r) for r in twilio.requests] + ["2015550123", "5550123"]
    assert len(urls) > 10
    for url in urls:
        assert not any(secret in url for secret in secrets), url


def test_no_twilio_credentials_in_the_repository():
    """Secrets come from the environment; tests use an obviously fake account."""
    root = PACKAGE.parent
    # instance/ is where a deployment keeps its real secrets, outside git: not scanned
    for source in [*root.glob("*.py"), *PACKAGE.glob("*.py"), *root.glob("*.md"),
                   *(root / "templates").glob("*"), *(root / "static").glob("*")]:
        if source.is_file() and source.suffix != ".svg":
            assert not re.search(r"\b(AC|SK)[0-9a-f]{32}\b", source.read_text()), source.name
