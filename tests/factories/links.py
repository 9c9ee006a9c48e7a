"""Helpers for issue 20's tests: 代办 requests, the links texted for them, 考核办."""
import re
from datetime import timedelta

from sqlalchemy import select

from community.auth.models import Role, User
from community.extensions import db
from community.tickets.services import Filing, submit_ticket
from community.workqueue import actions
from community.workqueue.models import Notification
from tests import factories
from tests.ticketing import T0

H = timedelta(hours=1)
ELDER_PHONE = "13900001111"  # an elderly resident with no account


def daiban(people, areas, *, now=T0, phone=ELDER_PHONE, by=None):
    """grid1 files for an elderly resident with no account (channel grid_worker)."""
    filing = Filing(kind="help", category_code="ELD", text="独居老人家里水管漏水。",
                    community_id=areas.S1C1.id, grid_id=areas.S1C1G1.id, channel="grid_worker",
                    contact_name="王奶奶", contact_phone=phone)
    ticket = submit_ticket(filing, by or people.grid, now)
    db.session.commit()
    return ticket


def resolved_daiban(people, areas, *, now=T0, **kwargs):
    ticket = daiban(people, areas, now=now, **kwargs)
    actions.accept(ticket, people.grid, now + H)
    actions.resolve(ticket, people.grid, now + 2 * H, "solved", "已上门更换水管。")
    db.session.commit()
    return ticket


def texts_to(phone: str) -> list[str]:
    return list(db.session.scalars(select(Notification.text).where(Notification.phone == phone)
                                   .order_by(Notification.id)))


def texted_link(ticket) -> str:
    """The token of the newest link texted for `ticket` (as the resident reads it)."""
    texts = [t for t in texts_to(ticket.contact_phone) if "/r/" in t and ticket.tracking_code in t]
    assert texts, "no link was texted"
    return re.search(r"/r/([A-Za-z0-9_.\-]+)", texts[-1]).group(1)


def make_supervisor(areas, name="kaoheban"):
    user = User(username=name, role=Role.SUPERVISOR, unit=areas.C, name="考核办",
                password_hash=factories.hashed_password(), created_at=T0)
    db.session.add(user)
    db.session.commit()
    return user
