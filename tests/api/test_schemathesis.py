"""Property-based run of the JSON API against its own OpenAPI document.

Schemathesis generates requests (valid and invalid) for every operation
from /api/v1/openapi.json (token self-revocation with a token of its own each time) and checks that none answers with a
server error, and that every answer matches the document (status codes,
content types, bodies). Bounded: a few examples per operation.
"""
import contextvars
import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance,
                                               status_code_conformance)

from community.core.timeutil import utcnow
from tests.factories import file_ticket

# SCHEMATHESIS_MODE=long (or SCHEMATHESIS_EXAMPLES=N) runs many more examples.
LONG = os.environ.get("SCHEMATHESIS_MODE") == "long"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 300 if LONG else 25))
# Every operation the document describes in one run, but one: revoking a token would
# revoke the token the run itself uses; own_token_run covers it with tokens of its own.
LEFT_OUT = {("/api/v1/tokens/{token_id}", "DELETE")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


def isolated(app):
    """Each request in a fresh context, as in production (see tests/conftest.py)."""
    def wsgi(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)
    return wsgi


def own_token_run(schema, people, answered):
    """Token self-revocation, left out above, runs here: each example with a token of
    its own, which it may revoke (the path names that token half the time)."""
    from community.api.tokens import create_token
    from community.core.extensions import db

    operation = schema["/api/v1/tokens/{token_id}"]["DELETE"]

    @given(case=operation.as_strategy(), own=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case, own):
        row, secret = create_token(people.grid, utcnow())
        db.session.commit()
        if own:
            case.path_parameters["token_id"] = row.id
        response = case.call_and_validate(headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS)
        answered.setdefault(("/api/v1/tokens/{token_id}", "DELETE"), set()).add(response.status_code)

    run()


def test_the_api_keeps_to_its_openapi_document(app, people, mapped, token, ctx):
    ticket = file_ticket(people, mapped, now=utcnow())  # the API acts on it at the real now
    headers = token("grid")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated(app))
    rates = [app.config[k] for k in ("COMMUNITY_API_RATE", "COMMUNITY_API_IP_RATE",
                                     "COMMUNITY_API_FILING_RATE")]
    app.config.update(COMMUNITY_API_RATE="100000 per minute", COMMUNITY_API_IP_RATE="100000 per minute",
                      COMMUNITY_API_FILING_RATE="100000 per minute")
    answered = {}
    try:
        operations = [(op.path, op.method.upper()) for op in
                      (result.ok() for result in schema.get_all_operations())]
        assert len(operations) >= 35
        operations = [op for op in operations if op not in LEFT_OUT]
        for path, method in operations:
            operation = schema[path][method]

            @given(case=operation.as_strategy(), real=st.booleans())
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case, real):
                if real and "code" in (case.path_parameters or {}):
                    case.path_parameters["code"] = ticket.tracking_code  # reach a real request
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                answered.setdefault((path, method), set()).add(response.status_code)

            run()
        own_token_run(schema, people, answered)
        # Every operation was reached, not only the rate limiter (a limit spent by the
        # operations before left the last ones answering 429 alone, once).
        assert set(answered) == set(operations) | LEFT_OUT
        assert not [op for op, statuses in answered.items() if statuses <= {429}]
        assert 204 in answered[("/api/v1/tokens/{token_id}", "DELETE")]  # a token revoked itself
    finally:
        app.config.update(COMMUNITY_API_RATE=rates[0], COMMUNITY_API_IP_RATE=rates[1],
                          COMMUNITY_API_FILING_RATE=rates[2])
