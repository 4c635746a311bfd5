"""Idempotency keys: the same request gives the same fingerprint, a malformed key is refused by name."""

from datetime import date

import pytest

from geo.core.errors import InvalidInput
from geo.core.idempotency import IdempotencyKey, fingerprint

REPORT = {"net": "social", "title": "纠纷", "lon": 99.2991, "lat": 28.2446}


def test_the_same_values_in_any_order_have_one_fingerprint():
    assert fingerprint(REPORT) == fingerprint(dict(reversed(REPORT.items())))
    assert fingerprint({"on": date(2026, 6, 1)}) == fingerprint({"on": date(2026, 6, 1)})


@pytest.mark.parametrize(
    "other",
    [
        {**REPORT, "title": "纠纷 "},
        {**REPORT, "lon": 99.2992},
        {k: v for k, v in REPORT.items() if k != "net"},
        {**REPORT, "note": None},
    ],
)
def test_any_change_of_a_value_changes_the_fingerprint(other):
    assert fingerprint(other) != fingerprint(REPORT)


def test_no_key_is_no_promise_and_a_key_carries_its_body():
    assert IdempotencyKey.of("dispatcher", None, REPORT) is None
    key = IdempotencyKey.of("dispatcher", "phone-7-0001", REPORT)
    assert key == IdempotencyKey("dispatcher", "phone-7-0001", fingerprint(REPORT))


@pytest.mark.parametrize("bad", ["", "k" * 101])
def test_a_key_of_the_wrong_length_is_refused_by_name(bad):
    with pytest.raises(InvalidInput) as refused:
        IdempotencyKey.of("dispatcher", bad, REPORT)
    assert refused.value.field == "Idempotency-Key"
    IdempotencyKey.of("dispatcher", "k" * 100, REPORT)
