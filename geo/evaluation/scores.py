"""Scores and grades: weighted sums of indicator rates, under a versioned scheme.

The grid score (the composite used for departments in digital urban management)
is 按期处置率 × 60 + 结案率 × 30 + (1 − 返工率) × 10; the grid worker's is
有效上报率 × 40 + 按期处置率 × 20 + 结案率 × 20 + 满意率 × 20; both run from 0 to
100. Grades: A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, E below.

Admins change weights and thresholds with ``new_scheme``: each change is a new
``ScoringScheme`` version (audited); old versions stay, and each ``Score`` names
the version it used.

An empty denominator (no case was due, no report was made) is not a rate of 0:
that component is left out and the others' weights are scaled up to 100, so a
worker with no call-backs is scored on the rest, not punished for them. When the
components left carry less than half of the weight, there is too little to score:
the score is None (shown as "—") and no grade is given. docs/indicators.md says
the same under "Scores and grades".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from geo.core import audit
from geo.core.errors import InvalidInput
from geo.evaluation.models import ScoringScheme

GRADES = ("A", "B", "C", "D", "E")
#: Below this share of the total weight present, a subject is not scored.
MINIMUM_WEIGHT_PRESENT = 0.5
TOTAL_WEIGHT = 100

DEFAULT_GRID_COMPONENTS = (
    {"indicator": "on_time_handling_rate", "weight": 60, "inverted": False},
    {"indicator": "closure_rate", "weight": 30, "inverted": False},
    {"indicator": "rework_rate", "weight": 10, "inverted": True},
)
DEFAULT_WORKER_COMPONENTS = (
    {"indicator": "valid_report_rate", "weight": 40, "inverted": False},
    {"indicator": "on_time_handling_rate", "weight": 20, "inverted": False},
    {"indicator": "closure_rate", "weight": 20, "inverted": False},
    {"indicator": "satisfaction_rate", "weight": 20, "inverted": False},
)
DEFAULT_THRESHOLDS = {"A": 90, "B": 75, "C": 60, "D": 40}


class Ratio(Protocol):
    """What a score reads of a figure: its numerator and denominator (an indicator's ``Figure``)."""

    @property
    def numerator(self) -> float: ...

    @property
    def denominator(self) -> float | None: ...


@dataclass(frozen=True)
class Score:
    """A subject's score, its grade, the scheme version used and the components it was computed from."""

    value: float | None
    grade: str | None
    scheme_version: int
    #: indicator id → points contributed (after rescaling); absent components are listed in ``missing``.
    points: dict[str, float]
    missing: tuple[str, ...]


def current_scheme(session: Session) -> ScoringScheme:
    """The scheme in force: the highest version (the migration adds version 1, the published formulas)."""
    scheme = session.scalars(select(ScoringScheme).order_by(ScoringScheme.version.desc()).limit(1)).first()
    if scheme is None:
        raise InvalidInput("no scoring scheme exists; run the database migrations")
    return scheme


def scheme_version(session: Session, version: int) -> ScoringScheme:
    scheme = session.scalars(select(ScoringScheme).where(ScoringScheme.version == version)).first()
    if scheme is None:
        raise InvalidInput("there is no scoring scheme version {version}", field="version", version=version)
    return scheme


def schemes(session: Session) -> list[ScoringScheme]:
    """Every version, newest first."""
    return list(session.scalars(select(ScoringScheme).order_by(ScoringScheme.version.desc())))


def new_scheme(
    session: Session,
    *,
    actor: str,
    grid_components: list[dict] | None = None,
    worker_components: list[dict] | None = None,
    grade_thresholds: dict[str, float] | None = None,
    note: str = "",
    known_indicators: frozenset[str] | None = None,
    address: str | None = None,
) -> ScoringScheme:
    """Add the next version, changing what is given and keeping the rest of the current one; audited.

    Components are ``{"indicator", "weight", "inverted"}``; weights are not negative and add up to 100.
    Thresholds give A, B, C and D their lowest scores, from 100 down, each below the one before.
    """
    current = current_scheme(session)
    grid = _checked_components(grid_components, "grid_components", known_indicators) if grid_components else None
    worker = (
        _checked_components(worker_components, "worker_components", known_indicators) if worker_components else None
    )
    thresholds = _checked_thresholds(grade_thresholds) if grade_thresholds else None
    version = (session.scalar(select(func.max(ScoringScheme.version))) or 0) + 1
    scheme = ScoringScheme(
        version=version,
        grid_components=grid or current.grid_components,
        worker_components=worker or current.worker_components,
        grade_thresholds=thresholds or current.grade_thresholds,
        note=note,
        created_by=actor,
    )
    session.add(scheme)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="scheme.create",
        entity="scoring_scheme",
        entity_id=scheme.id,
        before=scheme_summary(current),
        after=scheme_summary(scheme),
        address=address,
    )
    return scheme


def scheme_summary(scheme: ScoringScheme) -> dict:
    return {
        "version": scheme.version,
        "grid_components": scheme.grid_components,
        "worker_components": scheme.worker_components,
        "grade_thresholds": scheme.grade_thresholds,
        "note": scheme.note,
        "created_by": scheme.created_by,
        "created_at": scheme.created_at.isoformat() if scheme.created_at else None,
    }


def grid_score(figures: Mapping[str, Ratio], scheme: ScoringScheme) -> Score:
    """A grid's score from its figures (indicator id → figure) under ``scheme``."""
    return _score(figures, scheme.grid_components, scheme)


def worker_score(figures: Mapping[str, Ratio], scheme: ScoringScheme) -> Score:
    """A grid worker's score from their figures under ``scheme``."""
    return _score(figures, scheme.worker_components, scheme)


def grade_of(value: float | None, thresholds: Mapping[str, float]) -> str | None:
    """The grade of a score: the first of A–D whose threshold it reaches, else E; None for no score."""
    if value is None:
        return None
    for grade in GRADES[:-1]:
        if value >= thresholds[grade]:
            return grade
    return GRADES[-1]


def rate(figure: Ratio | None) -> float | None:
    """A figure's rate as a fraction (numerator / denominator); None when there is no denominator."""
    if figure is None or not figure.denominator:
        return None
    return figure.numerator / figure.denominator


def _score(figures: Mapping[str, Ratio], components: list[dict], scheme: ScoringScheme) -> Score:
    present: dict[str, tuple[float, float]] = {}
    missing = []
    for component in components:
        share = rate(figures.get(component["indicator"]))
        if share is None:
            missing.append(component["indicator"])
            continue
        present[component["indicator"]] = (1 - share if component["inverted"] else share, component["weight"])
    weight_present = sum(weight for _, weight in present.values())
    total = sum(component["weight"] for component in components)
    if not total or weight_present < MINIMUM_WEIGHT_PRESENT * total:
        return Score(None, None, scheme.version, {}, tuple(missing))
    scale = TOTAL_WEIGHT / weight_present
    points = {indicator: round(share * weight * scale, 2) for indicator, (share, weight) in present.items()}
    value = round(sum(share * weight * scale for share, weight in present.values()), 2)
    return Score(value, grade_of(value, scheme.grade_thresholds), scheme.version, points, tuple(missing))


def _checked_components(components: list[dict], field: str, known: frozenset[str] | None) -> list[dict]:
    checked: list[dict] = []
    for component in components:
        indicator = component.get("indicator")
        weight = component.get("weight")
        if not isinstance(indicator, str) or (known is not None and indicator not in known):
            raise InvalidInput("{field}: unknown indicator {indicator}", field=field, indicator=str(indicator))
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            raise InvalidInput(
                "{field}: the weight of {indicator} must be a number ≥ 0", field=field, indicator=indicator
            )
        checked.append({"indicator": indicator, "weight": weight, "inverted": bool(component.get("inverted", False))})
    if len({c["indicator"] for c in checked}) != len(checked):
        raise InvalidInput("{field}: an indicator is listed twice", field=field)
    if abs(sum(c["weight"] for c in checked) - TOTAL_WEIGHT) > 1e-9:
        raise InvalidInput("{field}: the weights must add up to 100", field=field)
    return checked


def _checked_thresholds(thresholds: Mapping[str, float]) -> dict[str, float]:
    if set(thresholds) != set(GRADES[:-1]):
        raise InvalidInput("grade_thresholds: give exactly A, B, C and D", field="grade_thresholds")
    values = [thresholds[grade] for grade in GRADES[:-1]]
    if any(not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= TOTAL_WEIGHT for v in values):
        raise InvalidInput("grade_thresholds: each threshold is a number from 0 to 100", field="grade_thresholds")
    if any(higher <= lower for higher, lower in pairwise(values)):
        raise InvalidInput("grade_thresholds: A > B > C > D", field="grade_thresholds")
    return {grade: thresholds[grade] for grade in GRADES[:-1]}
