"""Random and hostile input on every form field and route: no 500, nothing stored wrong."""
import re
import string
from urllib.parse import quote

import phonenumbers
import pytest
from conftest import PASSWORD, code_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.security import generate_password_hash

from twofactor.extensions import db
from twofactor.models import OneTimeCode, User

# hypothesis reports a failure through libcst, which imports a deprecated mypy_extensions
# name; without this the report itself dies under filterwarnings=error.
pytestmark = pytest.mark.filterwarnings(
    "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")

# Modest counts keep the suite fast; the app fixture is shared by a test's examples on purpose
# (state piles up the way it would on a real server).
FEW = settings(max_examples=40, deadline=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

NASTY = ["", " ", "\x00", "a\x00b", "\r\n", "alice\n", " alice", "alice ", "ALICE", "ａｌｉｃｅ",
         "١٢٣٤٥٦", "١٢٣ ٤٥٦", "１２３４５６", "²³⁴⁵⁶⁷", "😀" * 8, "\u202eecila", "\ufeff123456",
         "' OR '1'='1' --", "alice'; DROP TABLE user; --", "<script>alert(1)</script>",
         "{{ 7 * 7 }}", "%00", "../../etc/passwd", "\\\\evil", "//evil.example", "9" * 5000,
         "x" * 30_000]  # long, yet twice it fits the 64 KiB body limit (test_attacks sends more)
nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Nd", "Zs", "So"]),
            max_size=20),
    st.builds(str.__add__, st.sampled_from(NASTY), st.text(max_size=8)),
)
good_name = st.from_regex(r"[A-Za-z0-9_.-]{3,20}", fullmatch=True)


@pytest.fixture
def quick_app(app):
    """Accounts whose password checks fast, and limits that stay out of the way."""
    plenty = (10**6, app.config["GUESS_WINDOW"])
    app.config.update(SEND_COOLDOWN=app.config["SEND_COOLDOWN"] * 0, GUESS_BUDGET=10**6,
                      SEND_LIMITS_ACCOUNT=[], SEND_LIMITS_NETWORK=[], SEND_LIMITS_NUMBER=[],
                      SEND_LIMIT_PREFIX=plenty, SEND_LIMIT_COUNTRY=plenty,
                      SEND_LIMIT_GLOBAL=plenty, SIGNUP_LIMIT_NETWORK=plenty,
                      PASSWORD_DELAY_AFTER=10**6, PASSWORD_DELAY_AFTER_NETWORK=10**6)
    with app.app_context():
        for user in db.session.scalars(db.select(User)):
            user.password_hash = generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")
        db.session.commit()
    return app


@FEW
@given(field=st.sampled_from(["username", "password", "phone", "channel"]),
       value=st.one_of(nasty_text, good_name, good_name.map(lambda s: s + "\n"),
                       st.sampled_from(["voice", "+44 7400 123456", "(201) 555-0142"])))
def test_sign_up_stores_exactly_what_was_meant_or_says_why_not(quick_app, field, value):
    """One field at a time gets the odd text; the others are fine, so the odd one decides."""
    client = quick_app.test_client()
    with quick_app.app_context():
        before = db.session.scalar(db.select(db.func.count()).select_from(User))
    form = {"username": f"user{before}", "password": PASSWORD, "phone": "2015550142",
            "channel": "sms", field: value}
    response = client.post("/signup", data={**form, "confirm": form["password"]})
    assert response.status_code in (200, 302)
    with quick_app.app_context():
        created = db.session.scalars(db.select(User).where(User.id > before)).all()
    if response.status_code == 200:
        assert created == [] and b'class="error"' in response.data
        return
    (user,) = created
    assert user.username == form["username"]
    assert re.fullmatch(r"[A-Za-z0-9_.-]{3,64}", user.username)  # no look-alike names
    assert user.check_password(form["password"]) and user.preferred_channel == form["channel"]
    assert user.phone == phonenumbers.format_number(phonenumbers.parse(form["phone"], "US"),
                                                    phonenumbers.PhoneNumberFormat.E164)


@FEW
@given(username=nasty_text | st.just("alice"), password=nasty_text | st.just(PASSWORD),
       channel=nasty_text, next_url=nasty_text)
def test_sign_in_with_any_input_sends_only_for_the_exact_password(quick_app, twilio, username,
                                                                  password, channel, next_url):
    sent = len(twilio.requests)
    response = quick_app.test_client().post(
        "/login", query_string={"next": next_url},
        data={"username": username, "password": password, "channel": channel})
    assert response.status_code in (200, 302)
    right = username.lower() == "alice" and password == PASSWORD  # names ignore case
    assert (response.status_code == 302) == right
    assert len(twilio.requests) == sent + right


@FEW
@given(data=st.data())
def test_only_the_six_ascii_digits_sent_are_accepted(quick_app, twilio, data):
    client = quick_app.test_client()
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    code = code_in(twilio.requests[-1])
    typed = data.draw(st.one_of(nasty_text, variants_of(code)), label="typed")
    with quick_app.app_context():
        attempts = db.session.scalar(db.select(OneTimeCode.failed_attempts)
                                     .order_by(OneTimeCode.created_at.desc()).limit(1))
    response = client.post("/code", data={"code": typed})
    assert response.status_code in (200, 302)
    meant = re.sub(r"[ -]", "", typed)
    assert (response.location == "/") == (meant == code)
    if not re.fullmatch(r"[0-9]{6}", meant, re.ASCII):  # not a code: no guess counted
        with quick_app.app_context():
            assert db.session.scalar(db.select(OneTimeCode.failed_attempts)
                                     .order_by(OneTimeCode.created_at.desc())
                                     .limit(1)) == attempts


def variants_of(code: str) -> st.SearchStrategy[str]:
    """The right code, typed right, almost right, or in other scripts' digits."""
    arabic = str.maketrans(string.digits, "٠١٢٣٤٥٦٧٨٩")
    fullwidth = str.maketrans(string.digits, "０１２３４５６７８９")
    return st.one_of(
        st.just(code), st.just(f"{code[:3]} {code[3:]}"), st.just(f"{code[:3]}-{code[3:]}"),
        st.just(code.translate(arabic)), st.just(code.translate(fullwidth)),
        st.just(code + "\x00"), st.just(code + "0"), st.just(code[:5]), st.just(f"\t{code}"),
        st.just(code[:3] + "\u00a0" + code[3:]), st.just(code[:3] + "\u2013" + code[3:]),
        st.builds(lambda at, junk: code[:at] + junk + code[at:],
                  st.integers(0, 6), st.text(max_size=3)))


@FEW
@given(path=nasty_text, field=nasty_text, value=nasty_text)
def test_no_route_answers_500_to_any_text(quick_app, twilio, path, field, value):
    client = quick_app.test_client()
    client.post("/login", data={"username": "alice", "password": PASSWORD})
    urls = [r.rule.replace("<token>", "x").replace("<path:filename>", "x")
            for r in quick_app.url_map.iter_rules()]
    for url in urls + ["/" + quote(path, safe="/")]:
        for method in ("GET", "POST"):
            response = client.open(url, method=method, query_string={field: value},
                                   data={field: value, "code": value, "channel": value,
                                         "username": value, "next": value})
            assert response.status_code < 500, (method, url)
            response.close()
