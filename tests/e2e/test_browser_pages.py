"""Every page: a title, landmarks, no serious accessibility problem, fits a phone; screenshots."""
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from .steps import DESKTOP, PHONE, enter_code, shoot, sign_in

SERIOUS = {"serious", "critical"}


def check_page(page, name, title):
    """Assert what every page owes a person, scan it with axe-core, and screenshot it."""
    expect(page).to_have_title(f"{title} · Two-factor demo")
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.get_by_role("banner")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    violations = Axe().run(page).response["violations"]
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations]
    print(name, "axe:", found or "no violations")
    assert [v for v in found if v[1] in SERIOUS] == [], f"{name}: {found}"
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], \
        f"{name} scrolls sideways on a phone"
    page.set_viewport_size(DESKTOP)
    shoot(page, name)


def test_every_page(page, make_user, phone_of):
    name, number = make_user("sms")
    page.goto("/")
    check_page(page, "welcome", "Welcome")
    page.goto("/no-such-page")
    check_page(page, "not-found", "Page not found")
    page.goto("/signup")
    check_page(page, "signup", "Create an account")
    page.get_by_label("Phone number").fill("12")
    page.get_by_role("button", name="Create account").click()
    check_page(page, "signup-errors", "Create an account")
    page.goto("/login")
    check_page(page, "login", "Sign in")
    sign_in(page, name, password="wrong password")
    check_page(page, "login-error", "Sign in")
    sign_in(page, name)
    check_page(page, "code", "Enter your code")
    enter_code(page, "12345")
    check_page(page, "code-error", "Enter your code")
    page.goto("/dev/outbox")
    check_page(page, "outbox", "Development outbox")
    page.goto("/code")
    enter_code(page, phone_of(number).last_code())
    check_page(page, "home", f"Welcome, {name}")
    page.get_by_role("button", name="Sign out", exact=True).click()
    check_page(page, "signed-out", "Sign in")


def test_code_page_after_a_call(page, make_user):
    name, _ = make_user("voice")
    sign_in(page, name)
    page.get_by_label("Code").fill("nope")
    page.get_by_role("button", name="Verify").click()
    check_page(page, "code-call", "Enter your code")
