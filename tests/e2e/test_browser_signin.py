"""The sign-up and sign-in journeys in a real browser, codes read from the development outbox."""
import re

from playwright.sync_api import expect

from .steps import PASSWORD, enter_code, sign_in


def test_sign_up_and_confirm_the_phone(page, phone_of):
    page.goto("/signup")
    page.get_by_label("Username").fill("newcomer")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Phone number").fill("(201) 555-0142")
    page.get_by_label("Phone call").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We are calling +•••••••••42")).to_be_visible()
    enter_code(page, phone_of("+12015550142").last_code("voice"))
    expect(page.get_by_text("Your phone number is confirmed. Welcome!")).to_be_visible()
    expect(page.get_by_role("heading", name="Save backup codes")).to_be_visible()
    page.get_by_role("link", name="Skip for now").click()
    expect(page.get_by_role("heading", name="Welcome, newcomer")).to_be_visible()


def test_sign_in_with_a_text_message(page, make_user, phone_of):
    name, number = make_user("sms")
    sign_in(page, name)
    expect(page.get_by_text(f"We sent a text message with a 6-digit code to +•••••••••{number[-2:]}")
           ).to_be_visible()
    enter_code(page, phone_of(number).last_code())
    expect(page.get_by_text("You are signed in.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_sign_in_with_a_call(page, make_user, phone_of):
    name, number = make_user("voice")
    sign_in(page, name)
    expect(page.get_by_text(f"We are calling +•••••••••{number[-2:]}")).to_be_visible()
    enter_code(page, phone_of(number).last_code("voice"))
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_a_wrong_password_sends_nothing(page, make_user):
    name, _ = make_user()
    sign_in(page, name, password="not my password")
    expect(page.get_by_role("alert")).to_have_text("Invalid username or password.")
    expect(page).to_have_title(re.compile("^Sign in"))


def test_a_wrong_code_then_the_right_one(page, make_user, phone_of):
    name, number = make_user()
    sign_in(page, name)
    code = phone_of(number).last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    enter_code(page, wrong)
    expect(page.get_by_role("alert")).to_have_text(
        "That code is not right. You can try 2 more times.")
    expect(page.get_by_label("Code")).to_have_accessible_description(re.compile("not right"))
    enter_code(page, code)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_a_resend_is_refused_during_the_cooldown_then_allowed(page, make_user, phone_of):
    name, number = make_user()
    sign_in(page, name)
    first = phone_of(number).last_code()
    page.get_by_role("button", name="Send a new code").click()
    # news, not an error: a polite status in the neutral style, and no alert
    notice = page.get_by_role("status")
    expect(notice).to_have_text(re.compile(
        r"A code was just sent\. You can ask for a new one in \d seconds?\."))
    expect(notice).to_have_class("flash info")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert phone_of(number).last_code() == first  # nothing new reached the phone
    expect(page.get_by_text("You can ask for a new code now.")).to_be_visible()
    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_text("We sent a text message")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "We sent you a new code. The one before it no longer works.")
    second = phone_of(number).last_code()
    assert second != first
    enter_code(page, first)  # the replaced code: said so, and no guess is counted
    expect(page.get_by_role("alert")).to_contain_text("replaced by a newer one")
    enter_code(page, second)
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_call_me_instead(page, make_user, phone_of):
    name, number = make_user("sms")
    sign_in(page, name)
    expect(page.get_by_text("You can ask for a new code now.")).to_be_visible()
    page.get_by_role("button", name="Call me instead").click()
    expect(page.get_by_text(f"We are calling +•••••••••{number[-2:]}")).to_be_visible()
    expect(page.get_by_role("button", name="Text me instead")).to_be_visible()
    enter_code(page, phone_of(number).last_code("voice"))
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_the_next_page_is_reached_after_sign_in(page, make_user, phone_of):
    name, number = make_user()
    sign_in(page, name, next="/%3Ffrom%3Dbookmark")
    enter_code(page, phone_of(number).last_code())
    expect(page).to_have_url(re.compile(r"/\?from=bookmark$"))
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_sign_out(page, make_user, phone_of):
    name, number = make_user()
    sign_in(page, name)
    enter_code(page, phone_of(number).last_code())
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_a_pending_user_is_sent_back_to_the_code_page(page, make_user):
    name, _ = make_user()
    sign_in(page, name)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_text("Enter the code we sent you to finish signing in.")).to_be_visible()


def test_signing_in_right_after_signing_up_sends_a_code_and_tells_one_story(page, phone_of):
    """The sign-up code was used, so a new sign-in is no resend: it gets its own code, and the
    page says nothing about waiting."""
    page.goto("/signup")
    page.get_by_label("Username").fill("quickreturn")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Phone number").fill("(201) 555-0144")
    page.get_by_role("button", name="Create account").click()
    first = phone_of("+12015550144").last_code()
    enter_code(page, first)
    page.get_by_role("button", name="Sign out", exact=True).click()
    sign_in(page, "quickreturn")
    expect(page.get_by_text("We sent a text message with a 6-digit code")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("A code was just sent")).to_have_count(0)
    expect(page.locator("#resend-wait")).to_contain_text(re.compile(r"in \d+ seconds?|now"))
    outbox = page.context.new_page()
    outbox.goto("/dev/outbox")
    expect(outbox.locator("article.outbox", has_text="(quickreturn)")).to_have_count(2)
    outbox.close()
    enter_code(page, phone_of("+12015550144").last_code())
    expect(page.get_by_role("heading", name="Welcome, quickreturn")).to_be_visible()
