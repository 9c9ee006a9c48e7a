"""Money as an auditable ledger: funding sources (the plan), the approved budget,
spending lines and 追加 approvals.

Amounts are whole 分 (fen) in the database; people type and read 元 as plain decimals.
A spending line is dated within the project's period and paid from a planned source;
it is never edited or deleted: a correction is a reversing entry with its reason.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from community.auth.models import User
from community.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from community.core.extensions import db
from community.core.text import clean_text
from community.core.timeutil import to_local

from . import access
from .models import BudgetApproval, FundingLine, Project, SpendingLine
from .payees import clean_payee
from .services import record_event
from .states import PLANNING, SPENDING, FundingSource

MAX_FEN = 10**12  # ten billion 元: anything above is a typing error
_YUAN = re.compile(r"^\d{1,3}(?:[,，]\d{3})+(?:\.\d{1,2})?$|^\d+(?:\.\d{1,2})?$")


def parse_yuan(text, field: str = "amount") -> int:
    """'1,234.5' 元 → 123450 分. Plain decimal 元 with at most two places: no exponent
    ("1e3"), no sign, no zero, thousands separators only where they belong."""
    raw = str(text if text is not None else "").strip()
    if not _YUAN.match(raw):
        raise ValidationFailed(_("请填写金额（元），如 1200 或 1200.50，最多两位小数。"), field=field)
    value = Decimal(raw.replace(",", "").replace("，", ""))
    if value <= 0:
        raise ValidationFailed(_("金额须大于 0，最多两位小数。"), field=field)
    fen = int(value * 100)
    if fen > MAX_FEN:
        raise ValidationFailed(_("金额太大，请检查。"), field=field)
    return fen


def yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{Decimal(fen) / 100:,.2f}"


def planned_budget_fen(project: Project) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(FundingLine.amount_fen), 0))
                             .where(FundingLine.project_id == project.id))


def spent_fen(project: Project) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(SpendingLine.amount_fen), 0))
                             .where(SpendingLine.project_id == project.id))


def extra_fen(project: Project) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(BudgetApproval.extra_fen), 0))
                             .where(BudgetApproval.project_id == project.id))


def _check_source(source: str) -> str:
    if source not in FundingSource.__members__.values():
        raise ValidationFailed(_("请选择资金来源。"), field="source")
    return source


def add_funding(project: Project, actor: User, now: datetime, *, source: str, amount,
                note: str = "") -> FundingLine:
    """A funding source of the plan; frozen into the budget at approval."""
    access.require(access.can_manage, actor, project)
    if project.state not in PLANNING:
        raise InvalidTransition(_("预算已批准；超出部分须申请追加预算。"))
    line = FundingLine(project_id=project.id, source=_check_source(source),
                       amount_fen=parse_yuan(amount),
                       note=clean_text(note, 200, "note", _("说明"), required=False))
    db.session.add(line)
    record_event(project, "funding", actor, now, note=f"{yuan(line.amount_fen)} 元")
    db.session.flush()
    return line


def planned_sources(project: Project) -> list[str]:
    return sorted({line.source for line in project.funding})


def period(project: Project, now: datetime) -> tuple[date, date]:
    """Spending dates allowed: from the approval day to today (the books close at judging)."""
    first = to_local(project.approved_at or project.created_at).date()
    return first, to_local(now).date()


def add_spending(project: Project, actor: User, now: datetime, *, spent_on: date | None,
                 item: str, amount, source: str, payee: str = "",
                 payee_kind: str = "organisation") -> SpendingLine:
    """A ledger line: dated within the project's period, from a source the plan has,
    refused when it would pass the approved budget plus approved extras."""
    access.require(access.can_run, actor, project)
    if project.state not in SPENDING:
        raise InvalidTransition(_("项目批准后才能登记支出。"))
    first, last = period(project, now)
    if spent_on is None or not first <= spent_on <= last:
        raise ValidationFailed(_("支出日期须在项目批准日（%(a)s）到今天（%(b)s）之间。",
                                 a=first.isoformat(), b=last.isoformat()), field="spent_on")
    if _check_source(source) not in planned_sources(project):
        raise ValidationFailed(_("资金来源须是项目计划中的来源。"), field="source")
    amount_fen = parse_yuan(amount)
    limit = (project.approved_budget_fen or 0) + extra_fen(project)
    if spent_fen(project) + amount_fen > limit:
        raise ValidationFailed(_("这笔支出将超出批准的预算（可用 %(left)s 元）；请先由%(who)s批准追加预算。",
                                 left=yuan(limit - spent_fen(project)),
                                 who=_("区县") if project.level == 3 else _("街道")), field="amount")
    payee, payee_kind = clean_payee(payee, payee_kind)
    line = SpendingLine(project_id=project.id, spent_on=spent_on,
                        item=clean_text(item, 200, "item", _("支出事项"), required=True),
                        payee=payee, payee_kind=payee_kind,
                        source=source, amount_fen=amount_fen,
                        recorded_by_id=actor.id, created_at=now)
    db.session.add(line)
    # Touching the project bumps its version: a concurrent spending line fails instead of
    # both passing the check above.
    record_event(project, "spending", actor, now, note=f"{line.item} {yuan(amount_fen)} 元")
    db.session.flush()
    return line


def reverse_spending(project: Project, actor: User, now: datetime, line_id,
                     reason: str) -> SpendingLine:
    """A correction: the reversing entry (minus the amount, dated today, with a reason);
    the original stays in the ledger, marked as reversed."""
    access.require(access.can_run, actor, project)
    if project.state not in SPENDING:
        raise InvalidTransition(_("评判结束后账目已关闭，不能再冲销。"))
    original = db.session.get(SpendingLine, line_id) if line_id else None
    if original is None or original.project_id != project.id or original.reverses_id is not None:
        raise NotFound()
    if original.reversed_by is not None:
        raise Conflict(_("这笔支出已经冲销过了。"))
    reason = clean_text(reason, 500, "reason", _("冲销理由"), required=True)
    line = SpendingLine(project_id=project.id, spent_on=to_local(now).date(), item=original.item,
                        payee=original.payee, payee_kind=original.payee_kind,
                        source=original.source, amount_fen=-original.amount_fen,
                        reverses_id=original.id, reason=reason, recorded_by_id=actor.id,
                        created_at=now)
    db.session.add(line)
    record_event(project, "spending_reversed", actor, now,
                 note=f"{original.item} -{yuan(original.amount_fen)} 元：{reason}")
    db.session.flush()
    return line


def approve_extra(project: Project, actor: User, now: datetime, *, amount,
                  reason: str) -> BudgetApproval:
    """追加预算, by the street (一级, 二级) or the county (三级)."""
    access.require(access.can_oversee, actor, project)
    if project.state not in SPENDING:
        raise InvalidTransition(_("项目批准后才能追加预算。"))
    approval = BudgetApproval(project_id=project.id, extra_fen=parse_yuan(amount),
                              reason=clean_text(reason, 500, "reason", _("追加理由"), required=True),
                              approved_by_id=actor.id, approving_unit_id=actor.unit_id, at=now)
    db.session.add(approval)
    record_event(project, "budget_extra", actor, now,
                 note=f"+{yuan(approval.extra_fen)} 元：{approval.reason}")
    db.session.flush()
    return approval


@dataclass
class BudgetSummary:
    planned: int
    approved: int | None
    extra: int
    spent: int

    @property
    def limit(self) -> int:
        return (self.approved or 0) + self.extra

    @property
    def left(self) -> int:
        return self.limit - self.spent


def summary(project: Project) -> BudgetSummary:
    return BudgetSummary(planned=planned_budget_fen(project), approved=project.approved_budget_fen,
                         extra=extra_fen(project), spent=spent_fen(project))
