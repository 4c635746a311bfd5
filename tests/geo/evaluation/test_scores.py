"""Scores and grades: the published formulas, empty denominators, thresholds, and versioned schemes."""

from dataclasses import dataclass

import pytest

from geo.core.errors import InvalidInput
from geo.core.models import AuditEvent
from geo.evaluation.models import ScoringScheme
from geo.evaluation.scores import (
    DEFAULT_GRID_COMPONENTS,
    DEFAULT_THRESHOLDS,
    DEFAULT_WORKER_COMPONENTS,
    current_scheme,
    grade_of,
    grid_score,
    new_scheme,
    scheme_version,
    worker_score,
)


@dataclass(frozen=True)
class Ratio:
    numerator: float
    denominator: float | None


def _published() -> ScoringScheme:
    return ScoringScheme(
        version=1,
        grid_components=list(DEFAULT_GRID_COMPONENTS),
        worker_components=list(DEFAULT_WORKER_COMPONENTS),
        grade_thresholds=dict(DEFAULT_THRESHOLDS),
    )


def test_the_grid_score_is_the_published_formula():
    # 按期处置率 0.8 × 60 + 结案率 911/972 × 30 + (1 − 返工率 0.05) × 10
    figures = {
        "on_time_handling_rate": Ratio(800, 1000),
        "closure_rate": Ratio(911, 972),
        "rework_rate": Ratio(50, 1000),
    }
    score = grid_score(figures, _published())
    assert score.value == pytest.approx(48 + 911 / 972 * 30 + 9.5, abs=0.01)
    assert score.grade == "B" and score.scheme_version == 1 and score.missing == ()


def test_the_worker_score_is_the_published_formula():
    figures = {
        "valid_report_rate": Ratio(19, 20),
        "on_time_handling_rate": Ratio(8, 10),
        "closure_rate": Ratio(10, 10),
        "satisfaction_rate": Ratio(9, 10),
    }
    score = worker_score(figures, _published())
    assert score.value == pytest.approx(0.95 * 40 + 0.8 * 20 + 20 + 0.9 * 20)
    assert score.grade == "A"


def test_an_empty_denominator_is_left_out_and_the_other_weights_scaled_up():
    figures = {
        "valid_report_rate": Ratio(1, 2),
        "on_time_handling_rate": Ratio(1, 1),
        "closure_rate": Ratio(1, 1),
        "satisfaction_rate": Ratio(0, 0),  # no call-backs: not a satisfaction of 0
    }
    score = worker_score(figures, _published())
    assert score.missing == ("satisfaction_rate",)
    assert score.value == pytest.approx((0.5 * 40 + 20 + 20) * 100 / 80)


def test_too_little_to_score_gives_no_score_and_no_grade():
    # A grid with no case due: every component empty.
    empty = {name: Ratio(0, 0) for name in ("on_time_handling_rate", "closure_rate", "rework_rate")}
    score = grid_score(empty, _published())
    assert score.value is None and score.grade is None
    # Only the 10-point rework component present: under half the weight.
    assert grid_score({"rework_rate": Ratio(0, 5)}, _published()).value is None


@pytest.mark.parametrize(
    ("value", "grade"), [(100, "A"), (90, "A"), (89.99, "B"), (75, "B"), (60, "C"), (40, "D"), (39.99, "E"), (0, "E")]
)
def test_grades_follow_the_thresholds(value, grade):
    assert grade_of(value, DEFAULT_THRESHOLDS) == grade


def test_new_weights_make_a_new_version_the_old_one_kept_and_audited(session):
    first = current_scheme(session)
    assert first.version == 1
    changed = new_scheme(
        session,
        actor="admin",
        grid_components=[
            {"indicator": "on_time_handling_rate", "weight": 50},
            {"indicator": "closure_rate", "weight": 40},
            {"indicator": "rework_rate", "weight": 10, "inverted": True},
        ],
        grade_thresholds={"A": 95, "B": 80, "C": 60, "D": 40},
        note="heavier closure",
    )
    assert changed.version == 2 and current_scheme(session) is changed
    assert changed.worker_components == first.worker_components  # what is not given stays
    assert scheme_version(session, 1).grid_components == list(DEFAULT_GRID_COMPONENTS)
    event = session.query(AuditEvent).filter_by(action="scheme.create", entity_id=str(changed.id)).one()
    assert event.before["version"] == 1 and event.after["grade_thresholds"]["A"] == 95
    figures = {"on_time_handling_rate": Ratio(9, 10), "closure_rate": Ratio(9, 10), "rework_rate": Ratio(0, 10)}
    assert grid_score(figures, first).value == pytest.approx(91) and grid_score(figures, first).grade == "A"
    assert grid_score(figures, changed).value == pytest.approx(91) and grid_score(figures, changed).grade == "B"
    assert grid_score(figures, changed).scheme_version == 2


@pytest.mark.parametrize(
    "change",
    [
        {"grid_components": [{"indicator": "closure_rate", "weight": 90}]},
        {
            "grid_components": [
                {"indicator": "closure_rate", "weight": -10},
                {"indicator": "rework_rate", "weight": 110},
            ]
        },
        {"grid_components": [{"indicator": "no_such_rate", "weight": 100}]},
        {"grade_thresholds": {"A": 60, "B": 75, "C": 60, "D": 40}},
        {"grade_thresholds": {"A": 90, "B": 75}},
        {"grade_thresholds": {"A": 190, "B": 75, "C": 60, "D": 40}},
    ],
)
def test_bad_schemes_are_refused(session, change):
    with pytest.raises(InvalidInput):
        new_scheme(session, actor="admin", known_indicators=frozenset({"closure_rate", "rework_rate"}), **change)
