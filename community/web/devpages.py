"""Pages that exist only in development: /dev/messages lists the last text messages the
development sender "sent" (community.core.messaging), newest first. Not registered at all in
production or with a real sender, so the route is a 404 there."""
from flask import Blueprint, render_template

from community.core.messaging import DEV_MESSAGES_KEEP, last_dev_messages

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/messages")
def messages():
    return render_template("dev/messages.html", messages=last_dev_messages(), keep=DEV_MESSAGES_KEEP)
