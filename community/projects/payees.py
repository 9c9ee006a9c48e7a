"""Payees of spending lines: an organisation is published by its name, a person never is.

Staff type the payee as it appears on the invoice; the public reads an organisation's
name through the one masking function (numbers masked) and a person as a surname and
stars (张*). A name typed as an organisation that does not read like one ("张三
13911112222") is refused, so a person cannot be published by mistake.
"""
import re

from flask_babel import gettext as _

from community.core.errors import ValidationFailed
from community.core.masking import mask_personal

from .states import PayeeKind

MAX = 100
# Words an organisation's name ends in or contains (公司, 中心, 合作社 …).
ORG_WORDS = ("公司", "集团", "厂", "店", "商行", "经营部", "工作室", "事务所", "中心", "站", "社",
             "院", "所", "局", "委", "会", "部", "队", "组", "协会", "基金", "银行", "超市", "物业",
             "学校", "医院", "馆", "办", "处", "坊", "市场", "酒店", "餐厅", "食堂")
_NAME = re.compile(r"[A-Za-z\u00b7\u3400-\u9fff]+")


def looks_like_organisation(text: str) -> bool:
    words = re.sub(r"[\d\s\-+()（）]", "", text or "")
    return any(word in words for word in ORG_WORDS) or len(words) > 8


def clean_payee(payee: str | None, kind: str | None) -> tuple[str, str]:
    payee = (payee or "").strip()
    kind = kind or PayeeKind.ORGANISATION
    if kind not in PayeeKind.__members__.values():
        raise ValidationFailed(_("请选择收款方是单位还是个人。"), field="payee_kind")
    if len(payee) > MAX:
        raise ValidationFailed(_("收款方不能超过 %(n)d 字。", n=MAX), field="payee")
    if payee and kind == PayeeKind.ORGANISATION and not looks_like_organisation(payee):
        raise ValidationFailed(_("“%(p)s”看起来不是单位名称：收款方是个人的，请选择“个人”，公示时只显示姓氏。",
                                 p=payee), field="payee")
    if kind == PayeeKind.PERSON and not _NAME.search(payee):
        raise ValidationFailed(_("请填写收款人姓名。"), field="payee")
    return payee, kind


def public_payee(payee: str, kind: str) -> str:
    """What the public pages show for a payee."""
    if not payee:
        return ""
    if kind == PayeeKind.PERSON:
        name = _NAME.search(payee)
        if name is None:
            return _("个人")
        return name.group(0)[0] + "*" * max(1, len(name.group(0)) - 1)
    return mask_personal(payee)
