"""Sessions that end when they should (issue 21).

A session cookie is signed by Flask and cannot be withdrawn once copied, so it
carries what makes it valid: the user's session version at sign-in ("sv") and
its own end ("exp"). The loader refuses a cookie whose version is no longer the
user's (logout, a password change and "sign out everywhere" raise it on the row)
or whose end has passed: 12 hours for staff (a shift), 30 days for residents,
COMMUNITY_STAFF_SESSION_HOURS and COMMUNITY_RESIDENT_SESSION_DAYS.
"""
from datetime import datetime, timedelta

from flask import current_app, session
from flask_login import login_user, logout_user

from .models import User


def lifetime(user: User) -> timedelta:
    config = current_app.config
    if user.is_staff:
        return timedelta(hours=config["COMMUNITY_STAFF_SESSION_HOURS"])
    return timedelta(days=config["COMMUNITY_RESIDENT_SESSION_DAYS"])


def start_session(user: User, now: datetime) -> None:
    """Sign `user` in on this browser, until their lifetime has run or the version moves."""
    login_user(user)
    session["sv"] = user.session_version
    session["exp"] = int((now + lifetime(user)).timestamp())
    session.permanent = True  # the cookie outlives the browser, but never the "exp" above


def is_current(user: User | None, now: datetime) -> bool:
    """Whether this request's cookie still signs `user` in."""
    return (user is not None and user.active and user.deleted_at is None
            and session.get("sv") == user.session_version
            and now.timestamp() < session.get("exp", 0))


def load_user(user_id: str) -> User | None:
    """Flask-Login's user loader (create_app installs it): the cookie's user, or nobody."""
    from community.core.extensions import db
    from community.core.timeutil import utcnow

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    # A cookie from before a logout or a password change, or past its lifetime: nobody.
    return user if is_current(user, utcnow()) else None


def end_every_session(user: User) -> None:
    """Every cookie signed in as `user` so far stops working, on every device; the
    caller commits. (The version is on the row: no list of sessions to keep.)"""
    user.session_version = (user.session_version or 0) + 1


def sign_out_here() -> None:
    logout_user()
    session.pop("sv", None)
    session.pop("exp", None)
