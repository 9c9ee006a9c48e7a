"""/exchange/v1: orders from upstream platforms (signed, see docs/exchange.md);
/admin/exchange: webhook subscriptions and the delivery log."""
import json

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from community.extensions import csrf, db
from community.auth.decorators import admin_required
from community.timeutil import utcnow

from . import delivery, signing, upstream
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


@admin_bp.get("/exchange")
@admin_required
def overview():
    subscriptions = list(db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
    return render_template("exchange/overview.html", subscriptions=subscriptions,
                           deliveries=delivery.recent(limit=100))
