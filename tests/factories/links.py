"""代办 requests (filed by a grid worker for a resident with no account) and the
single-use links texted for them."""
import re

from sqlalchemy import select

from community.core.extensions import db
from community.tickets.services import Filing, submit_ticket
from community.workqueue import actions
from community.workqueue.models import Notification

from .tickets import H, T0

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
