"""What a recorded warning or breach says, and to whom: one set of rules for the
sweep's two executors (the per-ticket replay in sweep.py, the set-based one in
bulk.py), over ORM objects or plain rows alike."""
from flask_babel import force_locale
from flask_babel import gettext as _

from community.tickets.notes import Note


def notice_for(kind: str, clock: str, at, handling_unit_id, supervisor_id):
    """Who hears of a mark the sweep records, as (unit id, at, kind, clock): a warning
    goes to the unit handling the request, a breach to that unit's supervisor. Every
    mark is told, in order, also when a late sweep records several at once (two clocks
    of the same length end together; a catch-up after downtime replays a day)."""
    return (handling_unit_id if kind == "warning" else supervisor_id), at, kind, clock


def clock_label(clock: str) -> str:
    return {"response": _("首次响应"), "accept": _("签收"), "resolve": _("办结")}[clock]


def staff_message(kind: str) -> str:
    """The staff's in-app message for a warning or a breach, in the current language;
    fill in %(code)s and %(clock)s."""
    return (_("【时限预警】诉求 %(code)s 的%(clock)s期限将到。") if kind == "warning" else
            _("【超时】诉求 %(code)s 的%(clock)s已超过期限。"))


def escalation_reason(clock: str) -> str:
    """Why the system escalated: the clock that ran out, in the current language."""
    return _("签收超时") if clock == "accept" else _("办结超时")


def escalation_note(tier: str, clock: str) -> Note:
    """The timeline's note of an automatic 上报 (what routing.escalate writes)."""
    return Note("escalated", tier=str(tier), reason=escalation_reason(clock))


def staff_notices(notices, staff_of, texts=None) -> list[dict]:
    """Notification rows for the staff of the units told of each mark.

    `notices` are (ticket id, tracking code, unit id, at, kind, clock); `staff_of(unit_id)`
    gives the unit's active staff (each with .id and .locale). Each text is in its
    reader's language, worked out once per (language, kind, clock) in `texts`, a dict
    the caller may keep across batches. In-app only: no phone, so never texted."""
    texts = {} if texts is None else texts
    rows = []
    for ticket_id, code, unit_id, at, kind, clock in notices:
        if unit_id is None:
            continue
        for user in staff_of(unit_id):
            locale = user.locale or "zh"
            key = (locale, kind, clock)
            if key not in texts:
                with force_locale(locale):
                    texts[key] = (staff_message(kind), clock_label(clock))
            text, clock_name = texts[key]
            rows.append({"user_id": user.id, "phone": "", "ticket_id": ticket_id,
                         "event_id": None, "text": text % {"code": code, "clock": clock_name},
                         "created_at": at, "send_attempts": 0})
    return rows
