"""/api/v1 requests: file, list, get, timeline; the staff queue."""
from flask import current_app, request
from sqlalchemy.exc import IntegrityError

from community.core.extensions import db, limiter
from community.tickets import services as ticket_services
from community.tickets.access import resident_may
from community.tickets.services import Filing
from community.core.timeutil import utcnow
from community.workqueue.available import available_actions
from community.workqueue.queue import QueueFilter, queue_figures, queue_page

from . import auth, queries, schemas
from .blueprint import COMMON_ERRORS, bp
from .serialize import events_for, ticket_dict


def errors(*codes):
    """Document the error answers of an operation (all share ErrorSchema)."""
    def decorate(view):
        for code in codes or COMMON_ERRORS:
            view = bp.alt_response(code, schema=schemas.ErrorSchema)(view)
        return view
    return decorate


def ticket_detail(ticket, user, now):
    data = ticket_dict(ticket, user, now)
    data["actions"] = sorted(available_actions(user, ticket, now)) if user.is_staff else \
        sorted(_resident_actions(ticket, user, now))
    return data


def _resident_actions(ticket, user, now):
    """The same rule as the tracking page's buttons and the services (tickets.access)."""
    return {name for name, step in RESIDENT_ACTIONS.items() if resident_may(ticket, user, step, now)}


# The resident's steps by their API names (tickets.access names them by the service).
RESIDENT_ACTIONS = {"cancel": "cancel", "info": "add_info", "reopen": "reopen"}


@bp.route("/requests", methods=["POST"])
@limiter.limit(lambda: current_app.config["COMMUNITY_API_FILING_RATE"], key_func=auth.rate_key)
@bp.arguments(schemas.FilingIn())  # one instance: building one per request costs more
@bp.response(201, schemas.TicketDetail)
@bp.alt_response(200, schema=schemas.TicketDetail,
                 description="The request first filed with this Idempotency-Key")
@bp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False,
                     "description": "Any 1-200 visible characters; a retry with the same key "
                                    "answers with the first request",
                     "schema": {"type": "string", "minLength": 1, "maxLength": 200}}])
@errors()
def file_request(args):
    """File a request (诉求).

    A resident files for themselves; staff file for a resident (代办) with the
    resident's contact_phone and a channel. Send an `Idempotency-Key` header to
    make retries safe: the same key answers with the first request (200).
    """
    user = auth.require_user()
    now = utcnow()
    token = queries.idempotency_token(user, request.headers.get("Idempotency-Key"))
    earlier = ticket_services.find_by_submit_token(token)
    if earlier is not None:
        return ticket_detail(queries.visible_by_code(earlier.tracking_code, user), user, now), 200
    place = queries.filing_place(args, user)
    filing = Filing(
        kind=args["kind"], category_code=args["category"], text=args["text"],
        address=args["address"], urgency=args["urgency"], text_public=args["text_public"],
        contact_name=args["contact_name"] if user.is_staff else user.name,
        contact_phone=args["contact_phone"].strip() if user.is_staff else (user.phone or ""),
        channel=args["channel"] if user.is_staff else "api", submit_token=token, **place)
    try:
        ticket = ticket_services.submit_ticket(filing, user, now)
        # Answer from the flushed rows: after the commit they would all be loaded again.
        answer = ticket_detail(ticket, user, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # the same key sent twice at once: the first one won
        earlier = ticket_services.find_by_submit_token(token)
        if earlier is None:
            raise
        return ticket_detail(earlier, user, now), 200
    return answer, 201


@bp.route("/requests", methods=["GET"])
@bp.arguments(schemas.ListArgs, location="query")
@bp.response(200, schemas.TicketPage)
@errors()
def list_requests(args):
    """Requests the caller may see, newest first.

    Residents see their own; staff see their unit's area, exactly as on the
    web. Follow `next_cursor` for the next page.
    """
    user = auth.require_user()
    now = utcnow()
    rows, next_cursor = queries.list_requests(user, args, now)
    return {"items": [ticket_dict(t, user, now) for t in rows], "next_cursor": next_cursor}


@bp.route("/requests/<code>", methods=["GET"])
@bp.response(200, schemas.TicketDetail)
@errors()
def get_request(code):
    """One request, by tracking code; 404 when it is outside the caller's scope."""
    user = auth.require_user()
    return ticket_detail(queries.visible_by_code(code, user), user, utcnow())


@bp.route("/requests/<code>/timeline", methods=["GET"])
@bp.response(200, schemas.Timeline)
@errors()
def get_timeline(code):
    """Every step (staff) or the public steps (resident) of a request."""
    user = auth.require_user()
    ticket = queries.visible_by_code(code, user)
    return {"tracking_code": ticket.tracking_code, "events": events_for(ticket, user)}


@bp.route("/queue", methods=["GET"])
@bp.arguments(schemas.QueueArgs, location="query")
@bp.response(200, schemas.QueueOut)
@errors()
def get_queue(args):
    """The staff work queue: the unit's requests, nearest deadline first."""
    user = auth.require_staff()
    now = utcnow()
    filters = QueueFilter(state=args["state"], category=args.get("category", ""),
                          tier=args.get("tier", ""), overdue=args["overdue"], mine=args["mine"],
                          page=args["page"])
    rows, has_next, total = queue_page(user, filters, now, loads=queries.EAGER)
    figures = queue_figures(user, "area", now, lists=False)
    return {"items": [ticket_dict(t, user, now) for t in rows], "counts": figures.states,
            "overdue": figures.overdue, "counted_at": figures.counted_at, "page": filters.page,
            "page_size": current_app.config["COMMUNITY_PAGE_SIZE"], "total": total,
            "has_next": has_next}
