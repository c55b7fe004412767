"""Request bodies: a JSON object of known string fields, or a 4xx problem saying what is wrong."""
import json
import re
from dataclasses import dataclass

from flask import request

from .problems import Problem

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Field:
    """A required string field: its longest length, its choices, whether control characters
    are refused."""

    max_length: int
    choices: tuple[str, ...] = ()
    plain: bool = False


def read(fields: dict[str, Field]) -> dict[str, str]:
    """The body's fields, checked: 415 unless JSON, 400 unless an object, 422 for a missing,
    unknown or wrong field (a body over MAX_CONTENT_LENGTH is a 413 before any of it is read)."""
    if request.mimetype != "application/json":
        raise Problem(415, "unsupported-media-type", "Send JSON",
                      "The body must be JSON, sent with Content-Type: application/json.")
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than anyone needs
        raise Problem(400, "malformed-json", "Malformed JSON",
                      "The body is not valid JSON in UTF-8.") from None
    if not isinstance(body, dict):
        raise Problem(400, "malformed-json", "Malformed JSON", "The body must be a JSON object.")
    if unknown := sorted(set(body) - set(fields)):
        raise invalid(f"Unknown field: {unknown[0][:40]!r}.")
    for name, field in fields.items():
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise invalid(f"{name} must be a non-empty string.")
        try:
            value.encode()
        except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
            raise invalid(f"{name} must be valid Unicode text.") from None
        if len(value) > field.max_length:
            raise invalid(f"{name} must be at most {field.max_length} characters.")
        if field.choices and value not in field.choices:
            raise invalid(f"{name} must be one of: {', '.join(field.choices)}.")
        if field.plain and _CONTROL.search(value):
            raise invalid(f"{name} must not contain control characters.")
    return body


def invalid(detail: str) -> Problem:
    """A body whose fields are wrong: 422, saying which."""
    return Problem(422, "invalid-body", "Invalid request body", detail)
