"""Around the forms: the welcome page, an expired form, showing a password, the dark theme."""
import re

from playwright.sync_api import expect

from .steps import DESKTOP, PASSWORD, enter_code, sign_in
from .test_browser_pages import check_page


def test_a_visitor_is_welcomed_and_can_create_an_account(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome")
    expect(page.get_by_text("Please sign in to see that page.")).to_have_count(0)
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Sign in")).to_be_visible()
    main.get_by_role("link", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")


def test_a_form_whose_page_expired_comes_back_filled_in_except_passwords(context, page):
    page.goto("/signup")
    page.get_by_label("Username").fill("latecomer")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Phone number").fill("(201) 555-0143")
    page.get_by_label("Phone call").check()
    context.clear_cookies()  # the session ended while the tab sat open
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_have_text("Your page expired — please try again.")
    expect(page.get_by_label("Username")).to_have_value("latecomer")
    expect(page.get_by_label("Phone number")).to_have_value("(201) 555-0143")
    expect(page.get_by_label("Phone call")).to_be_checked()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Password again")).to_have_value("")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("We are calling +•••••••••43")).to_be_visible()


def test_the_show_password_button(page, make_user, phone_of):
    name, number = make_user()
    page.goto("/login")
    field = page.get_by_label("Password")
    show = page.get_by_role("button", name="Show password")
    expect(show).to_have_attribute("aria-pressed", "false")
    expect(show).to_have_attribute("aria-controls", "password")
    field.fill(PASSWORD)
    show.click()
    expect(field).to_have_attribute("type", "text")  # the person can read what they typed
    expect(show).to_have_attribute("aria-pressed", "true")
    show.press("Space")  # a keyboard works too
    expect(field).to_have_attribute("type", "password")
    expect(show).to_have_attribute("aria-pressed", "false")
    show.click()
    page.get_by_label("Username").fill(name)
    page.get_by_role("button", name="Continue").click()  # the button never submits the form
    enter_code(page, phone_of(number).last_code())
    expect(page.get_by_role("heading", name=f"Welcome, {name}")).to_be_visible()


def test_each_password_field_of_sign_up_has_its_own_button(page):
    page.goto("/signup")
    page.get_by_role("button", name="Show password again").click()
    expect(page.get_by_label("Password again")).to_have_attribute("type", "text")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("type", "password")


def test_without_javascript_the_password_stays_hidden_and_signing_in_works(browser, base_url,
                                                                          make_user):
    context = browser.new_context(base_url=base_url, java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    name, _ = make_user()
    page.goto("/login")
    expect(page.get_by_role("button", name="Show password")).to_have_count(0)
    sign_in(page, name)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    context.close()


def test_the_username_rule_is_said_before_it_is_broken(page):
    page.goto("/signup")
    rule = "3 to 64 letters, digits, dots (.), dashes (-) or underscores (_)."
    expect(page.get_by_label("Username")).to_have_accessible_description(rule)
    page.get_by_label("Username").fill("bad name!")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Username")).to_have_accessible_description(
        f"{rule} Use letters, digits, dots, dashes or underscores.")


def focus_and_link_colours(page) -> tuple[str, str]:
    """The focus ring's colour on the username field, and the colour of a link."""
    page.get_by_label("Username").focus()
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    link = page.evaluate("getComputedStyle(document.querySelector('main a')).color")
    return ring, link


def test_the_focus_ring_is_the_colour_of_what_can_be_pressed(page):
    page.goto("/login")
    ring, link = focus_and_link_colours(page)
    assert ring == link  # blue like links and buttons, not orange like a warning


def test_the_dark_theme_follows_the_system_setting(browser, base_url, make_user):
    context = browser.new_context(base_url=base_url, color_scheme="dark", viewport=DESKTOP)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/")
    check_page(page, "welcome-dark", "Welcome")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = map(int, re.findall(r"\d+", background)[:3])
    assert max(red, green, blue) < 64, background  # dark, as the system asked
    page.goto("/login")
    ring, link = focus_and_link_colours(page)
    assert ring == link
    name, _ = make_user()
    sign_in(page, name, password="wrong password")
    check_page(page, "login-error-dark", "Sign in")  # axe checks the contrast of the dark colours
    sign_in(page, name)
    enter_code(page, "12345")
    check_page(page, "code-error-dark", "Enter your code")
    assert errors == []
    context.close()
