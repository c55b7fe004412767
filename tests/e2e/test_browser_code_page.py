"""The code page for people: the field, paste, WebOTP, the countdown, the keyboard alone."""
import re

import pytest
from playwright.sync_api import expect

from .steps import COOLDOWN, DESKTOP, PASSWORD, sign_in


def test_the_code_field_is_focused_labelled_and_numeric(page, make_user):
    name, _ = make_user()
    sign_in(page, name)
    field = page.get_by_label("Code")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("type", "text")
    expect(field).to_have_attribute("inputmode", "numeric")
    expect(field).to_have_attribute("autocomplete", "one-time-code")


@pytest.mark.parametrize("shape", ["{} {}", "{}-{}"])
def test_a_pasted_code_with_a_space_or_dash_signs_in(context, page, make_user, phone_of, shape):
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    name, number = make_user()
    sign_in(page, name)
    code = phone_of(number).last_code()
    page.evaluate("text => navigator.clipboard.writeText(text)", shape.format(code[:3], code[3:]))
    page.keyboard.press("ControlOrMeta+V")  # into the field focused on load
    expect(page.get_by_label("Code")).to_have_value(shape.format(code[:3], code[3:]))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_webotp_fills_the_code_from_the_text_message(context, page, make_user, phone_of):
    # Headless Chromium has no SMS; stand in for the phone's WebOTP prompt being accepted.
    context.add_init_script("""
        window.OTPCredential = function () {};
        navigator.credentials.get = (options) => new Promise((resolve) => {
          window.smsArrived = (code) => resolve({ code, type: "otp" });
        });""")
    name, number = make_user()
    sign_in(page, name)
    page.wait_for_function("() => typeof window.smsArrived === 'function'")
    page.evaluate("code => window.smsArrived(code)", phone_of(number).last_code())
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_the_page_says_where_the_code_went_and_when_it_expires(browser, base_url, make_user):
    context = browser.new_context(base_url=base_url, timezone_id="Asia/Kolkata",  # UTC+05:30
                                  locale="en-GB")
    page = context.new_page()
    name, number = make_user("voice")
    sign_in(page, name)
    expect(page.get_by_text(re.compile(
        rf"We are calling \+•••••••••{number[-2:]} to read you a 6-digit code\.\s+"  # regexes see the raw line break
        r"It expires in 5 minutes, at \d\d:\d\d\."))).to_be_visible()
    shown = page.locator("p.sent time").inner_text()
    utc = page.locator("p.sent time").get_attribute("datetime")
    hours, minutes = int(utc[11:13]), int(utc[14:16])
    local = (hours * 60 + minutes + 330) % (24 * 60)
    assert shown == f"{local // 60:02d}:{local % 60:02d}"  # the person's own clock
    context.close()


def test_the_countdown_ticks_with_javascript(page, make_user):
    name, _ = make_user()
    sign_in(page, name)
    wait = page.locator("#resend-wait")
    expect(wait).to_have_text(re.compile(rf"You can ask for a new code in [1-{COOLDOWN}] seconds?\."))
    expect(wait).to_have_text("You can ask for a new code in 1 second.")
    expect(wait).to_have_text("You can ask for a new code now.")
    expect(wait).to_have_attribute("aria-live", "polite")
    assert page.url.endswith("/code")  # no reload was needed


def test_the_countdown_works_without_javascript(browser, base_url, make_user, phone_of):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    name, number = make_user()
    sign_in(page, name)
    expect(page.locator("#resend-wait")).to_have_text(
        re.compile(r"You can ask for a new code in \d seconds?\."))
    first = phone_of(number).last_code()
    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_text(re.compile(r"You can ask for a new one in \d seconds?\."))).to_be_visible()
    page.wait_for_timeout(COOLDOWN * 1000)  # the person waits the seconds the page gave
    page.reload()
    expect(page.locator("#resend-wait")).to_have_text("You can ask for a new code now.")
    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_text("We sent a text message")).to_be_visible()
    assert phone_of(number).last_code() != first
    context.close()


def test_keyboard_only_sign_in(page, make_user, phone_of):
    name, number = make_user()
    page.goto("/login")
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
        if order[-1] == "username":
            break
    assert order == ["Two-factor demo", "Sign in", "Create account", "username"]
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus can be seen
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Code")).to_be_focused()
    page.keyboard.type(phone_of(number).last_code())
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_sign_up_errors_are_next_to_their_fields_and_nothing_is_lost(page, make_user):
    taken, _ = make_user()
    page.goto("/signup")
    page.get_by_label("Username").fill(taken)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Phone number").fill("555")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Username")).to_have_accessible_description(
        "3 to 64 letters, digits, dots (.), dashes (-) or underscores (_). "
        "That username is taken. Please choose another.")
    expect(page.get_by_label("Phone number")).to_have_accessible_description(
        re.compile(r"^With your country code.*(not a valid|Enter a) phone number"))
    expect(page.get_by_label("Phone number")).to_have_value("555")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_count(2)
