"""The bare INSERT again, inside the platform's own app: what its request stack costs.

bench/apps/bare_app.py is a Flask app with nothing but the view. This one is
`community.create_app()`, as served by wsgi.py, with one more route: POST /file
runs what every API call runs before its view (the app's hooks, the API's token
check with its user, the API's two limits per caller and per address) and then the
bare app's one INSERT, committed through the platform's session. It lives under
/api/ (PATH) as the API does: the app refuses a JSON body anywhere else. No routing, no clocks, no outbox. Filing ÷ this
is what the filing's own work costs on the platform's stack; this ÷ bare is what
the stack costs any endpoint. `gunicorn bench.apps.inapp_app:app` with the app's
environment; the table bench_bare is made and dropped by bench/figures.py.
"""
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, request

from bench.apps.bare_app import INSERT
from community import create_app
from community.api import auth
from community.core.extensions import csrf, db, limiter

PATH = "/api/bench/file"
bp = Blueprint("bench_inapp", __name__, url_prefix="/api/bench")
bp.before_request(auth.authenticate)  # as the API blueprint: the token and its user
csrf.exempt(bp)  # as the API blueprint: a bearer token, no cookie
# The API blueprint's own limits (community/api/blueprint.py), under the same scopes.
limiter.shared_limit(lambda: current_app.config["COMMUNITY_API_RATE"], scope="api-caller",
                     key_func=auth.rate_key)(bp)
limiter.shared_limit(lambda: current_app.config["COMMUNITY_API_IP_RATE"], scope="api-address",
                     key_func=auth.address_key)(bp)


@bp.post("/file")
def file():
    user_id = auth.require_user().id  # read before the commit expires it
    data = request.get_json(force=True)
    new_id = db.session.execute(INSERT, {
        "kind": data["kind"], "category": data["category"], "body": data["text"],
        "community": data.get("community", ""), "at": datetime.now(timezone.utc)}).scalar()
    db.session.commit()
    return jsonify(id=new_id, by=user_id), 201


app = create_app()
app.register_blueprint(bp)
