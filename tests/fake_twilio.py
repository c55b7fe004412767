"""A local stand-in for api.twilio.com that the real ``twilio`` client talks to over HTTP.

Every request is checked against Twilio's own OpenAPI description
(tests/twilio-oai/twilio_api_v2010.json) and recorded for the tests to read back.
"""
import base64
import json
import re
import secrets
import threading
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest
from twilio_http import TWILIO, LocalHttpClient  # noqa: F401 (re-exported for the tests)

SPEC_DIR = Path(__file__).resolve().parent / "twilio-oai"  # Twilio's files, as published
SPEC = SPEC_DIR / "twilio_api_v2010.json"
SPEC_SHA256 = {"twilio_verify_v2.json":
               "976da0a42d57ad5e9007770570062d3095513a693a3db9fb521d6dae79edf2da",
               "twilio_api_v2010.json":
               "99cae87a6bb1725f71363364cbd30282a13140374b2d5f9bdd5bdfa5d4c8a6d7",
               "TwiML.xsd": "62da6c2397537c9887b2600d7ccee732d88072d262b7fe66ada2a5af3205b3dd"}
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
TWIML_LIMIT = 4000  # characters of inline TwiML Twilio accepts (error 32018 above it)


def is_uri(value: str) -> bool:
    """An absolute http(s) URL, as Twilio needs for callbacks and TwiML URLs."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value


def is_twiml(value: str) -> bool:
    """Well-formed TwiML: a <Response> document within Twilio's length limit."""
    try:
        return len(value) <= TWIML_LIMIT and ElementTree.fromstring(value).tag == "Response"
    except ElementTree.ParseError:
        return False


@cache
def openapi() -> OpenAPI:
    """Twilio's API description, with the formats it names but leaves open made strict.

    We only ever call phone numbers, so an "endpoint" (number, SIP or client) must be E.164.
    """
    formats = {"phone-number": lambda value: bool(E164.fullmatch(value)),
               "endpoint": lambda value: bool(E164.fullmatch(value)),
               "uri": is_uri, "twiml": is_twiml}
    return OpenAPI.from_dict(json.loads(SPEC.read_text()),
                             config=Config(extra_format_validators=formats))


def beyond_spec(path: str, form: dict) -> str | None:
    """Rules in Twilio's docs that the OpenAPI file cannot express; what is broken, or None."""
    def one_of(*names):
        return sum(name in form for name in names) == 1
    if path.endswith("/Messages.json"):
        if not one_of("From", "MessagingServiceSid"):
            return "Messages: exactly one of From and MessagingServiceSid (21603/21606)"
        if "Body" not in form:
            return "Messages: Body is required for a text (21602)"
    if path.endswith("/Calls.json") and not one_of("Url", "Twiml"):
        return "Calls: exactly one of Url and Twiml (21205)"
    return None


class FakeTwilio:
    """Records requests; answers like Twilio, or with a queued error."""

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None):
        # With credentials set, a wrong Basic password is answered 401 / 20003, as Twilio does.
        self.credentials = (account_sid, auth_token) if auth_token else None
        self.requests = []  # dicts: method, path, form, headers, spec_error, reply
        self.replies = []  # queued (status, json_body) answers, oldest first
        self.delay = 0.0
        openapi()  # parse the large spec now, not inside the first request's client timeout
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
        form = {k: v[0] if len(v) == 1 else v
                for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        spec_error = spec_error or beyond_spec(path, form)
        record = {"method": handler.command, "path": path, "form": form,
                  "headers": dict(handler.headers), "spec_error": spec_error,
                  "content_type": content_type}
        self.requests.append(record)
        if self.delay:
            threading.Event().wait(self.delay)
        if self.replies:
            status, reply = self.replies.pop(0)
        elif not self.authenticated(handler.headers.get("Authorization", "")):
            status, reply = 401, self.error_body(401, 20003, "Authenticate")
        else:
            status, reply = self.success(path, form)
        record["reply"] = reply
        data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json" if isinstance(reply, dict)
                                else "text/html")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a timeout test)

    def authenticated(self, header: str) -> bool:
        """Whether the Basic credentials are the account's, when the fake knows them."""
        if self.credentials is None:
            return True
        expected = base64.b64encode(":".join(self.credentials).encode()).decode()
        return header == f"Basic {expected}"

    @staticmethod
    def success(path, form):
        """What Twilio answers to a created message or call."""
        kind = "SM" if path.endswith("/Messages.json") else "CA"
        return 201, {"sid": kind + secrets.token_hex(16), "status": "queued",
                     "to": form.get("To"), "from": form.get("From")}

    @staticmethod
    def error_body(status: int, code: int | None, message: str) -> dict:
        """Twilio's documented error body."""
        return {"code": code, "message": message, "status": status,
                "more_info": f"https://www.twilio.com/docs/errors/{code}"}

    def fail_next(self, status: int, code: int | None, message: str = "error",
                  raw: bytes | None = None):
        """Answer the next request with Twilio's error body (or ``raw``, e.g. a proxy's page)."""
        self.replies.append((status, raw if raw is not None else
                             self.error_body(status, code, message)))

    def sent(self, kind: str) -> list[dict]:
        """The form bodies of recorded "Messages" or "Calls" requests."""
        return [r["form"] for r in self.requests if r["path"].endswith(f"/{kind}.json")]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
