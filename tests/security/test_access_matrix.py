"""Every route × every role answers as tests/security/access_matrix.py says.

Walks the app's URL map: a route the matrix does not name fails the test (so
a new page cannot ship without someone deciding who may use it), and so does
an entry for a route that no longer exists. One request per cell; each role
walks its own fresh world (tests/security/world.py), reads first, then writes.
Every answer is also checked for the resident's full phone number: only the
handler's explicit reveal may show it.
"""
import pytest

from tests.security import access_matrix as matrix
from tests.security import walk
from tests.security.world import ROLES, build_world

RESIDENT_PHONE = b"13800000001"


def test_every_route_has_an_entry_for_every_role(app):
    served = walk.route_keys(app)
    missing = sorted(served - set(matrix.EXPECTED))
    assert not missing, ("routes with no entry in tests/security/access_matrix.py "
                         "(decide who may use them and add them): " + ", ".join(missing))
    stale = sorted(set(matrix.EXPECTED) - served)
    assert not stale, "entries for routes the app no longer serves: " + ", ".join(stale)
    for key, answers in matrix.EXPECTED.items():
        unknown = set(answers) - set(ROLES) - {"*"}
        assert not unknown, f"{key}: unknown roles {unknown}"
        assert "*" in answers or set(ROLES) <= set(answers), f"{key}: no answer for some roles"


@pytest.fixture
def unthrottled(app, monkeypatch):
    """One address sends every request here; the throttles have tests of their own."""
    for name in ("COMMUNITY_LOGIN_RATE", "COMMUNITY_TRACKING_RATE", "COMMUNITY_FILING_RATE",
                 "COMMUNITY_API_RATE", "COMMUNITY_API_IP_RATE", "COMMUNITY_API_FILING_RATE",
                 "COMMUNITY_OPEN311_READ_RATE"):
        monkeypatch.setitem(app.config, name, "100000 per minute")


@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_gets_the_expected_answers(app, role, unthrottled, frozen):
    world = build_world()
    client, token = walk.signed_in(app, ROLES[role])
    wrong = []
    for key in walk.ordered(walk.route_keys(app) & set(matrix.EXPECTED)):
        answers = matrix.EXPECTED[key]
        expected = answers.get(role, answers.get("*"))
        url = walk.build_url(app, key, world, matrix.PARAMS, matrix.ENDPOINT_PARAMS)
        body = matrix.BODIES.get(key)
        if key in walk.LAST:  # each ends the session: sign in afresh, as a person would
            client, token = walk.signed_in(app, ROLES[role])
        response = walk.call(client, token, key, url, body(world) if callable(body) else body)
        got = walk.answer_class(response)
        if got != expected:
            wrong.append(f"{key} as {role}: expected {expected}, got {got} ({url})")
        if RESIDENT_PHONE in response.get_data() and (key, role) not in matrix.PHONE_SHOWN:
            wrong.append(f"{key} as {role}: shows the resident's full phone number")
    assert not wrong, "\n".join(wrong)
