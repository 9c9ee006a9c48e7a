"""Building heads hear about each public step of a request in their buildings: an
in-app message (never a text: the head is not the request's contact)."""
from flask_babel import force_locale
from sqlalchemy import select

from community.auth.models import User
from community.core.bulkdb import insert_rows
from community.core.extensions import db
from community.web.i18n import lazy_gettext as _l
from community.web.labels import ACTION
from community.tickets.models import Ticket
from community.workqueue.models import Notification
from community.workqueue.notifications import RESIDENT_ACTIONS

from . import services

NOTICE = _l("您负责楼栋的诉求 %(code)s：%(step)s")


def _wanted(public, action):
    # Not the filing itself: a filing's fast path writes its two rows with no other
    # statement (tickets.plainwrite); new requests show on the head's /buildings list.
    return public and action in RESIDENT_ACTIONS and action != "submit"


def _texts(user_ids, code, action, at):
    """One row per head, each in the head's language (heads filing it are told too:
    they follow it for the neighbour)."""
    if not user_ids:
        return []
    locales = dict(db.session.execute(select(User.id, User.locale).where(User.id.in_(user_ids))).all())
    rows = []
    for user_id in user_ids:
        with force_locale(locales.get(user_id) or "zh"):
            text = str(NOTICE % {"code": code, "step": str(ACTION.get(action, action))})
        rows.append({"user_id": user_id, "phone": "", "ticket_id": None, "text": text,
                     "created_at": at, "send_attempts": 0, "template": "", "status": ""})
    return rows


def _tell_heads(event, **kwargs):
    if not _wanted(event.public, event.action):
        return
    ticket = event.ticket
    heads = services.heads_for(ticket.grid_id, ticket.address)
    for row in _texts(heads, ticket.tracking_code, event.action, event.at):
        row["ticket"] = ticket
        row.pop("ticket_id")
        db.session.add(Notification(**row))


def _tell_heads_many(events):
    """The same for many events (plain rows, see core.signals: send_many), one INSERT."""
    wanted = [e for e in events if _wanted(e.public, e.action)]
    if not wanted:
        return
    # The heads of every grid concerned, read once (a sweep writes thousands of events).
    heads = services.current_heads_of_grids({e.ticket.grid_id for e in wanted})
    concerned = {e.ticket.id for e in wanted if heads.get(e.ticket.grid_id)}
    if not concerned:
        return
    # The sweep's rows carry no address: read those of the requests concerned, once.
    addresses = dict(db.session.execute(select(Ticket.id, Ticket.address).where(
        Ticket.id.in_(sorted(concerned)))).all())
    rows = []
    for event in wanted:
        ticket = event.ticket
        if ticket.id not in concerned:
            continue
        user_ids = sorted({user_id for user_id, building in heads[ticket.grid_id]
                           if building in (addresses.get(ticket.id) or "")})
        for row in _texts(user_ids, ticket.tracking_code, event.action, event.at):
                row["ticket_id"] = ticket.id
                rows.append(row)
    if rows:
        insert_rows(Notification.__table__, rows)


def install():
    """The 代办 rule for heads (their receivers are connected by community.wiring)."""
    from community.tickets.access import register_resident_filer

    register_resident_filer(services.may_file_for)
