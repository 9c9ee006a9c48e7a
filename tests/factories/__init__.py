"""Test data, built through the real services: one module per domain.

database  the reference rows every test starts from; count(model)
people    the county C tree of areas, a user per role, PASSWORD, make_supervisor
web       login(client, name) through the real form; csrf_from(page)
tickets   T0 (Monday 23 November 2026, 10:00 in Shanghai), H, file_ticket
ratings   resolved_ticket: filed, accepted and resolved, ready to rate
links     代办 requests and the links texted for them
projects  民生小实事 projects at each stage, and the street's rules
"""
from .database import count, reset_database, restore_rows, snapshot_reference_data, snapshot_rows
from .links import ELDER_PHONE, daiban, resolved_daiban, texted_link, texts_to
from .people import PASSWORD, hashed_password, make_areas, make_people, make_supervisor
from .projects import DAY, approved, deliberating, delivered, passing, proposal, street_rules
from .ratings import resolved_ticket
from .tickets import H, T0, file_ticket
from .web import csrf_from, login

__all__ = ["DAY", "ELDER_PHONE", "H", "PASSWORD", "T0", "approved", "count", "csrf_from", "daiban",
           "deliberating", "delivered", "file_ticket", "hashed_password", "login", "make_areas",
           "make_people", "make_supervisor", "passing", "proposal", "reset_database",
           "resolved_daiban", "resolved_ticket", "restore_rows", "snapshot_reference_data",
           "snapshot_rows", "street_rules",
           "texted_link", "texts_to"]
