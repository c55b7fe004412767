"""A local stand-in for verify.twilio.com that the real ``twilio`` client talks to over HTTP.

Every request is checked against Twilio's own OpenAPI description
(tests/twilio-oai/twilio_verify_v2.json). It keeps state as Twilio Verify documents: one code
per verification, re-sent (the same code) to the same number within its 10 minutes, at most
5 sends (60203) and 5 wrong checks (60202), approved once and then gone (20404).
"""
import base64
import json
import secrets
from datetime import datetime, timedelta, timezone
from functools import cache
from urllib.parse import parse_qs

from fake_server import FakeServer
from fake_twilio import E164, SPEC_DIR
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest
from twilio.http.http_client import TwilioHttpClient

SPEC = SPEC_DIR / "twilio_verify_v2.json"
VERIFY = "https://verify.twilio.com"
LIFETIME = timedelta(minutes=10)
MAX_SENDS = MAX_CHECKS = 5
# Numbers that make the fake answer with an error, as Twilio would for such a number.
INVALID, LANDLINE, BUSY = "+12015550200", "+12015550205", "+12015550212"
FRAUD_BLOCKED, GEO_BLOCKED, RATE_LIMITED = "+12015550410", "+12015550605", "+12015550429"
REFUSALS = {INVALID: (400, 60200, "Invalid parameter `To`"),
            BUSY: (429, 60212, "Too many concurrent requests for phone number"),
            FRAUD_BLOCKED: (403, 60410, "Verification delivery attempt blocked"),
            GEO_BLOCKED: (403, 60605, "Verification delivery to this country is not permitted"),
            RATE_LIMITED: (429, 20429, "Too Many Requests")}


@cache
def openapi() -> OpenAPI:
    """Twilio Verify's API description, parsed once."""
    return OpenAPI.from_dict(json.loads(SPEC.read_text()))


def beyond_spec(path: str, form: dict) -> str | None:
    """Rules in Twilio's docs that the OpenAPI file cannot express; what is broken, or None."""
    if path.endswith("/Verifications"):
        if not E164.fullmatch(form.get("To", "")):
            return "Verifications: To must be an E.164 phone number (60200)"
        if form.get("Channel") not in ("sms", "call", "whatsapp"):
            return "Verifications: Channel must be sms, call or whatsapp (60200)"
    if path.endswith("/VerificationCheck"):
        if "VerificationSid" not in form or "To" in form:
            return "VerificationCheck: by VerificationSid alone (our rule: never by number)"
    return None


class FakeTwilioVerify(FakeServer):
    """Twilio Verify's behaviour for one account and its services, with a clock to move."""

    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        openapi()  # parse the spec now, not inside the first request's client timeout
        super().__init__()
        self.reset()

    def reset(self):
        super().reset()
        self.verifications = {}  # sid: dict(to, channel, code, created, status, checks, sends)
        self.sent = []  # what reached "phones": dicts to, channel, code, sid
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    def advance(self, delta: timedelta):
        """Move the fake's clock forward (codes expire by it)."""
        self.offset += delta

    def last_code(self, to: str | None = None) -> str:
        """The code in the newest message or call, to ``to`` if given."""
        return next(s["code"] for s in reversed(self.sent) if to in (None, s["to"]))

    def spec_error(self, record: dict) -> str | None:
        form = {k: v[0] for k, v in parse_qs(record["body"].decode()).items()}
        record["form"] = form
        try:
            openapi().validate_request(MockRequest(
                VERIFY, record["method"].lower(), record["path"], data=record["body"],
                content_type=record["headers"].get("Content-Type", "").split(";")[0],
                headers=record["headers"]))
        except Exception as error:  # recorded; tests assert there were none
            return f"{type(error).__name__}: {error} {getattr(error, '__cause__', '')}"
        return beyond_spec(record["path"], form)

    def refusal(self, problem: str) -> dict:
        return self.error(400, 60200, problem)[1]

    @staticmethod
    def error(status: int, code: int, message: str) -> tuple[int, dict]:
        """Twilio's documented error body."""
        return status, {"code": code, "message": message, "status": status,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}"}

    def answer(self, record: dict) -> tuple[int, dict]:
        auth = record["headers"].get("Authorization", "")
        if auth != basic(self.account_sid, self.auth_token):
            return self.error(401, 20003, "Authenticate")
        form, path = record["form"], record["path"]
        self.service_sid = path.split("/")[3]
        if path.endswith("/Verifications"):
            return self.create(form)
        if path.endswith("/VerificationCheck"):
            return self.check(form["VerificationSid"], form["Code"])
        return self.update(path.rsplit("/", 1)[1], form["Status"])

    def live(self, sid: str) -> dict | None:
        """The pending, unexpired verification ``sid``, or None (Twilio's 20404)."""
        found = self.verifications.get(sid)
        if found and found["status"] == "pending" and self.now() - found["created"] < LIFETIME:
            return found
        return None

    def create(self, form: dict) -> tuple[int, dict]:
        to, channel = form["To"], form["Channel"]
        if to in REFUSALS:
            return self.error(*REFUSALS[to])
        if to == LANDLINE and channel == "sms":
            return self.error(400, 60205, "SMS is not supported by landline phone number")
        found = next((v for sid, v in self.verifications.items()
                      if v["to"] == to and self.live(sid)), None)
        if found is None:
            found = {"sid": "VE" + secrets.token_hex(16), "to": to, "created": self.now(),
                     "code": f"{secrets.randbelow(10**6):06d}", "status": "pending",
                     "checks": 0, "sends": []}
            self.verifications[found["sid"]] = found
        elif len(found["sends"]) >= MAX_SENDS:
            return self.error(429, 60203, "Max send attempts reached")
        found["channel"] = channel
        found["sends"].append({"time": self.now().isoformat(), "channel": channel.upper(),
                               "attempt_sid": "VL" + secrets.token_hex(16)})
        self.sent.append({"to": to, "channel": channel, "code": found["code"],
                          "sid": found["sid"]})
        return 201, self.resource(found)

    def check(self, sid: str, code: str) -> tuple[int, dict]:
        if not 4 <= len(code) <= 10:
            return self.error(400, 60200, "Invalid parameter: Code")
        found = self.live(sid)
        if found is None:
            return self.error(404, 20404, "The requested resource was not found")
        if found["checks"] >= MAX_CHECKS:
            return self.error(429, 60202, "Max check attempts reached")
        found["checks"] += 1
        if secrets.compare_digest(code, found["code"]):
            found["status"] = "approved"
        return 200, self.resource(found, check=True)

    def update(self, sid: str, status: str) -> tuple[int, dict]:
        found = self.live(sid)
        if found is None:
            return self.error(404, 20404, "The requested resource was not found")
        found["status"] = status
        return 200, self.resource(found)

    def resource(self, v: dict, check: bool = False) -> dict:
        """A verification (or verification check) as Twilio returns it."""
        service = self.service_sid
        body = {"sid": v["sid"], "service_sid": service, "account_sid": self.account_sid,
                "to": v["to"], "channel": v["channel"], "status": v["status"],
                "valid": v["status"] == "approved", "amount": None, "payee": None,
                "date_created": stamp(v["created"]), "date_updated": stamp(self.now())}
        if not check:
            body.update(lookup={}, send_code_attempts=v["sends"], sna=None,
                        url=f"{VERIFY}/v2/Services/{service}/Verifications/{v['sid']}")
        return body


def stamp(moment: datetime) -> str:
    """A date as Twilio writes it (ISO 8601, whole seconds, UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def basic(user: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class RoutingHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending each Twilio host's requests to a local fake."""

    def __init__(self, routes: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.routes = routes  # e.g. {"https://verify.twilio.com": "http://127.0.0.1:5000"}

    def request(self, method, url, *args, **kwargs):
        for real, local in self.routes.items():
            if url.startswith(real):
                url = local + url[len(real):]
        return super().request(method, url, *args, **kwargs)

