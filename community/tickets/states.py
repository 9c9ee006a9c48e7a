"""The life of a request: its states and the one table of allowed moves."""
from enum import StrEnum


class State(StrEnum):
    SUBMITTED = "submitted"      # waiting at its handling unit for 签收
    ACCEPTED = "accepted"        # 签收
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"        # 办结, waiting for the rating / reopen window
    CLOSED = "closed"
    ESCALATED = "escalated"      # moved up a tier, waiting for 签收 there
    RETURNED = "returned"        # 退单: back with the dispatcher for re-routing
    MERGED = "merged"
    CANCELLED = "cancelled"
    REOPENED = "reopened"        # 重办


class Kind(StrEnum):
    HELP = "help"              # 求助
    CONSULT = "consult"        # 咨询
    COMPLAINT = "complaint"    # 投诉
    SUGGESTION = "suggestion"  # 建议
    REPORT = "report"          # 举报


class Channel(StrEnum):
    WEB = "web"
    HOTLINE = "hotline"        # a phone call typed in by staff
    GRID_WORKER = "grid_worker"  # 代办: a grid worker files for the resident
    WALK_IN = "walk_in"        # at the community office
    API = "api"
    OPEN311 = "open311"
    UPSTREAM = "upstream"      # an order from an upstream platform (community.exchange.upstream)


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Result(StrEnum):
    SOLVED = "solved"
    PARTLY = "partly"
    NOT_SOLVABLE = "not_solvable"


S = State
ALLOWED_TRANSITIONS: dict[State, frozenset[State]] = {
    S.SUBMITTED: frozenset({S.ACCEPTED, S.ESCALATED, S.RETURNED, S.MERGED, S.CANCELLED, S.RESOLVED}),
    S.ESCALATED: frozenset({S.ACCEPTED, S.ESCALATED, S.RETURNED, S.MERGED, S.CANCELLED, S.RESOLVED}),
    S.RETURNED: frozenset({S.SUBMITTED, S.ACCEPTED, S.ESCALATED, S.MERGED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.ESCALATED, S.MERGED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.ESCALATED, S.MERGED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.ESCALATED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.MERGED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Waiting for someone at the handling unit to 签收.
WAITING = frozenset({S.SUBMITTED, S.ESCALATED, S.RETURNED})
# Being worked on after 签收.
WORKING = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REOPENED})
OPEN = WAITING | WORKING
FINISHED = frozenset({S.RESOLVED, S.CLOSED, S.MERGED, S.CANCELLED})
# Still to be rated or closed, or worked on: what a work queue counts by state. The
# other finished states (closed, merged, cancelled) grow with every year of history;
# their totals are the dashboards' business, not a count read on every queue page.
LIVE = OPEN | {S.RESOLVED}
