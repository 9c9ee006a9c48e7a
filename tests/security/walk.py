"""Walking the URL map: one request per (route, method, role), its answer as a class."""
import re

from tests.factories import csrf_from, login

IGNORED_METHODS = {"HEAD", "OPTIONS"}
# Sent after the other writes: they move the request away from its handler (or end it),
# and logging out ends the session the walk needs.
MOVES_AWAY = ("/escalate", "/return", "/merge", "/reroute", "/cancel", "/resolve")
LAST = {"POST /logout", "POST /account/sign-out-everywhere"}  # both end the session


def route_keys(app):
    """'METHOD rule' for every route and method the app answers."""
    keys = set()
    for rule in app.url_map.iter_rules():
        for method in rule.methods - IGNORED_METHODS:
            keys.add(f"{method} {rule.rule}")
    return keys


def ordered(keys):
    """Reads first, so writes by the right role cannot change what a read sees."""
    return sorted(keys, key=lambda k: (k in LAST, k.endswith(MOVES_AWAY), not k.startswith("GET "), k))


def rule_of(app, key):
    method, path = key.split(" ", 1)
    return next(r for r in app.url_map.iter_rules() if r.rule == path and method in r.methods)


def build_url(app, key, world, params, endpoint_params, fallback=None):
    rule = rule_of(app, key)
    values = {}
    for name in rule.arguments:
        getter = endpoint_params.get(rule.endpoint, {}).get(name) or params.get(name) or fallback
        if getter is None:
            raise LookupError(f"no value for URL parameter <{name}> of {key} ({rule.endpoint}): "
                              "add it to PARAMS or ENDPOINT_PARAMS in tests/security/access_matrix.py")
        values[name] = getter(world)
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values, _external=False)


def signed_in(app, login_name):
    """A client signed in through the real form (or anonymous), and its CSRF token."""
    client = app.test_client()
    if login_name:
        login(client, login_name)
    token = csrf_from(client.get("/login"))
    return client, token


def answer_class(response) -> str | int:
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if 300 <= status < 400:
        return "login" if re.search(r"/login(\?|$)", response.headers.get("Location", "")) else "redirect"
    return status


def call(client, token, key, url, body=None):
    """GET as is; a write with a valid CSRF token and `body` (JSON for the API, a form else)."""
    method, path = key.split(" ", 1)
    if method == "GET":
        return client.get(url)
    headers = {"X-CSRFToken": token}
    if path.startswith("/api/"):
        return client.open(url, method=method, json=body or {}, headers=headers)
    return client.open(url, method=method, data={"csrf_token": token, **(body or {})},
                       headers=headers)
