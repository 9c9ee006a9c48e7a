"""Property-based run of the JSON API against its own OpenAPI document.

Schemathesis generates requests (valid and invalid) for every operation
(token self-revocation aside) from /api/v1/openapi.json and checks that none answers with a
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
# Every operation the document describes, but one: revoking a token would revoke the
# token the run itself uses (tests/api/test_tokens.py covers it).
LEFT_OUT = {("/api/v1/tokens/{token_id}", "DELETE")}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


def isolated(app):
    """Each request in a fresh context, as in production (see tests/conftest.py)."""
    def wsgi(environ, start_response):
        return contextvars.Context().run(app, environ, start_response)
    return wsgi


def test_the_api_keeps_to_its_openapi_document(app, people, mapped, token, ctx):
    ticket = file_ticket(people, mapped, now=utcnow())  # the API acts on it at the real now
    headers = token("grid")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated(app))
    app.config.update(COMMUNITY_API_RATE="100000 per minute",
                      COMMUNITY_API_FILING_RATE="100000 per minute")
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
                case.call_and_validate(headers=headers, checks=CHECKS)

            run()
    finally:
        app.config.update(COMMUNITY_API_RATE="120 per minute",
                          COMMUNITY_API_FILING_RATE="60 per hour")
