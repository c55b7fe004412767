"""Where a session or remembered browser came from, in words: "Firefox on Windows", a network."""
from flask import has_request_context, request

from .. import audit
from ..abuse import policy

# The first token found names the browser: Edge and Opera also say "Chrome", Chrome says "Safari".
BROWSERS = [("Edg", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS", "Firefox"),
            ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
SYSTEMS = [("Windows", "Windows"), ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"),
           ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Linux", "Linux")]


def summary(user_agent: str) -> str:
    """A browser and its system from a User-Agent header, at most 64 characters."""
    browser = next((name for token, name in BROWSERS if token in user_agent), None)
    system = next((name for token, name in SYSTEMS if token in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("An app" if user_agent else "Unknown browser")


def described() -> dict[str, str]:
    """This request's browser and client network, as a LoginSession keeps them."""
    if not has_request_context():
        return {"user_agent": "", "network": ""}
    return {"user_agent": summary(request.headers.get("User-Agent", ""))[:64],
            "network": policy.client_network(audit.client_ip())[:64]}
