"""``/healthz`` for load balancers: does this instance reach its database?"""
from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not; no session, nothing secret."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.error("healthz: database unreachable (%s)", type(error).__name__)
        db.session.rollback()
        return {"status": "database unreachable"}, 503
    return {"status": "ok"}, 200
