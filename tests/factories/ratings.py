"""Resolved requests for rating tests, through the real workflow."""
from community.core.extensions import db
from community.workqueue import actions

from .tickets import H, T0, file_ticket


def resolved_ticket(people, areas, *, at=T0, result="solved", **kwargs):
    ticket = file_ticket(people, areas, now=at, **kwargs)
    actions.accept(ticket, people.grid, at + H)
    actions.resolve(ticket, people.grid, at + 2 * H, result, "已更换灯泡。" if result == "solved" else "已说明")
    db.session.commit()
    return ticket
