"""Writing and reading the admin audit. A service records in the caller's transaction,
so a change and its audit row are kept or rolled back together."""
import json
from datetime import datetime

from sqlalchemy import select

from community.core.extensions import db

from .models import AdminAudit


def record(actor, now: datetime, action: str, target: str, **detail) -> AdminAudit:
    row = AdminAudit(at=now, actor_id=actor.id if actor is not None else None, action=action,
                     target=target, detail=json.dumps(detail, ensure_ascii=False, sort_keys=True,
                                                      default=str))
    db.session.add(row)
    return row


def recent(action_prefix: str = "", limit: int = 200) -> list[AdminAudit]:
    query = select(AdminAudit).order_by(AdminAudit.id.desc()).limit(limit)
    if action_prefix:
        query = query.where(AdminAudit.action.startswith(action_prefix))
    return list(db.session.scalars(query))


def for_target(target: str, limit: int = 50) -> list[AdminAudit]:
    return list(db.session.scalars(select(AdminAudit).where(AdminAudit.target == target)
                                   .order_by(AdminAudit.id.desc()).limit(limit)))


def details(row: AdminAudit) -> dict:
    try:
        return json.loads(row.detail or "{}")
    except ValueError:
        return {}
