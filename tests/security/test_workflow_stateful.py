"""Random sequences of actions by random people keep the workflow's invariants.

Hypothesis drives the real services (filing, every handling action, cancel,
add information, rating, the SLA sweep) as any of the test people or an
anonymous code holder, with the clock only moving forward. After every step:

* one current handler: the handling unit is where the last event left it, and
  an assignee works there;
* the event log replays to the state (each transition starts where the last
  one ended), and a refused action wrote nothing;
* no deadline, event or assist task before the filing time;
* no published figure below 0 or above 1 (community.stats.formulas).

The suite runs a small number of examples; HYPOTHESIS_PROFILE=long runs many.
"""
import os
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, invariant, precondition, rule,
                                 run_state_machine_as_test)
from sqlalchemy import select

from community.core.errors import DomainError
from community.core.extensions import db
from community.tickets import services as tickets
from community.tickets.models import Ticket
from community.workqueue import actions, assist, extensions, routing
from community.workqueue.models import AssistTask
from tests import factories
from tests.factories import T0

PROFILES = {
    "quick": settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 10)), stateful_step_count=20,
                      deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck)),
    "long": settings(max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 300)), stateful_step_count=50,
                     deadline=None, database=None, suppress_health_check=list(HealthCheck)),
}
PEOPLE = ["admin", "county", "dept", "dept2", "street", "street2", "community", "community2",
          "grid", "grid2", "grid3", "resident", "resident2", "resident3", None]
CATEGORIES = ["ELD", "CHD", "ENV", "EDU", "UTL", "PRO"]
GRIDS = ["S1C1G1", "S1C1G2", "S2C1G1"]
TEXT = st.sampled_from(["", "已处理", "需要上级协调", "<b>x</b>' OR 1=1 --"])


def _optional(module, name):
    try:
        return getattr(__import__(module, fromlist=[name]), name)
    except (ImportError, AttributeError):
        return None


rate = _optional("community.ratings.services", "rate")
sweep = _optional("community.sla.sweep", "sweep")
formulas = _optional("community.stats", "formulas")
compute_day = _optional("community.stats.rollup", "compute_day")
activity_days = _optional("community.stats.rollup", "activity_days")


def _snapshot(ticket):
    return (ticket.state, ticket.handling_unit_id, ticket.assignee_id, ticket.version,
            len(ticket.events))


class Workflow(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        db.session.remove()
        factories.reset_database()
        self.areas = factories.make_areas()
        self.people = factories.make_people(self.areas)
        self.now = T0
        self.ids = []

    def person(self, name):
        return getattr(self.people, name) if name else None

    def ticket(self, index):
        return db.session.get(Ticket, self.ids[index % len(self.ids)])

    def attempt(self, ticket, call):
        """Run one action; a refusal must leave the request exactly as it was."""
        before = _snapshot(ticket) if ticket is not None else None
        try:
            call()
            db.session.commit()
        except DomainError:
            db.session.rollback()
            if ticket is not None:
                db.session.expire_all()
                assert _snapshot(db.session.get(Ticket, ticket.id)) == before, "a refusal changed it"

    @rule(hours=st.integers(0, 72))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours, minutes=7)

    @rule(category=st.sampled_from(CATEGORIES), grid=st.sampled_from(GRIDS),
          filer=st.sampled_from(["resident", "resident2", "resident3", "grid", "community"]),
          urgent=st.booleans())
    def file(self, category, grid, filer, urgent):
        unit = getattr(self.areas, grid)
        filing = tickets.Filing(kind="help", category_code=category, text="楼下路灯坏了",
                                community_id=unit.community_id, grid_id=unit.id,
                                urgency="urgent" if urgent else "normal",
                                contact_name="王", contact_phone="13900000009")
        try:
            ticket = tickets.submit_ticket(filing, self.person(filer), self.now)
            db.session.commit()
            self.ids.append(ticket.id)
        except DomainError:
            db.session.rollback()

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), who=st.sampled_from(PEOPLE), note=TEXT,
          action=st.sampled_from(["accept", "respond", "ask_info", "resolve", "escalate", "return",
                                  "reassign", "reopen", "cancel", "add_info", "close"]),
          result=st.sampled_from(["solved", "partly", "not_solvable", "bogus"]),
          tier=st.sampled_from([None, "community", "street", "county", "grid"]))
    def act(self, index, who, note, action, result, tier):
        ticket, actor, now = self.ticket(index), self.person(who), self.now
        calls = {
            "accept": lambda: actions.accept(ticket, actor, now),
            "respond": lambda: actions.respond(ticket, actor, now, note),
            "ask_info": lambda: actions.ask_info(ticket, actor, now, note),
            "resolve": lambda: actions.resolve(ticket, actor, now, result, note),
            "escalate": lambda: routing.escalate(ticket, actor, now, note, tier),
            "return": lambda: routing.return_ticket(ticket, actor, now, note),
            "reassign": lambda: actions.reassign(ticket, actor, now, self.people.grid.id),
            "reopen": lambda: actions.reopen(ticket, actor, now, note),
            "cancel": lambda: tickets.cancel(ticket, actor, now, note),
            "add_info": lambda: tickets.add_info(ticket, actor, now, note, []),
            "close": lambda: actions.close(ticket, now, actor),
        }
        if actor is None and action not in ("cancel", "add_info", "reopen", "close"):
            return  # staff actions need someone signed in; the views guarantee it
        self.attempt(ticket, calls[action])

    @precondition(lambda self: self.ids)
    @rule(index=st.integers(0, 50), other=st.integers(0, 50), who=st.sampled_from(PEOPLE[:-1]),
          action=st.sampled_from(["merge", "reroute", "extension", "decide_yes", "decide_no",
                                  "summon"]),
          days=st.integers(-1, 20), unit=st.sampled_from(["S1C1", "S1C1G2", "D1", "S2", "C"]))
    def handle(self, index, other, who, action, days, unit):
        ticket, actor, now = self.ticket(index), self.person(who), self.now
        target = self.ticket(other)
        calls = {
            "merge": lambda: routing.merge(ticket, actor, now, target.tracking_code),
            "reroute": lambda: routing.reroute(ticket, actor, now, getattr(self.areas, unit).id, ""),
            "extension": lambda: extensions.request_extension(ticket, actor, now, days, "材料未到"),
            "decide_yes": lambda: extensions.decide_extension(ticket, actor, now, True, ""),
            "decide_no": lambda: extensions.decide_extension(ticket, actor, now, False, "不同意"),
            "summon": lambda: assist.summon(ticket, actor, now, [getattr(self.areas, unit).id], "协调"),
        }
        self.attempt(ticket, calls[action])

    @precondition(lambda self: self.ids and rate is not None)
    @rule(index=st.integers(0, 50), who=st.sampled_from(["resident", "resident2", None]),
          solved=st.sampled_from(["yes", "partly", "no"]),
          level=st.sampled_from(["very_satisfied", "satisfied", "basic", "dissatisfied",
                                 "very_dissatisfied"]))
    def rate_it(self, index, who, solved, level):
        ticket = self.ticket(index)
        self.attempt(ticket, lambda: rate(ticket, self.person(who), self.now, solved, level,
                                          reasons=["too_slow"]))

    @precondition(lambda self: sweep is not None)
    @rule()
    def sweep_clocks(self):
        sweep(self.now)
        db.session.commit()

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def one_current_handler(self):
        for ticket in db.session.scalars(select(Ticket)):
            assert ticket.handling_unit_id is not None
            placed = [e.unit_id for e in ticket.events if e.unit_id is not None]
            assert placed and placed[-1] == ticket.handling_unit_id, ticket.tracking_code
            if ticket.assignee is not None:
                assert ticket.assignee.unit_id == ticket.handling_unit_id, ticket.tracking_code

    @invariant()
    def events_replay_to_the_state(self):
        for ticket in db.session.scalars(select(Ticket)):
            events = ticket.events
            assert events[0].action == "submit" and events[0].to_state == "submitted"
            state = None
            for event in events:
                if event.to_state is None:
                    continue
                assert event.from_state == state, (ticket.tracking_code, event.action, state)
                state = event.to_state
            assert state == ticket.state, ticket.tracking_code

    @invariant()
    def nothing_before_filing(self):
        for ticket in db.session.scalars(select(Ticket)):
            filed = ticket.submitted_at
            for name in ("response_due_at", "accept_due_at", "resolve_due_at", "next_due_at",
                         "accepted_at", "resolved_at", "closed_at", "arrived_at"):
                value = getattr(ticket, name)
                assert value is None or value >= filed, (ticket.tracking_code, name)
            assert all(e.at >= filed for e in ticket.events)
        for task in db.session.scalars(select(AssistTask)):
            assert task.created_at >= task.ticket.submitted_at and task.due_at >= task.created_at

    @invariant()
    def figures_between_0_and_1(self):
        if formulas is None or compute_day is None:
            return
        params = formulas.Params()
        for day in activity_days():
            tally = compute_day(day)
            for counts in [*tally.units.values(), *tally.categories.values(), *tally.workers.values()]:
                assert all(v >= 0 for v in counts.values()), counts
                figures = formulas.figures(counts, params)
                for name in formulas.RATES + ("satisfaction_low", "satisfaction_high"):
                    value = figures[name]
                    assert value is None or 0 <= value <= 1, (day, name, value, counts)

    def teardown(self):
        db.session.rollback()
        db.session.remove()


def test_random_workflows_keep_the_invariants(ctx, app):
    profile = PROFILES[os.environ.get("HYPOTHESIS_PROFILE", "quick")]
    app.config.update(COMMUNITY_RETURN_WINDOW_HOURS=1000)  # let 退单 happen after time passes
    try:
        run_state_machine_as_test(Workflow, settings=profile)
    finally:
        app.config.update(COMMUNITY_RETURN_WINDOW_HOURS=2)
