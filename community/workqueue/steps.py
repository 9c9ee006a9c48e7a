"""The steps taken on a request from the staff pages and the JSON API: one table.

Each step names the service that takes it, what it takes (the staff form's fields,
the API's body schema) and what each side says when it is done. workqueue.views
serves the `web` steps at /work/tickets/<id>/<name>; api.actions serves the `api`
ones at /api/v1/requests/<code>/<api>. Whether a step is allowed is the service's
rule (workqueue.rules); which steps to show asks the same rule (available.py).
"""
from dataclasses import dataclass, field
from typing import Any, Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.areas.services import unit_by_code
from community.auth.models import User
from community.core.errors import NotAllowed
from community.core.extensions import db
from community.tickets import services as ticket_services
from community.tickets.access import acting_resident

from . import actions, assist, extensions, gridfix, inputs, routing

# How the staff form gives an input (workqueue.views reads them).
TEXT, OPTIONAL, NUMBER, NUMBERS, YES, PHOTOS = "text", "optional", "number", "numbers", "yes", "photos"


@dataclass(frozen=True)
class Step:
    name: str                          # the staff page's, and the name in `actions` lists
    run: Callable[..., Any]            # (ticket, user, now, inputs) -> the service's answer
    form: dict = field(default_factory=dict)  # input -> how the staff form gives it
    done: Any = None                   # the staff page's message; None: not on the staff page
    api: str | None = None             # the API's path segment; None: not in the API
    schema: type | None = None         # the API's body
    summary: str = ""                  # the API operation's summary
    from_api: dict = field(default_factory=dict)  # input -> its API value made the service's


def _filer_adds_info(ticket, user, now, text):
    """Through the API only the filer adds information (it has no code holders)."""
    if acting_resident(ticket, user) is None:
        raise NotAllowed(_("只有提交诉求的居民本人可以这样做。"))
    return ticket_services.add_info(ticket, user, now, text, [])


def _unit_id(code: str) -> int:
    unit = unit_by_code(code) if code else None
    return unit.id if unit is not None else 0  # the service refuses an unknown unit


def _user_id(username: str) -> int:
    return db.session.scalar(select(User.id).where(User.username == username)) or 0


# In the API's order (its operations are listed so in the OpenAPI document).
STEPS = (
    Step("accept", lambda t, u, now, a: actions.accept(t, u, now),
         done=_l("已签收。"), api="accept", summary="签收: the handling unit takes the request on."),
    Step("respond", lambda t, u, now, a: actions.respond(t, u, now, a["text"]), {"text": TEXT},
         _l("答复已发送。"), "respond", inputs.TextIn, "A public reply to the resident."),
    Step("ask_info", lambda t, u, now, a: actions.ask_info(t, u, now, a["text"]), {"text": TEXT},
         _l("已请居民补充信息。"), "ask-info", inputs.TextIn, "Ask the resident for more details."),
    Step("resolve", lambda t, u, now, a: actions.resolve(t, u, now, a["result"], a["note"],
                                                         a.get("photos", ())),
         {"result": TEXT, "note": TEXT, "photos": PHOTOS}, _l("已办结。"), "resolve", inputs.ResolveIn,
         "办结 with a result; anything short of solved is explained."),
    Step("escalate", lambda t, u, now, a: routing.escalate(t, u, now, a["reason"], a.get("to_tier")),
         {"reason": TEXT, "to_tier": OPTIONAL}, _l("已上报。"), "escalate", inputs.EscalateIn,
         "上报: one tier up, or straight to a named higher tier."),
    Step("return", lambda t, u, now, a: routing.return_ticket(t, u, now, a["reason"]), {"reason": TEXT},
         _l("已退单。"), "return", inputs.ReasonIn, "退单: not this unit's business; back to the dispatcher."),
    Step("reroute", lambda t, u, now, a: routing.reroute(t, u, now, a["unit"], a["note"]),
         {"unit": NUMBER, "note": TEXT}, _l("已重新派单。"), "reroute", inputs.RerouteIn,
         "The dispatcher sends a returned request to a unit below it.", {"unit": _unit_id}),
    Step("reassign", lambda t, u, now, a: actions.reassign(t, u, now, a["assignee"]), {"assignee": NUMBER},
         _l("已转派。"), "reassign", inputs.ReassignIn, "Hand the request to a colleague in the same unit.",
         {"assignee": _user_id}),
    Step("merge", lambda t, u, now, a: routing.merge(t, u, now, a["into"]), {"into": TEXT},
         _l("已合并。"), "merge", inputs.MergeIn, "Merge a duplicate into an open request."),
    Step("extension", lambda t, u, now, a: extensions.request_extension(t, u, now, a["days"], a["reason"]),
         {"days": NUMBER, "reason": TEXT}, _l("延期申请已提交。"), "extension", inputs.ExtensionIn,
         "延期: ask the tier above for more working days."),
    Step("decide_extension", lambda t, u, now, a: extensions.decide_extension(
        t, u, now, a["approve"], a["note"]), {"approve": YES, "note": TEXT}, _l("已审批。"),
        "extension-decision", inputs.DecisionIn, "The supervising tier decides a pending extension."),
    Step("summon", lambda t, u, now, a: assist.summon(t, u, now, a["departments"], a["reason"]),
         {"departments": NUMBERS, "reason": TEXT}, _l("已吹哨召集部门。"), "summon", inputs.SummonIn,
         "吹哨报到: the street or county summons county departments.",
         {"departments": lambda codes: [_unit_id(c) for c in codes]}),
    # 重办: staff order it here; a resident through the API (their page is tickets'), by one rule.
    Step("reopen", lambda t, u, now, a: actions.reopen(t, u, now, a["reason"]), {"reason": TEXT},
         _l("已重办。"), "reopen", inputs.ReasonIn, "重办: the resident within the window, or the street/county."),
    # The resident's own steps in the API (on the web: the tracking page, tickets.views).
    Step("cancel", lambda t, u, now, a: ticket_services.cancel(t, u, now, a["reason"]),
         api="cancel", schema=inputs.OptionalReasonIn,
         summary="The resident withdraws a request no unit has accepted yet."),
    Step("info", lambda t, u, now, a: _filer_adds_info(t, u, now, a["text"]),
         api="info", schema=inputs.TextIn, summary="The resident adds details while the request is open."),
    # 网格待核实 (staff pages only).
    Step("confirm_grid", lambda t, u, now, a: gridfix.confirm_grid(t, u, now), done=_l("已核实网格。")),
    Step("correct_grid", lambda t, u, now, a: gridfix.correct_grid(t, u, now, a["grid"]), {"grid": NUMBER},
         _l("已更正网格。")),
)

WEB_STEPS = {step.name: step for step in STEPS if step.done is not None}
API_STEPS = {step.api: step for step in STEPS if step.api is not None}
