"""Step-up: changes on the security page need a second factor proved within STEP_UP_WINDOW.

"Confirm it's you" starts a pending step with the purpose "stepup", bound to this signed-in
browser; a code sent for it works only for it (see signin/finish.py for what success does).
"""
from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..extensions import db
from ..factors import owned
from ..numbers import mask_phone
from ..signin import sessions, steps
from ..signin.sending import deliver
from .forms import ConfirmForm

bp = Blueprint("stepup", __name__)


def step_up_required(view):
    """Let the view run only for a signed-in browser that proved a factor lately.

    A page (GET) sends the person to "Confirm it's you" and back; a change (POST) without it
    is refused with 403, and the page says how to go on.
    """
    @wraps(view)
    @login_required
    def guarded(*args, **kwargs):
        if sessions.factor_is_fresh():
            return view(*args, **kwargs)
        back = request.full_path.rstrip("?") if request.method == "GET" else url_for(
            "account.security")
        if request.method == "GET":
            return redirect(url_for("stepup.confirm", next=back))
        return render_template("confirm_first.html", next=back), 403
    return guarded


@bp.route("/confirm", methods=("GET", "POST"))
@login_required
def confirm():
    """Offer every factor the account has; the one chosen starts the step-up."""
    form = ConfirmForm()
    mine = owned.of(current_user)
    next_url = steps.safe_next(request.args.get("next")) or url_for("account.security")
    if form.validate_on_submit():
        method = form.method.data
        by_phone = method in ("sms", "voice", "whatsapp")  # offered only where it can be sent
        if not by_phone and not mine.has(method):
            flash("That way is not set up for this account.", "error")
            return redirect(request.full_path)
        pending = steps.begin_step_up(current_user, next_url)
        db.session.commit()
        if by_phone:
            deliver(pending, current_user, method)
            return redirect(url_for("twofactor.code"))
        return redirect(url_for({"app": "twofactor.code_app", "key": "twofactor.code_key",
                                 "backup": "twofactor.code_backup"}[method]))
    return render_template("confirm.html", form=form, owned=mine,
                           phone=mask_phone(current_user.phone), next=next_url)
