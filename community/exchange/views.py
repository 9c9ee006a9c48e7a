"""/exchange/v1: orders from upstream platforms (signed, see docs/exchange.md);
/admin/exchange: webhook subscriptions and the delivery log."""
import json

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from community.core.errors import DomainError
from community.core.extensions import csrf, db
from community.auth.decorators import admin_required
from community.core.timeutil import utcnow
from community.web.submit import submit

from . import admin, signing, upstream, webhooks
from .forms import SubscriptionForm
from .models import WebhookSubscription

bp = Blueprint("exchange", __name__, url_prefix="/exchange/v1")
csrf.exempt(bp)  # upstreams authenticate with the signature, not a browser session
admin_bp = Blueprint("exchange_admin", __name__, url_prefix="/admin")


@bp.post("/upstreams/<name>/orders")
def receive_order(name):
    """One order (派单). 201 with the request's tracking code; the same order id again
    answers 200 with the same code and files nothing."""
    now = utcnow()
    config = upstream.upstream_config(name)
    body = request.get_data(cache=True)
    if config is None or not signing.verify(config["secret"], request.headers.get(signing.TIMESTAMP),
                                            request.headers.get(signing.SIGNATURE), body, now):
        response = jsonify({"error": {"code": "bad_signature", "message": _("签名无效或已过期。")}})
        response.headers["WWW-Authenticate"] = 'HMAC-SHA256 realm="exchange"'
        return response, 401
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return jsonify({"error": {"code": "bad_request", "message": _("请求体不是有效的 JSON。")}}), 400
    order, created = upstream.receive_order(name, data, now)
    db.session.commit()
    return jsonify({"order_id": order.order_id, "tracking_code": order.ticket.tracking_code,
                    "state": order.ticket.state, "mapped": order.mapped}), 201 if created else 200


def _overview(status=200, secret=None, created=None, form=None):
    subscriptions = list(db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
    try:
        found, error = admin.LogFilter.from_args(request.args), None
    except DomainError as exc:
        found, error, status = admin.LogFilter(), exc, exc.status
    return render_template("exchange/overview.html", subscriptions=subscriptions,
                           client_label=admin.client_label, deliveries=admin.deliveries(found),
                           found=found, filter_error=error, clients=admin.clients(),
                           events=admin.event_names(), all_events=webhooks.ALL_EVENTS,
                           statuses=admin.STATUSES, secret=secret, created=created,
                           form=form or SubscriptionForm(formdata=None)), status


@admin_bp.get("/exchange")
@admin_required
def overview():
    return _overview()


@admin_bp.post("/exchange/subscriptions")
@admin_required
def subscribe():
    form = SubscriptionForm()
    done = submit(lambda: admin.subscribe_from_form(current_user, utcnow(), form.data))
    if not done.ok:
        return _overview(done.status, form=form)
    row, secret = done.value
    return _overview(201, secret=secret, created=row)


@admin_bp.post("/exchange/subscriptions/<int:subscription_id>/<any(pause, resume, delete):step>")
@admin_required
def change_subscription(subscription_id, step):
    now = utcnow()
    if step == "delete":
        admin.delete(current_user, now, subscription_id)
    else:
        admin.pause(current_user, now, subscription_id, step == "pause")
    db.session.commit()
    flash({"pause": _("已暂停：不再发送新的事件。"), "resume": _("已恢复。"),
           "delete": _("已删除：不再发送，投递记录保留。")}[step])
    return redirect(url_for("exchange_admin.overview"))
