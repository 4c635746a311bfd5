"""Schemathesis fuzzes every operation of /api/openapi.json in-process: no 500, every answer as documented.

Writes: GET operations get data that fits the document and data that does not;
state-changing operations (POST, PATCH) get only data that does not fit it, which
each must refuse before writing anything. So the fuzzer cannot create incidents,
plans, zones or tasks that other tests would then count; ``nothing_written``
checks that it did not. (Valid writes are each tested by hand in their own module.)
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, func, select

from extensions import db, db_session
from geo.accounts.models import ApiToken
from geo.accounts.sessions import create_token
from geo.dispatch.models import Incident, IncidentCategory
from geo.patrol.models import PatrolTask, SeasonalZone
from geo.planning.models import Plan

#: Examples per operation and mode (about 55 of them per account): ~40 s for both accounts on 2 busy cores.
EXAMPLES = 5
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
WRITES = ("POST", "PATCH", "PUT", "DELETE")
TABLES = (Incident, IncidentCategory, Plan, SeasonalZone, PatrolTask)


@pytest.fixture(scope="module")
def tokens(app):
    """API tokens of the county admin and of 奔子栏镇's dispatcher, deleted afterwards."""
    with app.app_context():
        made = {user: create_token(db_session(), user, "schemathesis", actor="tests") for user in ("admin", "benzilan")}
        db.session.commit()
    yield made
    with app.app_context():
        db.session.execute(delete(ApiToken).where(ApiToken.name == "schemathesis"))
        db.session.commit()


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {table.__name__: db.session.scalars(select(func.count()).select_from(table)).one() for table in TABLES}


@pytest.mark.parametrize("user", ["admin", "benzilan"])
def test_every_operation_answers_as_documented(app, tokens, user):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    # Uncompressed: the in-process client does not undo Flask-Compress's gzip.
    headers = {"Authorization": f"Bearer {tokens[user]}", "Accept-Encoding": "identity"}
    before = _counts(app)
    failures: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()  # the document itself is well formed
        operation = result.ok()
        modes = [GenerationMode.NEGATIVE] if operation.method.upper() in WRITES else [GenerationMode.POSITIVE]
        if operation.method.upper() not in WRITES and (len(operation.query) or len(operation.body)):
            # Only a query or a body can break the document: a path's strings cannot, and its ids are
            # tested beyond int4 in test_bad_input.py (hypothesis would search long for a bad string).
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            )
            def call(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except Unsatisfiable:
                pass  # no input breaks the document (an operation without parameters): nothing to send
            except (Exception, BaseExceptionGroup) as failure:  # gather every operation's failures, report them all
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    print(f"{user}: fuzzed in {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)
    assert _counts(app) == before, "the fuzzer wrote something"
