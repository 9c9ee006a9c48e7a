"""Every user-facing string has an English translation (Chinese is the msgid).

The strings are extracted from the source the same way `pybabel extract` does
(babel.cfg), so a new `_()` without a catalog entry fails here, as does an
empty, fuzzy or placeholder-mismatched translation.
"""
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "community" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
FIX = ("run `make messages` (pybabel extract + update) and write the English in "
       "community/translations/en/LC_MESSAGES/messages.po")


def _source_messages() -> dict:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _catalog() -> Catalog:
    with open(PO, "rb") as fh:
        return read_po(fh, locale="en")


def test_every_source_string_is_in_the_english_catalog():
    catalog = _catalog()
    missing = [f"{where}: {msgid}" for msgid, where in _source_messages().items()
               if catalog.get(msgid) is None]
    assert not missing, f"{len(missing)} strings not in the catalog ({FIX}):\n" + "\n".join(missing)


def test_every_catalog_entry_is_translated_and_not_fuzzy():
    catalog = _catalog()
    bad = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            bad.append(f"fuzzy: {message.id}")
        elif not all(s and s.strip() for s in strings):
            bad.append(f"untranslated: {message.id}")
    assert not bad, f"{len(bad)} entries need English ({FIX}):\n" + "\n".join(bad)


def test_placeholders_match_between_chinese_and_english():
    problems = [f"{message.id}: {error}" for message, errors in _catalog().check() for error in errors]
    assert not problems, "\n".join(problems)


def test_english_pages_show_no_untranslated_chinese_in_the_chrome(client, areas):
    """The shared page parts (menu, footer, switches) come out in English."""
    body = client.get("/?lang=en").get_data(as_text=True)
    assert "In an emergency call 110" in body and "Large text mode" in body
    assert "社区接诉即办" not in body.split("<main")[0]
