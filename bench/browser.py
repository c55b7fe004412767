"""A person's browser against the served app: cookies, CSRF tokens, and a whole sign-in."""
import http.client
import re
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from fill import PASSWORD

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SENT_CODE = re.compile(r"^(\d{6}) ")
WRONG_ANSWER = "That code is not right"


class Browser:
    """Keeps cookies and sends what a browser behind the site's TLS proxy would send."""

    def __init__(self, base: str, ip: str):
        parts = urlsplit(base)
        self.host, self.port, self.ip = parts.hostname, parts.port, ip
        self.cookies = {}
        # "POST /login": what the request cost the worker, from the bench-only headers
        self.statements, self.server_ms, self.hash_ms = {}, {}, {}

    def headers(self) -> dict:
        """The proxy's X-Forwarded-* (TRUSTED_PROXIES=1) and the Referer Flask-WTF wants on https."""
        return {"Cookie": self.cookie_header(), "X-Forwarded-Proto": "https",
                "X-Forwarded-For": self.ip, "Referer": f"https://{self.host}:{self.port}/"}

    def cookie_header(self) -> str:
        """The Cookie header for the cookies held."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        """Send one request; (status, Location, body)."""
        headers, body = self.headers(), None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(form)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if "X-Bench-Statements" in response.headers:
            step = f"{method} {path}"
            self.statements[step] = int(response.headers["X-Bench-Statements"])
            self.server_ms[step] = float(response.headers["X-Bench-Server-Ms"])
            self.hash_ms[step] = float(response.headers["X-Bench-Hash-Ms"])
        return response.status, response.headers.get("Location", ""), text

    def form_token(self, path: str) -> str:
        """GET ``path`` and return the CSRF token of its form."""
        status, _, page = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return TOKEN.search(page).group(1)


def sent_code(fake, phone: str, after: int) -> str:
    """The code in the newest text the fake Twilio got for ``phone`` after request ``after``."""
    for request in reversed(fake.requests[after:]):
        if request["form"].get("To") == phone and "Body" in request["form"]:
            return SENT_CODE.match(request["form"]["Body"]).group(1)
    raise RuntimeError(f"no code was sent to {phone}: did a limit refuse it? "
                       "(raise it in bench/settings.py)")


def enter_password(base: str, fake, person: tuple[str, str], ip: str) -> tuple[Browser, str]:
    """Pass the password step as ``person`` (username, phone); the browser and the code sent."""
    browser, (username, phone) = Browser(base, ip), person
    token, before = browser.form_token("/login"), len(fake.requests)
    status, location, _ = browser.request("POST", "/login", {
        "csrf_token": token, "username": username, "password": PASSWORD, "channel": ""})
    if status != 302 or not location.endswith("/code"):
        raise RuntimeError(f"password POST for {username} answered {status} {location}")
    return browser, sent_code(fake, phone, before)


def sign_in(base: str, fake, person: tuple[str, str], ip: str) -> Browser:
    """A whole sign-in, as a browser does it: GET and POST /login, then GET and POST /code."""
    browser, code = enter_password(base, fake, person, ip)
    token = browser.form_token("/code")
    status, location, _ = browser.request("POST", "/code", {"csrf_token": token, "code": code})
    if status != 302 or location.endswith("/login"):
        raise RuntimeError(f"code POST for {person[0]} answered {status} {location}")
    return browser


def pending_wrong_code(base: str, fake, person: tuple[str, str], ip: str) -> tuple[Browser, dict]:
    """A browser left at the code page, and a code form to POST that holds a wrong code."""
    browser, code = enter_password(base, fake, person, ip)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    return browser, {"csrf_token": browser.form_token("/code"), "code": wrong}
