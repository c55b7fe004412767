"""Twilio's own HTTP client pointed at a local fake, in a module of its own: the benchmark's
workers import it without the fake's OpenAPI checker, which would swell their memory."""
from twilio.http.http_client import TwilioHttpClient

TWILIO = "https://api.twilio.com"


class LocalHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, pointed at the fake server instead of api.twilio.com."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace(TWILIO, self.base_url, 1), *args, **kwargs)
