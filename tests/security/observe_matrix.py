"""Not a check: prints what every route answers every role, to help write matrix entries.

    .venv/bin/python -m pytest -q tests/security/observe_matrix.py -s

(Its name keeps it out of the suite's collection; pytest runs it when named.)

Routes without URL values in access_matrix.PARAMS get 1; read the output, decide
what each role *should* get (a leak stays a leak however it is recorded), then
write the entry by hand.
"""
from collections import Counter

import pytest

from tests.security import access_matrix as matrix
from tests.security import walk
from tests.security.world import ROLES, build_world

OBSERVED = {}


@pytest.mark.parametrize("role", list(ROLES))
def test_observe(app, role, monkeypatch, capsys):
    for name in ("COMMUNITY_LOGIN_RATE", "COMMUNITY_TRACKING_RATE", "COMMUNITY_FILING_RATE",
                 "COMMUNITY_API_RATE", "COMMUNITY_API_IP_RATE", "COMMUNITY_API_FILING_RATE"):
        monkeypatch.setitem(app.config, name, "100000 per minute")
    world = build_world()
    client, token = walk.signed_in(app, ROLES[role])
    for key in walk.ordered(walk.route_keys(app)):
        url = walk.build_url(app, key, world, matrix.PARAMS, matrix.ENDPOINT_PARAMS,
                             fallback=lambda w: 1)
        body = matrix.BODIES.get(key)
        try:
            answer = walk.answer_class(walk.call(client, token, key, url,
                                                 body(world) if callable(body) else body))
        except Exception as exc:  # noqa: BLE001 - shown, not hidden
            answer = f"raised {type(exc).__name__}"
        OBSERVED.setdefault(key, {})[role] = answer
    if role == list(ROLES)[-1]:
        with capsys.disabled():
            for key in sorted(OBSERVED):
                row = OBSERVED[key]
                common = Counter(row.values()).most_common(1)[0][0]
                rest = "".join(f", {r!r}: {v!r}" for r, v in row.items() if v != common)
                mark = "" if key in matrix.EXPECTED else "   # NEW"
                print(f'    "{key}": {{"*": {common!r}{rest}}},{mark}')
