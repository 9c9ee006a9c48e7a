"""One masking function for everything public (DOMAIN.md, "Privacy").

/public, Open311, the project pages and exports of public data show a resident's
words only through `mask_personal` (and an address only through `coarse_address`):
mobile and landline numbers, ID-card numbers, e-mail addresses, plate numbers and
flat numbers are masked, whatever way they were typed (spaces, dashes, dots,
full-width digits, a +86 or 0086 prefix).

The patterns are matched on a copy of the text where full-width and look-alike
characters are folded to ASCII one for one, so a match's position is the same in
the original and the rest of the text is kept exactly as written.
"""
import functools
import re
import unicodedata

_DASHES = "‐‑‒–—―−－﹣"  # typed between digit groups as often as "-"


@functools.lru_cache(maxsize=65536)  # a few thousand characters in use; NFKC is the cost
def _fold_char(ch: str) -> str:
    if ch in _DASHES:
        return "-"
    if ch in "·•・":
        return "·"
    folded = unicodedata.normalize("NFKC", ch)
    return folded if len(folded) == 1 else ch


def _fold(text: str) -> str:
    """Same length as `text`: full-width digits, letters, spaces and signs as ASCII."""
    if text.isascii():
        return text  # every ASCII character folds to itself (a log line, most often)
    return "".join(map(_fold_char, text))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


_SEP = r"[ \-.]{0,2}"  # what people put between digit groups
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9])"

ID_CARD = re.compile(_NOT_ALNUM_BEFORE + r"\d(?:" + _SEP + r"\d){16}" + _SEP + r"[\dXx]"
                     + r"(?![0-9A-Za-z])")
ID_CARD_OLD = re.compile(_NOT_ALNUM_BEFORE + r"\d{6}" + _SEP + r"\d{6}" + _SEP + r"\d{3}"
                         + r"(?![0-9A-Za-z])")
_COUNTRY = r"(?:\((?:\+|00)?86\)|(?:\+|00)?86)"  # +86, 0086, 86, (+86): brackets only in pairs
MOBILE = re.compile(_NOT_ALNUM_BEFORE + r"(?:" + _COUNTRY + r"[ \-]{0,2})?"
                    + r"(1" + _SEP + r"[3-9](?:" + _SEP + r"\d){9})" + _NOT_DIGIT_AFTER)
LANDLINE = re.compile(_NOT_ALNUM_BEFORE + r"(?:" + _COUNTRY + r"[ \-]{0,2})?"
                      + r"(?:\((?P<bracketed>0\d{2,3})\)|(?P<area>0\d{2,3}))" + _SEP
                      + r"(?P<number>\d{3,4}" + _SEP + r"\d{4})"
                      + r"(?:[ ]?(?:转|ext\.?|x)[ ]?\d{1,5})?" + _NOT_DIGIT_AFTER)
LOCAL_LINE = re.compile(_NOT_ALNUM_BEFORE + r"\d{3,4}-\d{4}" + _NOT_DIGIT_AFTER)
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE = re.compile(r"([" + _PROVINCES + r"])[ ]?([A-Za-z])[ ·.\-]?([A-Za-z0-9]{5,6})(?![A-Za-z0-9])")

_NUM = r"[0-9一二三四五六七八九十]+"
# 7栋3单元302室 · 7号楼3单元302 · 7幢302 · 3单元302 · 3-2-302 · 302室
BUILDING = re.compile(r"(" + _NUM + r"[ ]?(?:号楼|栋|幢|座))")
FLAT_AFTER_BUILDING = re.compile(
    r"(" + _NUM + r"[ ]?(?:号楼|栋|幢|座))[ ]?((?:" + _NUM + r"[ ]?单元[ ]?)?(?:[0-9]+[ ]?(?:室|号|房|户)?)?)")
UNIT_AND_ROOM = re.compile(_NUM + r"[ ]?单元[ ]?(?:[0-9]+[ ]?(?:室|号|房|户)?)?")
DASHED_FLAT = re.compile(_NOT_ALNUM_BEFORE + r"\d{1,3}-\d{1,2}-\d{3,4}" + _NOT_DIGIT_AFTER)
ROOM = re.compile(_NOT_ALNUM_BEFORE + r"\d{3,4}[ ]?(?:室|房)")

FLAT_MASK = "**"


def _mask_mobile(digits: str) -> str:
    return digits[:3] + "****" + digits[-4:]


def _mask_landline(area: str, number: str) -> str:
    return f"{area}-" + "*" * len(_digits(number))


def _mask_plate(match: re.Match) -> str:
    rest = match.group(3)
    return f"{match.group(1)}{match.group(2).upper()}·" + "*" * (len(rest) - 2) + rest[-2:].upper()


def _mask_email(address: str) -> str:
    local, domain = address.split("@", 1)
    return local[:1] + "***@" + domain


def _flat_after_building(match: re.Match, original: str) -> str:
    # The building is kept as it was typed (the match is on the folded copy).
    if not match.group(2).strip():  # a building with no flat after it: nothing to mask
        return original[match.start():match.end()]
    return original[match.start(1):match.end(1)] + FLAT_MASK


# (pattern, replacement from the folded match and the original text) in the order they must run: an ID-card
# number holds runs that look like phone numbers, a flat number looks like a short line.
_RULES = (
    (ID_CARD, lambda m, _: "*" * 18),
    (ID_CARD_OLD, lambda m, _: "*" * 15),
    (EMAIL, lambda m, _: _mask_email(m.group(0))),
    (MOBILE, lambda m, _: _mask_mobile(_digits(m.group(1)))),
    (LANDLINE, lambda m, _: _mask_landline(m["bracketed"] or m["area"], m["number"])),
    (PLATE, lambda m, _: _mask_plate(m)),
    (FLAT_AFTER_BUILDING, _flat_after_building),
    (UNIT_AND_ROOM, lambda m, _: FLAT_MASK),
    (DASHED_FLAT, lambda m, _: m.group(0).split("-")[0] + "-" + FLAT_MASK),
    (ROOM, lambda m, _: FLAT_MASK),
    (LOCAL_LINE, lambda m, _: "****-****"),
)


def _apply(text: str, pattern: re.Pattern, replace, folded: str | None = None) -> str:
    folded = _fold(text) if folded is None else folded
    out, last = [], 0
    for match in pattern.finditer(folded):
        out.append(text[last:match.start()])
        out.append(replace(match, text))
        last = match.end()
    out.append(text[last:])
    return "".join(out)


@functools.lru_cache(maxsize=4096)
def _masked(text: str) -> str:
    # Remembered: /public shows the same recent requests to every visitor. Folded again
    # only after a rule changed the text (positions move), not once per rule.
    folded = _fold(text)
    for pattern, replace in _RULES:
        masked = _apply(text, pattern, replace, folded)
        if masked != text:
            text, folded = masked, _fold(masked)
    return text


def mask_personal(text: str | None) -> str:
    """The text as the public may read it: personal numbers masked, all else as typed."""
    return _masked(text or "")


# The numbers that identify a person on their own: masked in every log line (community/core/logs.py).
_NUMBER_RULES = _RULES[:2] + _RULES[3:5]  # ID cards (both lengths), mobiles, landlines
_HAS_DIGIT_RUN = re.compile(r"[0-9０-９]{3}")


def mask_numbers(text: str) -> str:
    """Only ID-card and phone numbers masked (for log lines: cheap when there are none)."""
    if not _HAS_DIGIT_RUN.search(text):
        return text
    for pattern, replace in _NUMBER_RULES:
        text = _apply(text, pattern, replace)
    return text


def coarse_address(address: str | None) -> str:
    """An address down to its 小区 and building: 北门小区7栋3单元302 → 北门小区7栋."""
    address = address or ""
    folded = _fold(address)
    building = BUILDING.search(folded)
    if building:
        return mask_personal(address[:building.end()])
    flat = UNIT_AND_ROOM.search(folded) or DASHED_FLAT.search(folded) or ROOM.search(folded)
    if flat:
        return mask_personal(address[:flat.start()]).rstrip(" ,，")
    return mask_personal(address)


POINT_DECIMALS = 3  # about 110 m of latitude: the building's block, not the door


def coarse_point(degrees: float | None) -> float | None:
    """A latitude or longitude as the public may read it: rounded to about 100 m."""
    return None if degrees is None else round(degrees, POINT_DECIMALS)
