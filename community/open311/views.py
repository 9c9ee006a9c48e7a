"""/open311/v2: GeoReport v2 in JSON and XML (see docs/open311.md)."""
from flask import Blueprint, current_app, request, send_file
from flask_babel import gettext as _

from community.core.errors import DomainError, NotAllowed, ValidationFailed
from community.core.extensions import db
from community.core.replica import reads_from_replica
from community.tickets.photos import clean_photo, photo_path
from community.tickets.services import discard_photo_files
from community.core.timeutil import utcnow

from . import keys, schemas, services
from .render import errors, respond

bp = reads_from_replica(Blueprint("open311", __name__, url_prefix="/open311/v2"))  # its GETs


FORMAT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+08:00"  # when this endpoint's behaviour last changed


@bp.errorhandler(schemas.Invalid)
def _invalid(exc):
    discard_photo_files()
    db.session.rollback()
    return errors(400, [message for _field, message in exc.problems])


@bp.before_request
def _clean_input():
    """No control characters in any parameter, its name, or the path. A filing's own
    fields are left to its schema (the API's fields), which names every problem at once."""
    own = schemas.FIELD_NAMES if request.endpoint == "open311.post_request" else frozenset()
    pairs = [(name, value) for name, values in request.values.lists() if name not in own
             for value in values]
    pairs += [(name, name) for name in request.values.keys()]
    pairs += list((request.view_args or {}).items())
    services.check_text(pairs)


@bp.get(f"/discovery.{FORMAT}")
def discovery(fmt):
    base = request.url_root.rstrip("/") + bp.url_prefix
    config = current_app.config
    return respond(fmt, "discovery", {
        "changeset": CHANGESET, "contact": config["COMMUNITY_OPEN311_CONTACT"],
        "key_service": config["COMMUNITY_OPEN311_KEY_SERVICE"] or _(
            "api_key 由平台管理员按客户端签发。"),
        "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": CHANGESET,
                       "type": "production", "formats": ["text/xml", "application/json"]}]})


@bp.get(f"/services.{FORMAT}")
def service_list(fmt):
    services.check_jurisdiction(request.args)
    return respond(fmt, "services", services.service_list())


@bp.get(f"/services/<code>.{FORMAT}")
def service_definition(code, fmt):
    services.check_jurisdiction(request.args)
    return respond(fmt, "service_definition", services.service_definition(code))


@bp.get(f"/requests.{FORMAT}")
def search_requests(fmt):
    tickets = services.search(request.args, utcnow())
    return respond(fmt, "service_requests", services.request_dicts(tickets))


@bp.post(f"/requests.{FORMAT}")
def post_request(fmt):
    params = request.values  # the form, and the query string (some clients send api_key there)
    now = utcnow()
    client = keys.find_client(params.get("api_key"), now)
    if client is None:
        raise NotAllowed(_("api_key 缺失、无效或已被撤销。"))
    try:
        record = services.file_request(client, params, _media(), now)
        db.session.commit()
    except DomainError:
        discard_photo_files()
        db.session.rollback()
        raise
    return respond(fmt, "service_requests", services.post_answer(record), 201)


def _media():
    """An uploaded photo (field "media"), cleaned like the web's; media_url is only stored."""
    files = [f for f in request.files.getlist("media") if f and f.filename]
    limit = current_app.config["COMMUNITY_PHOTO_MAX_COUNT"]
    if len(files) > limit:
        raise ValidationFailed(_("最多上传 %(n)d 张照片。", n=limit), field="media")
    return [clean_photo(f.stream, f.filename) for f in files]


@bp.get(f"/requests/<code>.{FORMAT}")
def get_request(code, fmt):
    services.check_jurisdiction(request.args)
    return respond(fmt, "service_requests", services.request_dicts([services.get_request(code)]))


@bp.get(f"/tokens/<token>.{FORMAT}")
def get_token(token, fmt):
    services.check_jurisdiction(request.args)
    record = services.by_token(token)
    return respond(fmt, "service_requests", [{"token": record.token,
                                              "service_request_id": services.public_id(record.ticket)}])


@bp.get("/media/<token>.<any(jpg, png):ext>")
def media(token, ext):
    """A photo posted with a request, shown as the request's media_url."""
    photo = services.media_photo(token)
    response = send_file(photo_path(photo.stored_name), mimetype=photo.content_type, max_age=3600)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
