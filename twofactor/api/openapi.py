"""The API's OpenAPI 3.1 description, served at /api/v1/openapi.json; the tests check it is
valid and that every answer the API gives fits it."""
from flask import jsonify

METHODS = ["sms", "voice", "app", "backup"]
NO_CONTROL = "^[^\\u0000-\\u001f\\u007f]*$"


def _string(max_length: int, **more) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length, **more}


def _body(name: str) -> dict:
    return {"required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _ok(description: str, name: str | None) -> dict:
    if name is None:
        return {"description": description}
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _problems(*statuses: int) -> dict:
    """The problem answers an operation can give, with the headers each one carries."""
    said = {400: "Malformed JSON, or not an object", 401: "Not signed in, or refused",
            403: "Missing or stale CSRF token (cookie sessions)",
            409: "That way is not set up for this account", 413: "Body too large",
            415: "Not JSON", 422: "A field is missing, unknown or wrong",
            429: "A limit: wait retry_after seconds", 502: "The code could not be sent"}
    answers = {}
    for status in statuses:
        answer = {"description": said[status], "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
        if status == 429:
            answer["headers"] = {"Retry-After": {"required": True, "description": "Seconds.",
                                                 "schema": {"type": "string",
                                                            "pattern": "^[0-9]+$"}}}
        if status == 401:
            answer["headers"] = {"WWW-Authenticate": {"required": True,
                                                      "schema": {"type": "string"}}}
        answers[str(status)] = answer
    return answers


SIGNED_IN_ONLY = [{"bearer": []}, {"cookie": []}]
MOMENT = {"type": "string", "format": "date-time"}

DESCRIPTION = {
    "openapi": "3.1.0",
    "info": {"title": "Two-factor sign-in API", "version": "1",
             "description": "The sign-in of the pages for single-page and phone apps: the "
                            "password, then a second factor, then a cookie session or a "
                            "bearer token. Errors are RFC 9457 problem documents."},
    "paths": {
        "/api/v1/session": {
            "post": {"operationId": "createSession", "summary": "Check the password",
                     "requestBody": _body("Credentials"),
                     "responses": {"200": _ok("Password right: now a second factor",
                                              "MfaRequired"),
                                   **_problems(400, 401, 413, 415, 422, 429)}},
            "delete": {"operationId": "signOut", "summary": "Sign out this token or session",
                       "security": SIGNED_IN_ONLY,
                       "responses": {"204": _ok("Signed out", None),
                                     **_problems(401, 403)}},
        },
        "/api/v1/mfa/send": {
            "post": {"operationId": "sendCode",
                     "summary": "Text or call a code to the account's stored number",
                     "requestBody": _body("SendRequest"),
                     "responses": {"202": _ok("Sent", "Sent"),
                                   **_problems(400, 401, 413, 415, 422, 429, 502)}},
        },
        "/api/v1/mfa/verify": {
            "post": {"operationId": "verifyCode", "summary": "Prove a second factor; sign in",
                     "requestBody": _body("VerifyRequest"),
                     "responses": {"200": _ok("Signed in", "SignedIn"),
                                   **_problems(400, 401, 409, 413, 415, 422, 429)}},
        },
        "/api/v1/me": {
            "get": {"operationId": "me", "summary": "The signed-in account",
                    "security": SIGNED_IN_ONLY,
                    "responses": {"200": _ok("The account", "Me"), **_problems(401)}},
        },
        "/api/v1/openapi.json": {
            "get": {"operationId": "openapi", "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1", "content": {
                        "application/json": {"schema": {"type": "object"}}}}}},
        },
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "access_token from verify with session \"bearer\""},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "session",
                       "description": "from verify with session \"cookie\"; unsafe calls "
                                      "also need the csrf_token in an X-CSRFToken header"},
        },
        "schemas": {
            "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                        "properties": {"type": {"type": "string", "format": "uri"},
                                       "title": {"type": "string"},
                                       "status": {"type": "integer"},
                                       "detail": {"type": "string"},
                                       "retry_after": {"type": "integer", "minimum": 1}}},
            "Credentials": {"type": "object", "required": ["username", "password"],
                            "additionalProperties": False,
                            "properties": {"username": _string(64, pattern=NO_CONTROL),
                                           "password": _string(128)}},
            "MfaRequired": {
                "type": "object", "additionalProperties": False,
                "required": ["status", "mfa_token", "methods", "phone", "expires_at"],
                "properties": {"status": {"const": "mfa_required"},
                               "mfa_token": {"type": "string", "minLength": 43,
                                             "description": "opaque; valid until expires_at"},
                               "methods": {"type": "array", "minItems": 1, "uniqueItems": True,
                                           "items": {"enum": METHODS},
                                           "description": "the usual one first"},
                               "phone": {"type": "string", "description": "masked"},
                               "expires_at": MOMENT}},
            "SendRequest": {"type": "object", "required": ["mfa_token", "channel"],
                            "additionalProperties": False,
                            "properties": {"mfa_token": _string(128),
                                           "channel": {"enum": ["sms", "voice"]}}},
            "Sent": {"type": "object", "additionalProperties": False,
                     "required": ["channel", "to", "expires_at", "resend_after"],
                     "properties": {"channel": {"enum": ["sms", "voice"]},
                                    "to": {"type": "string", "description": "masked"},
                                    "expires_at": {"type": ["string", "null"],
                                                   "format": "date-time"},
                                    "resend_after": MOMENT}},
            "VerifyRequest": {"type": "object", "additionalProperties": False,
                              "required": ["mfa_token", "method", "code", "session"],
                              "properties": {"mfa_token": _string(128),
                                             "method": {"enum": METHODS},
                                             "code": _string(64),
                                             "session": {"enum": ["cookie", "bearer"]}}},
            "SignedIn": {
                "type": "object", "additionalProperties": False,
                "required": ["status", "session", "username", "expires_at", "idle_timeout"],
                "properties": {"status": {"const": "signed_in"},
                               "session": {"enum": ["cookie", "bearer"]},
                               "username": {"type": "string"},
                               "expires_at": MOMENT,
                               "idle_timeout": {"type": "integer", "description": "seconds"},
                               "access_token": {"type": "string", "minLength": 43},
                               "token_type": {"const": "Bearer"},
                               "csrf_token": {"type": "string"},
                               "backup_codes_left": {"type": "integer", "minimum": 0}}},
            "Me": {"type": "object", "additionalProperties": False,
                   "required": ["username", "phone", "session", "methods"],
                   "properties": {"username": {"type": "string"},
                                  "phone": {"type": "string", "description": "masked"},
                                  "session": {"enum": ["cookie", "bearer"]},
                                  "methods": {"type": "array", "items": {"enum": METHODS}},
                                  "csrf_token": {"type": "string"}}},
        },
    },
}


def serve():
    """This description, as JSON."""
    return jsonify(DESCRIPTION)
