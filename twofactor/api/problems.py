"""Errors as RFC 9457 problem documents: type, title, status, detail; limits add retry_after."""
from flask import jsonify
from werkzeug.exceptions import HTTPException

from ..abuse.limits import Refused
from ..extensions import db

PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
# Problem types are names, not pages: tag URIs (RFC 4151) never resolve, as RFC 9457 allows.
TYPE_BASE = "tag:twofactor.example,2026:problem/"
# Plain HTTP errors are "about:blank": their title is the status's name.
DETAILS = {
    404: "There is nothing at this address.",
    405: "This address does not answer this method; the Allow header lists the ones it does.",
    413: "The body is larger than this API accepts.",
    500: "Something went wrong on our side. Please try again in a moment.",
}


class Problem(Exception):
    """Raised by a view to answer with a problem document."""

    def __init__(self, status: int, name: str, title: str, detail: str, retry_after: int = 0):
        super().__init__(detail)
        self.status, self.name, self.title, self.detail = status, name, title, detail
        self.retry_after = retry_after


def limited(refused: Refused) -> Problem:
    """A limit's refusal as a 429, with how many seconds to wait."""
    return Problem(429, "rate-limited", "Too many tries", refused.message, refused.retry_after)


def answer(problem: Problem):
    """The problem document; 401s say how to authenticate, limits say when to retry."""
    body = {"type": TYPE_BASE + problem.name, "title": problem.title, "status": problem.status,
            "detail": problem.detail}
    headers = {}
    if problem.retry_after:
        body["retry_after"] = problem.retry_after
        headers["Retry-After"] = str(problem.retry_after)
    if problem.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return document(body, problem.status, headers)


def from_http(error: HTTPException):
    """An HTTP error under /api/ (404, 405, 413, 500...) as a problem document, keeping headers
    such as Allow."""
    if error.code >= 500:
        db.session.rollback()
    body = {"type": "about:blank", "title": error.name, "status": error.code,
            "detail": DETAILS.get(error.code, "The request was not understood.")}
    headers = [(name, value) for name, value in error.get_headers()
               if name.lower() != "content-type"]
    return document(body, error.code, headers)


def document(body: dict, status: int, headers):
    """A JSON response with the problem media type."""
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    response.headers.extend(headers)
    return response
