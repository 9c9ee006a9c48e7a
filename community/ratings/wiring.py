"""Every 办结 becomes a Resolution row (rateable once), a 重办 marks it reopened,
and every request event asks for its days' figures to be recomputed."""
from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.orm import joinedload, selectinload

from community.core.bulkdb import any_of
from community.core.extensions import db
from community.tally.facts import resolution_in_time
from community.tally.marks import clock_days, mark_days, mark_days_many
from community.tickets import links

from .models import Appeal, Rating, RectificationCase, Resolution


def _callback_offered(ticket, user, now) -> bool:
    """Answers signals.callback_offered for the workflow's staff page and phone reveal."""
    from .services import callback_offered

    return callback_offered(ticket, user, now)


def _rating_awaited(tickets, user, now) -> set[int]:
    """Answers signals.rating_awaited for the resident's list of requests (待评价)."""
    from .services import awaiting_rating

    return awaiting_rating(tickets, user, now)


def _on_event(event, **kwargs):
    ticket = event.ticket
    moments = [ticket.submitted_at, event.at, *clock_days(ticket, event.at)]
    if event.action == "resolve":
        due = ticket.resolve_due_at
        in_time = resolution_in_time(ticket, event.at)
        ticket.resolve_breached_at = None  # the round ends with its 办结; a 重办 starts another
        resolution = Resolution(
            ticket=ticket, resolved_at=event.at, due_at=due, in_time=in_time,
            unit_id=ticket.handling_unit_id, handler_id=event.actor.id if event.actor else None,
            category_id=ticket.category_id or ticket.category.id, grid_id=ticket.grid_id,
            community_id=ticket.community_id, street_id=ticket.street_id,
            county_id=ticket.county_id)
        db.session.add(resolution)
        if _without_account(ticket):
            # No account to sign in with: the rating link goes to the contact phone.
            from .services import rating_window

            links.text_link(ticket, event.at, resolution, expires_at=rating_window(resolution))
    elif event.action == "submit" and _without_account(ticket):
        links.text_link(ticket, event.at)  # the code, and a link that can cancel it
    elif event.action == "reopen":
        latest = latest_resolution(ticket)
        if latest is not None and latest.reopened_at is None:
            latest.reopened_at = event.at
            moments.append(latest.resolved_at)
    mark_days(moments, event.at)


def _without_account(ticket) -> bool:
    # The relationship, not the column: a new request's resident_id is set at the flush.
    return ticket.resident_id is None and ticket.resident is None


def _on_events(events):
    """_on_event for many events (plain rows): only steps that touch no Resolution."""
    if any(event.action in ("resolve", "reopen", "submit") for event in events):
        raise NotImplementedError("submit, resolve and reopen are recorded one by one")
    mark_days_many(([event.ticket.submitted_at, event.at, *clock_days(event.ticket, event.at)], event.at)
                   for event in events)


def _ratings_follow(ticket, **kwargs):
    """A unit's list of ratings reads the ratings' own place columns; they stay the
    request's, as who may open the request does."""
    db.session.execute(update(Rating).where(Rating.ticket_id == ticket.id).values(
        grid_id=ticket.grid_id, community_id=ticket.community_id, street_id=ticket.street_id,
        county_id=ticket.county_id))
    # An appeal is listed by its street (appeals.appeals_in_scope): it moves with them.
    db.session.execute(update(Appeal).where(Appeal.rating_id.in_(
        select(Rating.id).where(Rating.ticket_id == ticket.id))).values(street_id=ticket.street_id))


def _handler_follows(ticket, **kwargs):
    """A department lists ratings, cases and appeals by their copy of the request's
    handling unit (ratings.scope.handled_by): it moves with the request."""
    _handlers_follow([ticket])


def _handlers_follow(tickets):
    """_handler_follows for many moved requests (objects or the sweep's plain rows)."""
    moves = [{"t": t.id, "u": t.handling_unit_id} for t in tickets
             if t.id is not None and _ever_resolved(t)]
    if not moves:
        return
    # Core tables, not the ORM classes: a list of parameters is then a plain executemany,
    # keyed by the request (an ORM bulk UPDATE would want each row's primary key).
    ratings, cases, appeals = Rating.__table__, RectificationCase.__table__, Appeal.__table__
    unit = bindparam("u", type_=Integer)
    for table in (ratings, cases):
        db.session.execute(update(table).where(table.c.ticket_id == bindparam("t"))
                           .values(handling_unit_id=unit), moves)
    db.session.execute(update(appeals).where(appeals.c.rating_id.in_(
        select(ratings.c.id).where(ratings.c.ticket_id == bindparam("t"))))
        .values(handling_unit_id=unit), moves)


def _ever_resolved(ticket) -> bool:
    """False only for a request never resolved (办结 sets resolved_at, only 重办 clears it
    and counts itself): it has no rating, case or appeal to move. Rows that do not say
    (the sweep's) count as resolved."""
    return getattr(ticket, "resolved_at", None) is not None or getattr(ticket, "reopen_count", 1) != 0


def latest_resolution(ticket) -> Resolution | None:
    pending = [r for r in db.session.new if isinstance(r, Resolution) and r.ticket is ticket]
    if pending:
        return pending[-1]
    if ticket.id is None:
        return None
    with db.session.no_autoflush:
        # With its rating (one row at most): the tracking page's panel reads it next.
        return db.session.scalar(select(Resolution).where(Resolution.ticket_id == ticket.id)
                                 .order_by(Resolution.resolved_at.desc(), Resolution.id.desc())
                                 .limit(1).options(joinedload(Resolution.rating)))



def latest_resolutions(tickets) -> dict[int, Resolution]:
    """latest_resolution() of many requests (a page of a list) in one query, each with its
    rating loaded: {ticket id: resolution}, requests never resolved left out."""
    ids = [t.id for t in tickets if t.id is not None]
    latest = {}
    if ids:
        with db.session.no_autoflush:
            for resolution in db.session.scalars(
                    select(Resolution).where(any_of(Resolution.ticket_id, ids))
                    .order_by(Resolution.ticket_id, Resolution.resolved_at, Resolution.id)
                    .options(selectinload(Resolution.rating))):
                latest[resolution.ticket_id] = resolution  # the last of each request's wins
    for resolution in db.session.new:  # not flushed yet: as latest_resolution() sees them
        if isinstance(resolution, Resolution) and resolution.ticket in tickets:
            latest[resolution.ticket.id] = resolution
    return latest
