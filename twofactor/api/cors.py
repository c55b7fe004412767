"""Cross-origin access: off, unless API_CORS_ORIGINS lists the caller's Origin."""
from flask import Blueprint, current_app, request

ALLOWED_HEADERS = "Authorization, Content-Type, X-CSRFToken"
PREFLIGHT_MAX_AGE = 600


def allowed_origin() -> str | None:
    """The request's Origin if the settings list it exactly, else None."""
    listed = current_app.config.get("API_CORS_ORIGINS") or ""
    if isinstance(listed, str):
        listed = listed.split(",")
    origin = request.headers.get("Origin")
    return origin if origin and origin in {o.strip() for o in listed if o.strip()} else None


def init(bp: Blueprint) -> None:
    """Answer preflights for listed origins, and tag every /api/ response for them."""

    @bp.before_request
    def preflight():
        """A listed origin's preflight: 204 with what it may send; others get the plain OPTIONS."""
        if (request.method == "OPTIONS" and allowed_origin()
                and "Access-Control-Request-Method" in request.headers):
            response = current_app.make_default_options_response()
            response.status_code = 204
            response.headers["Access-Control-Allow-Methods"] = ", ".join(response.allow)
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
            return response
        return None

    @bp.after_app_request
    def cross_origin_headers(response):
        """Every /api/ answer, errors included, may be read by a listed origin."""
        if request.path.startswith("/api/"):
            response.vary.add("Origin")
            if origin := allowed_origin():
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Access-Control-Allow-Credentials"] = "true"
                response.headers["Access-Control-Expose-Headers"] = "Retry-After, WWW-Authenticate"
        return response
