"""What a person does in the browser: sign in, type a code, read their phone; screenshots."""
import re
from pathlib import Path

PASSWORD = "correct horse battery"
COOLDOWN = 3  # seconds between sends in the e2e app, short so the resend tests wait little
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


class Phone:
    """The person's phone, read through the development outbox in another tab."""

    def __init__(self, context, number):
        self.context, self.number = context, number

    def _latest(self):
        tab = self.context.new_page()
        tab.goto("/dev/outbox")
        masked = "+" + "•" * (len(self.number) - 3) + self.number[-2:]  # as the outbox shows it
        item = tab.locator("article.outbox").filter(has_text=f" to {masked}").first
        heading = item.locator("h2").inner_text()
        text = item.locator("pre.sms, ol.spoken").first.inner_text()
        tab.close()
        return heading, text

    def last_code(self, channel="sms") -> str:
        """The code in the newest text (or call) to this number, read as a person would."""
        heading, text = self._latest()
        assert heading.startswith("Text message" if channel == "sms" else "Phone call"), heading
        if channel == "sms":
            return re.match(r"(\d{6}) is your Two-factor demo sign-in code\.", text).group(1)
        return "".join(re.search(r"(\d(?:, \d){5})\.", text).group(1).split(", "))


def sign_in(page, username, password=PASSWORD, next=None):
    """Type the username and password on the sign-in page, as a person would."""
    page.goto("/login" + (f"?next={next}" if next else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()


def enter_code(page, code):
    """Type the code on the code page and press Verify."""
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Verify").click()


def shoot(page, name):
    """Save this page as the person sees it, desktop and phone, to tests/screenshots/."""
    SHOTS.mkdir(exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.screenshot(path=SHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(size)
