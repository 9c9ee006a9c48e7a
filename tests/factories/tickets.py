"""Building requests for workflow tests through the real services."""
from datetime import datetime, timedelta, timezone

from community.core.extensions import db
from community.tickets.services import Filing, submit_ticket

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai
H = timedelta(hours=1)


def file_ticket(people, areas, *, category="ELD", grid=None, kind="help", now=T0,
                resident=None, urgency="normal"):
    grid = grid or areas.S1C1G1
    community = next(u for u in vars(areas).values() if u.id == grid.community_id)
    filing = Filing(kind=kind, category_code=category, text="楼道灯坏了，请尽快修理。",
                    community_id=community.id, grid_id=grid.id, urgency=urgency)
    ticket = submit_ticket(filing, resident or people.resident, now)
    db.session.commit()
    return ticket
