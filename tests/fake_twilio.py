"""A local stand-in for api.twilio.com that the real ``twilio`` client talks to over HTTP.

Every request is checked against Twilio's own OpenAPI description
(../shared/twilio-oai/twilio_api_v2010.json) and recorded for the tests to read back.
"""
import json
import re
import secrets
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest
from twilio.http.http_client import TwilioHttpClient

SPEC = Path(__file__).resolve().parents[2] / "shared" / "twilio-oai" / "twilio_api_v2010.json"
TWILIO = "https://api.twilio.com"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


@cache
def openapi() -> OpenAPI:
    """Twilio's API description, with its phone-number format made strict (E.164)."""
    formats = {"phone-number": lambda value: bool(E164.fullmatch(value))}
    return OpenAPI.from_dict(json.loads(SPEC.read_text()),
                             config=Config(extra_format_validators=formats))


class FakeTwilio:
    """Records requests; answers like Twilio, or with a queued error."""

    def __init__(self):
        self.requests = []  # dicts: method, path, form, headers, spec_error
        self.replies = []  # queued (status, json_body) answers, oldest first
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake.handle(self)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, handler):
        """Validate, record and answer one request."""
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        path = handler.path.split("?")[0]
        content_type = handler.headers.get("Content-Type", "")
        try:
            openapi().validate_request(MockRequest(
                TWILIO, "post", path, data=body, content_type=content_type.split(";")[0],
                headers=dict(handler.headers)))
            spec_error = None
        except Exception as error:  # recorded; tests assert there were none
            spec_error = f"{type(error).__name__}: {error} {getattr(error, '__cause__', '')}"
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        self.requests.append({"method": handler.command, "path": path, "form": form,
                              "headers": dict(handler.headers), "spec_error": spec_error,
                              "content_type": content_type})
        if self.delay:
            threading.Event().wait(self.delay)
        status, reply = self.replies.pop(0) if self.replies else self.success(path, form)
        data = json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def success(path, form):
        """What Twilio answers to a created message or call."""
        kind = "SM" if path.endswith("/Messages.json") else "CA"
        return 201, {"sid": kind + secrets.token_hex(16), "status": "queued",
                     "to": form.get("To"), "from": form.get("From")}

    def fail_next(self, status: int, code: int | None, message: str = "error"):
        """Answer the next request with Twilio's documented error body."""
        body = {"code": code, "message": message, "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}"}
        self.replies.append((status, body))

    def sent(self, kind: str) -> list[dict]:
        """The form bodies of recorded "Messages" or "Calls" requests."""
        return [r["form"] for r in self.requests if r["path"].endswith(f"/{kind}.json")]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LocalHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, pointed at the fake server instead of api.twilio.com."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace(TWILIO, self.base_url, 1), *args, **kwargs)
