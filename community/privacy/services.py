"""A resident's rights under PIPL (个人信息保护法): see everything held about them, and
delete their account (their personal data in their requests anonymised, the counts
kept, an audit row; nobody can undo it)."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from community.api import tokens
from community.api.models import ApiToken
from community.auth.models import OneTimeCode, User
from community.auth.services import check_password
from community.auth.sessions import end_every_session
from community.core.errors import NotAllowed, ValidationFailed
from community.core.extensions import db
from community.ratings.models import Rating
from community.surveys import privacy as survey_privacy
from community.tickets.models import Ticket
from community.core.timeutil import to_local
from community.workqueue.models import ContactReveal, Notification

from .anonymise import anonymise_tickets
from .models import ACCOUNT_DELETED, PrivacyAudit

BATCH = 1000


def _when(value: datetime | None) -> str | None:
    return to_local(value).isoformat(timespec="seconds") if value else None


def export_personal_data(user: User, now: datetime) -> dict:
    """Everything the platform holds about `user`, as JSON-ready values."""
    # Each request's category, unit, photos and events in one statement per kind, not
    # per request (a resident may have filed hundreds).
    tickets = list(db.session.scalars(
        select(Ticket).where(Ticket.resident_id == user.id).order_by(Ticket.submitted_at)
        .options(selectinload(Ticket.category), selectinload(Ticket.handling_unit),
                 selectinload(Ticket.photos), selectinload(Ticket.events))))
    reveals = db.session.execute(
        select(ContactReveal.at, Ticket.tracking_code).join(Ticket, ContactReveal.ticket_id == Ticket.id)
        .where(Ticket.resident_id == user.id).order_by(ContactReveal.at))
    return {
        "exported_at": _when(now),
        "account": {"phone": user.phone, "name": user.name, "created_at": _when(user.created_at),
                    "last_login_at": _when(user.last_login_at),
                    "home_community": user.home_community.name if user.home_community else None,
                    "language": user.locale, "elder_mode": user.elder_mode},
        "requests": [{
            "tracking_code": t.tracking_code, "submitted_at": _when(t.submitted_at), "kind": t.kind,
            "category": t.category.name_zh, "text": t.text, "text_public": t.text_public,
            "address": t.address, "latitude": t.latitude, "longitude": t.longitude,
            "contact_name": t.contact_name, "contact_phone": t.contact_phone, "channel": t.channel,
            "state": t.state, "handling_unit": t.handling_unit.name, "result": t.result,
            "result_note": t.result_note, "closed_at": _when(t.closed_at),
            "anonymised_at": _when(t.anonymised_at), "photos": len(t.photos),
            "timeline": [{"at": _when(e.at), "action": e.action, "note": e.note}
                         for e in t.public_events()],
        } for t in tickets],
        "ratings": [{"tracking_code": r.ticket.tracking_code, "rated_at": _when(r.rated_at),
                     "solved": r.solved, "level": r.level, "comment": r.comment}
                    for r in db.session.scalars(select(Rating).where(Rating.rater_id == user.id))],
        "messages": [{"at": _when(n.created_at), "text": n.text, "read_at": _when(n.read_at)}
                     for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                                 .order_by(Notification.created_at))],
        "phone_reveals": [{"at": _when(at), "tracking_code": code} for at, code in reveals],
        "survey_answers": survey_privacy.export(user),
        "api_tokens": [{"name": k.name, "prefix": k.prefix, "created_at": _when(k.created_at),
                        "expires_at": _when(k.expires_at), "revoked_at": _when(k.revoked_at)}
                       for k in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))],
    }


def delete_account(user: User, password: str, now: datetime) -> tuple[int, list[str]]:
    """The resident's own decision, confirmed with their password; nothing undoes it.
    Returns the number of requests anonymised and the photo files to remove after the
    commit. The row stays (anonymous) so what points at it still counts."""
    if not user.is_resident or user.deleted_at is not None:
        raise NotAllowed(_("只有居民可以在这里注销自己的账号；工作人员账号由管理员停用。"))
    if not check_password(user, password):
        raise ValidationFailed(_("密码不正确。"), field="password")
    ids = list(db.session.scalars(select(Ticket.id).where(Ticket.resident_id == user.id)))
    anonymised, photos = 0, []
    for start in range(0, len(ids), BATCH):
        done, names = anonymise_tickets(ids[start:start + BATCH], now)
        anonymised, photos = anonymised + done, photos + names
    survey_privacy.forget(user)  # while the account still has its phone
    phone = user.phone
    db.session.execute(update(Notification).where(Notification.user_id == user.id).values(phone="", text=""))
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))
    tokens.changed()  # a bulk UPDATE: every process's kept copies of these tokens go at the commit
    if phone:
        db.session.execute(OneTimeCode.__table__.delete().where(OneTimeCode.phone == phone))
    user.phone, user.username, user.name = None, f"deleted-{user.id}", ""
    user.password_hash, user.active, user.deleted_at = "!", False, now  # "!" matches no password
    user.home_community, user.locale, user.elder_mode = None, None, False
    end_every_session(user)
    db.session.add(PrivacyAudit(at=now, action=ACCOUNT_DELETED, user_id=user.id, rows=len(ids),
                                note=f"{anonymised} requests anonymised now"))
    db.session.flush()
    return anonymised, photos
