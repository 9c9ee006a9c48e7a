"""Money: funding sources (the plan), the approved budget, spending lines and 追加 approvals.

Amounts are whole 分 (fen) in the database; people type and read 元.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select

from community.auth.models import User
from community.errors import InvalidTransition, ValidationFailed
from community.extensions import db

from . import access
from .models import BudgetApproval, FundingLine, Project, SpendingLine
from .services import _clean_text, record_event
from .states import PLANNING, SPENDING, FundingSource

MAX_FEN = 10**12  # ten billion 元: anything above is a typing error


def parse_yuan(text, field: str = "amount") -> int:
    """'1,234.5' 元 → 123450 分; refuses negatives, zero, more than two decimals."""
    try:
        value = Decimal(str(text or "").replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValidationFailed(_("请填写金额（元），如 1200 或 1200.50。"), field=field) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
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
                       note=_clean_text(note, 200, "note", _("说明"), required=False))
    db.session.add(line)
    record_event(project, "funding", actor, now, note=f"{yuan(line.amount_fen)} 元")
    db.session.flush()
    return line


def add_spending(project: Project, actor: User, now: datetime, *, spent_on: date | None,
                 item: str, amount, source: str, payee: str = "") -> SpendingLine:
    """A spending line: refused when it would pass the approved budget plus approved extras."""
    access.require(access.can_manage, actor, project)
    if project.state not in SPENDING:
        raise InvalidTransition(_("项目批准后才能登记支出。"))
    if spent_on is None:
        raise ValidationFailed(_("请填写支出日期。"), field="spent_on")
    amount_fen = parse_yuan(amount)
    limit = (project.approved_budget_fen or 0) + extra_fen(project)
    if spent_fen(project) + amount_fen > limit:
        raise ValidationFailed(_("这笔支出将超出批准的预算（可用 %(left)s 元）；请先由%(who)s批准追加预算。",
                                 left=yuan(limit - spent_fen(project)),
                                 who=_("区县") if project.level == 3 else _("街道")), field="amount")
    line = SpendingLine(project_id=project.id, spent_on=spent_on,
                        item=_clean_text(item, 200, "item", _("支出事项")),
                        payee=_clean_text(payee, 100, "payee", _("收款单位"), required=False),
                        source=_check_source(source), amount_fen=amount_fen,
                        recorded_by_id=actor.id, created_at=now)
    db.session.add(line)
    # Touching the project bumps its version: a concurrent spending line fails instead of
    # both passing the check above.
    record_event(project, "spending", actor, now, note=f"{line.item} {yuan(amount_fen)} 元")
    db.session.flush()
    return line


def approve_extra(project: Project, actor: User, now: datetime, *, amount,
                  reason: str) -> BudgetApproval:
    """追加预算, by the street (一级, 二级) or the county (三级)."""
    access.require(access.can_approve_budget, actor, project)
    if project.state not in SPENDING:
        raise InvalidTransition(_("项目批准后才能追加预算。"))
    approval = BudgetApproval(project_id=project.id, extra_fen=parse_yuan(amount),
                              reason=_clean_text(reason, 500, "reason", _("追加理由")),
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
