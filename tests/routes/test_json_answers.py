"""JSON answers are written by orjson, and read exactly as Flask's standard-library answers would."""

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import jsonify
from flask.json.provider import DefaultJSONProvider
from markupsafe import Markup

from web.json_answers import OrjsonAnswers


@dataclasses.dataclass
class _Place:
    code: str
    names: list[str]


def _standard_library_answer(app, value) -> bytes:
    """What Flask's own provider answers, configured as this app used to configure it."""
    standard = DefaultJSONProvider(app)
    standard.ensure_ascii, standard.sort_keys = False, False
    return standard.response(value).get_data()  # type: ignore[attr-defined]  # Flask's Response here


VALUES = {
    "a lookup-like answer": {"lon": 99.06, "lat": 28.94, "chain": [{"name_zh": "德钦县", "workers": [], "demo": True}]},
    "numbers": [0, -1, 2**63 - 1, 0.1, 123456.789, 1e300, None, False],
    "a date and a time": {"day": date(2026, 12, 7), "at": datetime(2026, 12, 7, 5, 30, tzinfo=UTC)},
    "a decimal, a uuid, markup": [Decimal("1.50"), uuid.UUID(int=7), Markup("<b>强</b>")],
    "a dataclass": _Place("533422", ["德钦", "Deqin"]),
    "keys that are not strings": {1: "one", 2.5: "two and a half", None: "none", False: "no"},
    "an integer beyond 64 bits": [2**70],
    "text that needs escaping": ['"quoted"\n\t\\', "\u2028", "\x00", "😀"],
}


def test_the_app_writes_its_answers_with_orjson(app):
    assert isinstance(app.json, OrjsonAnswers)


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_each_answer_is_byte_for_byte_the_standard_librarys(app, value):
    with app.test_request_context("/"):
        answer = jsonify(value)
        assert answer.mimetype == "application/json"
        assert answer.get_data() == _standard_library_answer(app, value)
        assert answer.headers["Content-Length"] == str(len(answer.get_data()))


def test_a_tiny_number_is_spelled_shorter_and_reads_the_same(app):
    with app.test_request_context("/"):
        assert jsonify([1e-7]).get_data() == b"[1e-7]\n"  # the standard library spells it 1e-07
        assert json.loads(jsonify([1e-7]).get_data()) == json.loads(_standard_library_answer(app, [1e-7]))


def test_what_nobody_can_write_still_fails_as_before(app):
    with app.test_request_context("/"), pytest.raises(TypeError):
        jsonify({"x": object()})


def test_the_debug_answer_stays_indented(app):
    app.debug = True
    try:
        with app.test_request_context("/"):
            assert jsonify({"a": [1]}).get_data() == b'{\n  "a": [\n    1\n  ]\n}\n'
    finally:
        app.debug = False


def test_a_lookup_answers_readable_chinese(client_as):
    answer = client_as("dispatcher").get("/api/lookup?lon=99.2991&lat=28.2446")
    assert answer.status_code == 200 and "德钦县".encode() in answer.get_data()
    assert answer.get_data().endswith(b"}\n") and json.loads(answer.get_data())["chain"]
