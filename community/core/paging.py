"""Numbered pages of the web lists: the one reading of a whole number from the query string
(?page=, a filter's id), how many pages a total makes, and the one answer to a page past
the end. Bad numbers are refused (422 with the message), never guessed at."""
from flask_babel import gettext as _

from .errors import ValidationFailed


def positive_number(args, name: str, message: str | None = None) -> int | None:
    """The query argument `name` as a whole number from 1, or None when absent or empty;
    anything else is refused with `message` (by default "数值无效。")."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValidationFailed(message or _("数值无效。"), field=name)
    return int(raw)


def page_count(total: int, size: int) -> int:
    """Pages that `total` rows fill at `size` a page; an empty list still has its first."""
    return max(1, -(-total // size))


def page_error(pages: int) -> ValidationFailed:
    return ValidationFailed(_("页码应在 1 到 %(n)d 之间。", n=pages), field="page")
