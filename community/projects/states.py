"""The life of a 民生小实事 project: its states and the one table of allowed moves."""
from enum import StrEnum


class ProjectState(StrEnum):
    PROPOSED = "proposed"          # 征集: a resident's proposal or a promoted 建议
    DELIBERATING = "deliberating"  # 协商议事: thread, votes, resident meeting
    APPROVED = "approved"          # passed deliberation and the tier's approver; budget fixed
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"        # 成效群众评判: residents rate it now
    EVALUATED = "evaluated"        # judging closed, figures final
    REJECTED = "rejected"          # with a reason


class Source(StrEnum):
    RESIDENT = "resident"  # proposed by a resident of the community
    STAFF = "staff"        # entered by the community office
    TICKET = "ticket"      # promoted from a 建议 request


class VoteChoice(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"


class MeetingDecision(StrEnum):
    AGREED = "agreed"
    NOT_AGREED = "not_agreed"
    DEFERRED = "deferred"


class Satisfaction(StrEnum):
    """The same five levels as request ratings (DOMAIN.md 好差评)."""
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"
    VERY_DISSATISFIED = "very_dissatisfied"


class PartnerKind(StrEnum):
    COMMUNITY = "community"
    STREET = "street"
    COUNTY = "county"
    DEPARTMENT = "department"
    PROPERTY = "property"      # 物业服务企业, named
    SOCIAL_ORG = "social_org"  # 社会组织, named
    OTHER = "other"            # 驻区单位 and others, named


class FundingSource(StrEnum):
    COUNTY = "county"        # 区县财政
    STREET = "street"        # 街道经费
    COMMUNITY = "community"  # 社区经费 / 为民服务资金
    PROPERTY = "property"    # 物业 / 维修基金
    DONATION = "donation"    # 慈善捐赠、社区基金会
    RESIDENTS = "residents"  # 居民自筹
    OTHER = "other"


class ResourceKind(StrEnum):
    FACILITY = "facility"      # 设施, with opening hours
    SOCIAL_ORG = "social_org"  # 社会组织
    VOLUNTEER = "volunteer"    # 志愿者, with skills
    STAFF = "staff"            # 工作人员, with capacity


P = ProjectState
ALLOWED_TRANSITIONS: dict[ProjectState, frozenset[ProjectState]] = {
    P.PROPOSED: frozenset({P.DELIBERATING, P.REJECTED}),
    P.DELIBERATING: frozenset({P.APPROVED, P.REJECTED}),
    P.APPROVED: frozenset({P.IN_PROGRESS, P.REJECTED}),
    P.IN_PROGRESS: frozenset({P.COMPLETED}),
    P.COMPLETED: frozenset({P.EVALUATED}),
    P.EVALUATED: frozenset(),
    P.REJECTED: frozenset(),
}

# Still being planned: units, funding and milestones may change.
PLANNING = frozenset({P.PROPOSED, P.DELIBERATING})
# Money may be spent once approved, until judging closes the books.
SPENDING = frozenset({P.APPROVED, P.IN_PROGRESS, P.COMPLETED})
# Counts as a project answering a need in the 三项清单 matching.
ACTIVE = frozenset({P.PROPOSED, P.DELIBERATING, P.APPROVED, P.IN_PROGRESS, P.COMPLETED, P.EVALUATED})
# 差评 levels, as for requests.
BAD = frozenset({Satisfaction.DISSATISFIED, Satisfaction.VERY_DISSATISFIED})
GOOD = frozenset({Satisfaction.VERY_SATISFIED, Satisfaction.SATISFIED})


class JudgingResult(StrEnum):
    """How 成效群众评判 ended (public)."""
    SATISFIED = "satisfied"        # enough residents rated, 满意率 at or over the line
    BELOW_LINE = "below_line"      # enough rated, under the line: a 整改 case opens
    INSUFFICIENT = "insufficient"  # 评判不足: closed with fewer ratings than the turnout


class CaseState(StrEnum):
    OPEN = "open"          # the office owes a rectification report, on a clock
    REPORTED = "reported"  # reported; the unit above reviews it
    CLOSED = "closed"


class PayeeKind(StrEnum):
    ORGANISATION = "organisation"  # published as written (numbers masked)
    PERSON = "person"              # published as a surname and stars: 张*
