"""Error pages in the site's layout, and a second chance for a form whose page expired."""
from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .api import problems
from .extensions import db

# What a person reads for each status: the page's title, then what they can do.
PAGES = {
    400: ("Something was wrong with that request",
          "Go back, reload the page and try again."),
    403: ("Not allowed", "This page is not for you, or not for this way of asking."),
    404: ("Page not found",
          "There is no page at this address. Check it, or start again from the home page."),
    405: ("Not available this way", "This address only works from a button on this site."),
    413: ("Too much to send", "That was more than this site accepts. Send less and try again."),
    429: ("Too many tries", "Please wait a little, then try again."),
    500: ("Something went wrong", "It was our fault, not yours. Please try again in a moment."),
}
EXPIRED = "Your page expired — please try again."
# Pages that come back filled in after an expired token; the rest redirect to where to retry.
REFILLED = {"twofactor.login", "twofactor.signup"}
RETRY_AT = {"twofactor.code": "twofactor.code", "twofactor.resend": "twofactor.code",
            "twofactor.logout": "twofactor.home"}


def init_app(app: Flask) -> None:
    """Answer every HTTP error, and every failed CSRF check, with a page of this site."""
    app.register_error_handler(HTTPException, error_page)
    app.register_error_handler(CSRFError, page_expired)


def error_page(error: HTTPException):
    """The error as a page of the site, keeping headers such as Allow and Retry-After."""
    if request.path.startswith(problems.PREFIX):
        return problems.from_http(error)  # API clients read JSON, never a page
    if error.code >= 500:
        db.session.rollback()  # the page reads the signed-in user; a failed transaction cannot
    title, advice = PAGES.get(error.code, (error.name, "Please go back and try again."))
    headers = [(name, value) for name, value in error.get_headers()
               if name.lower() != "content-type"]
    return render_template("error.html", title=title, advice=advice), error.code, headers


def page_expired(error: CSRFError):
    """Show a form again after its CSRF token expired, keeping all but passwords and codes."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return error_page(error)  # posted from another site: nobody may pre-fill our forms
    flash(EXPIRED, "error")
    if request.endpoint in REFILLED:
        # The view fails only the token check, so it renders the form with the fields typed;
        # password fields are never sent back. Nothing is changed or sent.
        return current_app.view_functions[request.endpoint](), 400
    return redirect(url_for(RETRY_AT.get(request.endpoint, "twofactor.home")), 303)
