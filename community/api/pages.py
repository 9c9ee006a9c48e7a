"""Pages around the API: the rendered OpenAPI document, and a person's tokens."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import Length, Optional


from community.core.extensions import db
from community.web.forms import Form
from community.web.submit import submit
from community.core.timeutil import utcnow

from . import tokens

pages = Blueprint("api_pages", __name__)
METHODS = ("get", "post", "put", "patch", "delete")


@pages.get("/api/v1/docs")
def docs():
    """The OpenAPI document as a page: no script, no CDN, works under the CSP."""
    spec = current_app.extensions["community_api"].spec.to_dict()
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                operations.append(_operation(path, method, item[method], spec))
    schemas = {name: _properties(schema, spec)
               for name, schema in spec.get("components", {}).get("schemas", {}).items()}
    return render_template("api/docs.html", spec=spec, operations=operations, schemas=schemas)


def _nullable(schema) -> bool:
    """OpenAPI 3.1 says null as a type: ["string", "null"], or anyOf [{$ref}, {type: null}]."""
    kinds = schema.get("type")
    return (isinstance(kinds, list) and "null" in kinds) or \
        any(part.get("type") == "null" for part in schema.get("anyOf", []))


def _not_null(schema):
    parts = [part for part in schema.get("anyOf", []) if part.get("type") != "null"]
    if len(parts) == 1:
        return parts[0]
    kinds = schema.get("type")
    if isinstance(kinds, list):
        rest = [k for k in kinds if k != "null"]
        return dict(schema, type=rest[0] if len(rest) == 1 else rest)
    return schema


def _ref_name(schema):
    if isinstance(schema, dict):
        schema = _not_null(schema)
        if "$ref" in schema:
            return schema["$ref"].rsplit("/", 1)[-1]
        if schema.get("type") == "array" and "items" in schema:
            name = _ref_name(schema["items"])
            return f"[{name}]" if name else None
    return None


def _type(schema):
    if not isinstance(schema, dict):
        return ""
    name = _ref_name(schema)
    if name:
        return name
    schema = _not_null(schema)
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if schema.get("format"):
        kind += f" ({schema['format']})"
    if schema.get("enum"):
        kind += ": " + " | ".join(str(v) for v in schema["enum"])
    return kind


def _properties(schema, spec):
    required = set(schema.get("required", []))
    return [{"name": name, "type": _type(prop), "required": name in required,
             "nullable": _nullable(prop), "description": prop.get("description", "")}
            for name, prop in schema.get("properties", {}).items()]


def _operation(path, method, op, spec):
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    responses = []
    for code, response in op.get("responses", {}).items():
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        responses.append({"code": code, "description": response.get("description", ""),
                          "schema": _ref_name(schema) or _type(schema)})
    return {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
            "description": op.get("description", ""), "tags": op.get("tags", []),
            "parameters": [{"name": p.get("name"), "in": p.get("in"), "required": p.get("required", False),
                            "type": _type(p.get("schema", {})), "description": p.get("description", "")}
                           for p in op.get("parameters", [])],
            "body": _ref_name(body) if body else None, "responses": responses,
            "anchor": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")}


class TokenForm(Form):
    name = StringField(_l("用途（如：12345 热线对接）"), validators=[Optional(), Length(max=64)])
    read_only = BooleanField(_l("只读（只能查询，不能修改）"))
    submit = SubmitField(_l("创建令牌"))


class RevokeForm(Form):
    submit = SubmitField(_l("撤销"))


@pages.route("/account/api-tokens", methods=["GET", "POST"])
@login_required
def my_tokens():
    form, secret, status = TokenForm(), None, 200
    if form.validate_on_submit():
        done = submit(lambda: tokens.create_token(current_user, utcnow(), name=form.name.data,
                                                  created_by=current_user, can_write=not form.read_only.data),
                      form=form, field="name")
        if done.ok:
            _token, secret = done.value
    if form.errors:
        status = 400
    response = current_app.make_response((render_template(
        "api/tokens.html", form=form, secret=secret, tokens=tokens.tokens_of(current_user),
        revoke_form=RevokeForm(), now=utcnow()), status))
    response.headers["Cache-Control"] = "no-store"  # the secret is on this page once
    return response


@pages.post("/account/api-tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    if not RevokeForm().validate_on_submit():
        abort(400)
    token = tokens.get_token(token_id, current_user)
    if token.user_id != current_user.id:
        abort(404)  # on this page, only one's own tokens
    tokens.revoke(token, utcnow())
    db.session.commit()
    flash(_("令牌已撤销。"))
    return redirect(url_for("api_pages.my_tokens"))
