"""A local stand-in for api.telnyx.com/v2 Verify that the real ``telnyx`` client talks to.

Every request is checked against Telnyx's own OpenAPI description
(tests/telnyx-oai/telnyx_verify.json). Each trigger is a new verification with a new
5-digit code (the Verify profile's default), valid for 300 s; a code is accepted once.
Telnyx documents no cap on checks, so the fake has none either.
"""
import json
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from fake_server import FakeServer
from fake_twilio import E164
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

SPEC_DIR = Path(__file__).resolve().parent / "telnyx-oai"  # Telnyx's file, as published
SPEC = SPEC_DIR / "telnyx_verify.json"
SPEC_SHA256 = {"telnyx_verify.json":
               "b8f00a38465cead089b1dbee135cd4ea22b8e08fa246734bc9ca4f0effc84e3e"}
TELNYX = "https://api.telnyx.com"
LIFETIME = timedelta(seconds=300)
TYPES = {"/v2/verifications/sms": "sms", "/v2/verifications/call": "call",
         "/v2/verifications/whatsapp": "whatsapp"}
# Numbers that make the fake answer with an error, as Telnyx would for such a number.
INVALID, INACTIVE, NOT_ALLOWED = "+12015550200", "+12015550201", "+12015550403"
RATE_LIMITED, BROKEN = "+12015550429", "+12015550500"
REFUSALS = {INVALID: (400, "10002", "Invalid phone number"),
            INACTIVE: (400, "10001", "Inactive phone number"),
            NOT_ALLOWED: (403, "10010", "Authorization failed"),
            RATE_LIMITED: (429, "10011", "Too many requests"),
            BROKEN: (500, "10007", "Unexpected error")}


@cache
def openapi() -> OpenAPI:
    """Telnyx Verify's API description, parsed once."""
    return OpenAPI.from_dict(json.loads(SPEC.read_text()))


def error(status: int, code: str, title: str) -> tuple[int, dict]:
    """Telnyx's documented error body."""
    url = f"https://developers.telnyx.com/docs/overview/errors/{code}"
    return status, {"errors": [{"code": code, "title": title, "detail": title,
                                "meta": {"url": url}}]}


class FakeTelnyx(FakeServer):
    """Telnyx Verify's behaviour for one API key and Verify profile, with a clock to move."""

    def __init__(self, api_key: str, profile_id: str):
        self.api_key, self.profile_id = api_key, profile_id
        openapi()
        super().__init__()
        self.reset()

    def reset(self):
        super().reset()
        self.verifications = {}  # id: dict(to, type, code, created, status)
        self.sent = []  # what reached "phones": dicts to, channel, code, id
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
        record["json"] = json.loads(record["body"] or b"null")
        try:
            openapi().validate_request(MockRequest(
                TELNYX, record["method"].lower(), record["path"], data=record["body"] or None,
                content_type=record["headers"].get("Content-Type") if record["body"] else None,
                headers=record["headers"]))
        except Exception as problem:  # recorded; tests assert there were none
            return f"{type(problem).__name__}: {problem} {getattr(problem, '__cause__', '')}"
        body = record["json"] or {}
        if record["path"] in TYPES and not E164.fullmatch(body.get("phone_number", "")):
            return "phone_number must be +E.164 (10016)"
        return None

    def refusal(self, problem: str) -> dict:
        return error(400, "10015", problem)[1]

    def answer(self, record: dict) -> tuple[int, dict]:
        if record["headers"].get("Authorization") != f"Bearer {self.api_key}":
            return error(401, "10009", "Authentication failed")
        path, body = record["path"], record["json"]
        if path in TYPES:
            return self.trigger(body["phone_number"], TYPES[path], body["verify_profile_id"])
        verification_id = path.split("/")[3]
        found = self.verifications.get(verification_id)
        if found is None:
            return error(404, "10005", "Resource not found")
        if self.now() - found["created"] >= LIFETIME and found["status"] == "pending":
            found["status"] = "expired"
        if record["method"] == "GET":
            return 200, {"data": self.resource(found)}
        accepted = found["status"] == "pending" and secrets.compare_digest(
            body.get("code", ""), found["code"])
        if accepted:
            found["status"] = "accepted"
        return 200, {"data": {"phone_number": found["to"],
                              "response_code": "accepted" if accepted else "rejected"}}

    def trigger(self, to: str, kind: str, profile_id: str) -> tuple[int, dict]:
        if profile_id != self.profile_id:
            return error(404, "10005", "Resource not found")
        if to in REFUSALS:
            return error(*REFUSALS[to])
        found = {"id": str(uuid.uuid4()), "to": to, "type": kind, "status": "pending",
                 "code": f"{secrets.randbelow(10**5):05d}", "created": self.now()}
        self.verifications[found["id"]] = found
        self.sent.append({"to": to, "channel": kind, "code": found["code"], "id": found["id"]})
        return 200, {"data": self.resource(found)}

    def resource(self, v: dict) -> dict:
        """A verification as Telnyx returns it (without the code, as Telnyx does)."""
        stamp = v["created"].isoformat()
        return {"id": v["id"], "phone_number": v["to"], "record_type": "verification",
                "status": v["status"], "timeout_secs": int(LIFETIME.total_seconds()),
                "type": v["type"], "verify_profile_id": self.profile_id,
                "created_at": stamp, "updated_at": stamp}
