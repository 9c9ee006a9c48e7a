"""Removing the personal data of requests (PIPL), set-based so it scales to millions.

What goes: the resident's name and phone, the exact address and point, the free
text (the request, every note on its timeline, the resolution note, the rating's
comment, the 整改 callback and review notes), the photos, the phone and text of the
messages sent about it, and what an Open311 client gave (e-mail, device, account,
media link). What stays: the request itself with its category, units, states,
times and deadlines, its events and its rating's levels, so every count and figure
is the same after as before. `tickets.anonymised_at` records when; a second run
finds nothing left to do.
"""
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select, update

from community.core.extensions import db
from community.open311.models import Open311Request
from community.ratings.models import Rating, RectificationCase
from community.tickets.models import Ticket, TicketEvent, TicketPhoto
from community.tickets.photos import photo_path
from community.workqueue.models import Notification

# The request text may not be empty (a CHECK); this says why it is gone.
REMOVED = "（个人信息已删除）"


def anonymise_tickets(ids: list[int], now: datetime) -> tuple[int, list[str]]:
    """Anonymise these requests in the caller's transaction. Returns how many were
    anonymised now (those done before are skipped) and the photo files to remove once
    the transaction has committed (remove_photo_files)."""
    if not ids:
        return 0, []
    session = db.session
    changed = session.execute(
        update(Ticket).where(Ticket.id.in_(ids), Ticket.anonymised_at.is_(None))
        .values(text=REMOVED, contact_name="", contact_phone="", address="", latitude=None,
                longitude=None, result_note="", text_public=False, anonymised_at=now,
                # An officer's form open on it since meets a conflict, not a silent overwrite.
                version=Ticket.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    for statement in (
        update(TicketEvent).where(TicketEvent.ticket_id.in_(ids), TicketEvent.note != "").values(note="", note_params=None, note_key=None),
        update(Rating).where(Rating.ticket_id.in_(ids), Rating.comment != "").values(comment=""),
        update(RectificationCase).where(RectificationCase.ticket_id.in_(ids))
        .values(callback_note="", outcome_note="", review_note=""),
        update(Notification).where(Notification.ticket_id.in_(ids)).values(phone="", text=""),
        update(Open311Request).where(Open311Request.ticket_id.in_(ids))
        .values(email="", device_id="", account_id="", media_url=""),
    ):
        session.execute(statement.execution_options(synchronize_session=False))
    names = list(session.scalars(select(TicketPhoto.stored_name).where(TicketPhoto.ticket_id.in_(ids))))
    if names:
        session.execute(delete(TicketPhoto).where(TicketPhoto.ticket_id.in_(ids))
                        .execution_options(synchronize_session=False))
    return changed, names


def remove_photo_files(names: list[str]) -> None:
    """After the commit: the rows are gone, so are the files."""
    for name in names:
        Path(photo_path(name)).unlink(missing_ok=True)
