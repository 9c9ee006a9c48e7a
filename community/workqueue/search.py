"""Staff search (工作台 → 搜索): a tracking code, a phone number (whole or its last 4
digits), or words of the address and the text, always inside the user's scope
(`tickets.access.scope_filter`), newest first.

Indexed, not scanned (migration 0023):
- the tracking code: its unique index; a whole phone: ix_tickets_contact_phone;
- the last 4 digits: an expression index on the phone's last 4 characters;
- words: SQLite — the FTS5 table `ticket_search` (trigram tokenizer, kept by triggers,
  external content = tickets); PostgreSQL — pg_trgm GIN indexes on text and address,
  which ILIKE uses. Words of 1–2 characters (most Chinese words) are below a trigram:
  on PostgreSQL the GIN index `ix_tickets_grams` (migration 0031) over the one- and
  two-character pieces of text and address answers them (a trigram index would read
  itself whole: 6–7 s at 5 M requests); on SQLite they narrow a search that has a
  longer word, or are matched with LIKE inside the scope when alone.
"""
import re

from sqlalchemy import cast, column, func, literal_column, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import ARRAY, Text

from community.auth.models import User
from community.core.extensions import db
from community.tickets.access import scope_filter
from community.tickets.models import Ticket
from community.tickets.services import clean_phone, normalize_tracking_code

# Schema objects of the search that the models do not declare (dialect-specific).
SEARCH_OBJECTS = {"ticket_search", "ix_tickets_contact_phone", "ix_tickets_phone_last4",
                  "ix_tickets_text_trgm", "ix_tickets_address_trgm", "ix_tickets_grams"}
TRIGRAM = 3
_CODE = re.compile(r"^[A-Za-z0-9-]{6,16}$")


def last4(phone):
    """The expression the last-4 index is built on (the same text in both dialects)."""
    return func.substr(phone, func.length(phone) - literal_column("3"))


def search_tickets(user: User, query: str, limit: int = 30) -> list[Ticket]:
    query = (query or "").strip()[:100]
    if not query:
        return []
    scoped = select(Ticket).where(scope_filter(user))
    digits = re.sub(r"\D", "", query)
    if digits and len(digits) == len(re.sub(r"[\s\-+]", "", query)):  # a number
        if len(digits) == 4:
            scoped = scoped.where(last4(Ticket.contact_phone) == digits)
        else:
            scoped = scoped.where(Ticket.contact_phone == clean_phone(query))
    elif _CODE.match(query) and re.search(r"\d", query):
        code = normalize_tracking_code(query)
        found = list(db.session.scalars(scoped.where(Ticket.tracking_code == code)))
        if found:
            return found
        scoped = _words(scoped, query.split())
    else:
        scoped = _words(scoped, query.split())
    return list(db.session.scalars(scoped.order_by(Ticket.submitted_at.desc(), Ticket.id.desc())
                                   .limit(limit)))


def grams_of_ticket():
    """The expression ix_tickets_grams is built on (migration 0031), written as it is there."""
    joined = (func.coalesce(Ticket.text, literal_column("''")).op("||")(literal_column("' '"))
              .op("||")(func.coalesce(Ticket.address, literal_column("''"))))
    return func.ticket_grams(joined, type_=ARRAY(Text))


def _words(statement, words):
    words = [w[:50] for w in words[:6] if w]
    long_words = [w for w in words if len(w) >= TRIGRAM]
    short_words = [w.lower() for w in words if len(w) < TRIGRAM]
    if db.engine.dialect.name == "postgresql" and short_words:
        statement = statement.where(grams_of_ticket().op("@>")(
            cast(postgresql.array(short_words), ARRAY(Text))))
    if db.engine.dialect.name == "sqlite" and long_words:
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in long_words)
        statement = statement.where(Ticket.id.in_(
            text("SELECT rowid FROM ticket_search WHERE ticket_search MATCH :match")
            .bindparams(match=match).columns(column("rowid"))))
    for word in words:
        if db.engine.dialect.name == "sqlite" and len(word) >= TRIGRAM:
            continue  # FTS5 matched it
        if db.engine.dialect.name == "postgresql" and len(word) < TRIGRAM:
            continue  # the grams matched it exactly (a word holds no space, the grams' joint);
            # an ILIKE here could also lead the planner to the trigram index, which reads itself whole
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(or_(Ticket.text.ilike(like, escape="\\"),
                                        Ticket.address.ilike(like, escape="\\")))
    return statement
