"""Looking after an account in a real browser: a remembered browser forgotten from another, a
new phone number that signs the other browser out, a new password, and deleting the account."""
import re

from playwright.sync_api import expect

from .steps import PASSWORD, Phone, enter_code, sign_in
from .test_browser_pages import check_page

NEW_NUMBER = "+12015550398"


def signed_in(page, phone, username, remember=False):
    """Password and texted code; with ``remember``, tick "Don't ask again"."""
    sign_in(page, username)
    page.get_by_label("Code").fill(phone.last_code())
    if remember:
        page.get_by_label("Don't ask again on this browser for 30 days").check()
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/$"))


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_a_remembered_browser_skips_the_code_until_another_forgets_it(browser, base_url,
                                                                       page, make_user):
    name, number = make_user()
    phone = Phone(page.context, number)
    signed_in(page, phone, name, remember=True)
    cookie = next(c for c in page.context.cookies() if c["name"] == "__Host-remember")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    sign_out(page)
    sign_in(page, name)  # the password only
    expect(page).to_have_url(re.compile(r"/$"))

    other = browser.new_context(base_url=base_url)
    laptop = other.new_page()
    signed_in(laptop, Phone(other, number), name)
    laptop.goto("/security/")
    check_page(laptop, "security-lists", "Security")
    expect(laptop.get_by_role("heading", name="Remembered browsers")).to_be_visible()
    expect(laptop.get_by_text("This browser")).to_have_count(1)
    laptop.get_by_role("button", name="Forget all").click()
    expect(laptop.get_by_text("Every browser is forgotten.")).to_be_visible()
    other.close()

    sign_out(page)
    sign_in(page, name)
    expect(page).to_have_url(re.compile(r"/code$"))  # asked for the code again


def test_a_new_number_signs_the_other_browser_out(browser, base_url, page, make_user):
    name, number = make_user()
    other = browser.new_context(base_url=base_url)
    laptop = other.new_page()
    signed_in(laptop, Phone(other, number), name)
    signed_in(page, Phone(page.context, number), name)
    page.goto("/security/")
    page.get_by_role("link", name="Change phone number").click()
    check_page(page, "phone-change", "Change your phone number")
    page.get_by_label("New phone number").fill(NEW_NUMBER)
    page.get_by_role("button", name="Send a code to the new number").click()
    check_page(page, "phone-change-code", "Confirm your new number")
    enter_code(page, Phone(page.context, NEW_NUMBER).last_code())
    expect(page.get_by_text("Your phone number is now")).to_be_visible()
    laptop.goto("/security/")
    expect(laptop).to_have_url(re.compile(r"/login"))
    other.close()


def test_a_new_password_then_deleting_the_account(page, make_user):
    name, number = make_user()
    signed_in(page, Phone(page.context, number), name)
    page.goto("/security/")
    page.get_by_role("link", name="Change password").click()
    check_page(page, "password-change", "Change your password")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("password1")
    page.get_by_label("New password again").fill("password1")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("one of the most common")).to_be_visible()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a much better passphrase")
    page.get_by_label("New password again").fill("a much better passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()

    page.get_by_role("link", name="Delete my account…").click()
    check_page(page, "delete-account", "Delete your account")
    page.get_by_label("Type your username to confirm").fill(name)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted.")).to_be_visible()
    sign_in(page, name, "a much better passphrase")
    expect(page.get_by_text("Invalid username or password.")).to_be_visible()
