"""Issued assessments are traceable: frozen figures, the exact cases behind them, versions and what changed."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from geo.accounts.models import Role
from geo.accounts.principal import AccessDenied, Principal
from geo.core.errors import InvalidInput, NotFound
from geo.core.models import AuditEvent
from geo.dispatch.models import Incident
from geo.evaluation import assessments
from geo.evaluation.models import AssessmentFigure
from tests.geo.evaluation.cases import GROUP, closed_on, make_cases

ALL = frozenset({"social", "religious", "rural"})
ADMIN = Principal(0, "county-admin", Role.ADMIN, "533422", ALL)
LEADER = Principal(0, "leader", Role.VIEWER, "533422", ALL)
SECULAR = Principal(0, "secular", Role.VIEWER, "533422", frozenset({"social", "rural"}))
TOWNSHIP = Principal(0, "benzilan", Role.VIEWER, GROUP[:9], ALL)
OTHER_TOWNSHIP = Principal(0, "yanmen", Role.VIEWER, "533422104", ALL)
PERIOD = "2031-03"
DUE = datetime(2031, 3, 20, 4, 0, tzinfo=UTC)


def _issue(session):
    return assessments.issue_period(session, ADMIN, PERIOD)


def _figure(session, assessment, reader=LEADER, code=GROUP, indicator="closure_rate"):
    found = [
        figure
        for figure in assessments.figures_for(session, reader, assessment, subject="grid")
        if figure.subject_code == code and figure.indicator == indicator
    ]
    assert len(found) == 1, (code, indicator)
    return found[0]


def _ids(session, assessment, reader=LEADER, part="numerator", indicator="closure_rate", code=GROUP):
    count, cases = assessments.cases_of(session, reader, assessment, indicator=indicator, grid_code=code, part=part)
    assert count == len(cases)  # one page holds them
    return [case.id for case in cases]


@pytest.fixture
def march(session):
    """Four cases due in March 2031: three closed (two on time), one still running."""
    on_time = make_cases(session, 2, **closed_on(DUE, DUE - timedelta(hours=3)))
    late = make_cases(session, 1, **closed_on(DUE, DUE + timedelta(hours=5)))
    running = make_cases(session, 1, status="dispatched", dispatched_at=DUE - timedelta(days=1), due_at=DUE)
    return {"on_time": on_time, "late": late, "running": running}


def test_an_issued_assessment_freezes_its_figures_and_the_cases_behind_them(session, march):
    issued = _issue(session)
    figure = _figure(session, issued)
    assert (figure.numerator, figure.denominator, round(figure.value, 2)) == (3, 4, 75.0)
    assert _ids(session, issued) == sorted(march["on_time"] + march["late"])
    assert _ids(session, issued, part="denominator") == sorted(march["on_time"] + march["late"] + march["running"])
    assert issued.version == 1 and issued.scheme.version >= 1
    # The village and township above the group count the same cases (codes nest by prefix).
    assert _ids(session, issued, code=GROUP[:12]) == _ids(session, issued)


def test_later_changes_to_cases_leave_an_issued_assessment_as_it_was(session, march):
    issued = _issue(session)
    session.execute(
        update(Incident).where(Incident.id.in_(march["running"])).values(**closed_on(DUE, DUE - timedelta(hours=1)))
    )
    session.execute(update(Incident).where(Incident.id.in_(march["late"])).values(due_at=DUE + timedelta(days=40)))
    session.expire_all()
    figure = _figure(session, issued)
    assert (figure.numerator, figure.denominator) == (3, 4)
    assert _ids(session, issued) == sorted(march["on_time"] + march["late"])


def test_re_issuing_makes_a_new_version_and_names_what_changed(session, march):
    first = _issue(session)
    session.execute(
        update(Incident).where(Incident.id.in_(march["running"])).values(**closed_on(DUE, DUE - timedelta(hours=1)))
    )
    second = _issue(session)
    assert second.version == first.version + 1
    assert (_figure(session, first).numerator, _figure(session, second).numerator) == (3, 4)
    changed = {
        (change["nets"], change["code"], change["indicator"]): change
        for change in second.changes
        if change["subject"] == "grid"
    }
    closure = changed[(assessments.nets_key(ALL), GROUP, "closure_rate")]
    assert closure["before"]["numerator"] == 3 and closure["after"]["numerator"] == 4
    newest = assessments.latest(session, PERIOD, "533422")
    assert newest is not None and newest.id == second.id
    # The first version is kept, unchanged, beside the second.
    assert [a.version for a in assessments.assessments(session, LEADER) if a.period == PERIOD][:2] == [2, 1]


def test_issuing_is_audited_with_its_scheme_version(session, march):
    issued = _issue(session)
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "assessment", AuditEvent.entity_id == str(issued.id))
    ).one()
    assert event.action == "assessment.issue" and event.actor == "county-admin"
    assert event.after["scheme_version"] == issued.scheme.version
    assert event.after["figures"] == session.query(AssessmentFigure).filter_by(assessment_id=issued.id).count()


def test_religious_cases_are_frozen_only_into_the_view_of_readers_holding_that_net(session, march):
    religious = make_cases(session, 2, net="religious", **closed_on(DUE, DUE - timedelta(hours=2)))
    issued = _issue(session)
    assert _figure(session, issued).numerator == 5
    assert _figure(session, issued, reader=SECULAR).numerator == 3
    assert not set(religious) & set(_ids(session, issued, reader=SECULAR))
    assert set(religious) <= set(_ids(session, issued))


def test_a_reader_sees_only_figures_and_cases_of_their_jurisdiction(session, march):
    issued = _issue(session)
    assert _ids(session, issued, reader=TOWNSHIP) == _ids(session, issued)
    codes = {figure.grid_code for figure in assessments.figures_for(session, TOWNSHIP, issued)}
    assert codes and all(code.startswith(GROUP[:9]) for code in codes)
    with pytest.raises(NotFound):
        _ids(session, issued, reader=OTHER_TOWNSHIP)


def test_only_the_county_issues_and_bad_requests_are_refused_by_name(session):
    with pytest.raises(AccessDenied):
        assessments.issue_period(session, LEADER, PERIOD)
    with pytest.raises(AccessDenied):
        assessments.issue_period(session, Principal(0, "t", Role.ADMIN, GROUP[:9], ALL), PERIOD)
    with pytest.raises(InvalidInput):
        assessments.issue(session, ADMIN, county="533422", period="x", since=date(2031, 3, 31), until=date(2031, 3, 1))
    issued = _issue(session)
    with pytest.raises(InvalidInput, match="indicator"):
        assessments.cases_of(session, LEADER, issued, indicator="nonsense", grid_code=GROUP)
    with pytest.raises(InvalidInput, match="part"):
        assessments.cases_of(session, LEADER, issued, indicator="closure_rate", grid_code=GROUP, part="both")
    with pytest.raises(InvalidInput, match="grid or a worker"):
        assessments.cases_of(session, LEADER, issued, indicator="closure_rate")


def test_the_monthly_job_issues_the_month_before(session, march):
    [issued] = assessments.issue_month_before(session, ADMIN, date(2031, 4, 1))
    assert (issued.county_code, issued.period, issued.since, issued.until) == (
        "533422",
        PERIOD,
        date(2031, 3, 1),
        date(2031, 3, 31),
    )


def test_the_dashboards_trend_reads_an_issued_month_as_it_was_issued(session, march):
    from geo.evaluation.dashboard import Filters, tiles, trend
    from geo.evaluation.periods import Period

    issued = _issue(session)
    frozen = _figure(session, issued).value
    # The running case closes after issuing: live figures change, the issued month does not.
    session.execute(
        update(Incident).where(Incident.id.in_(march["running"])).values(**closed_on(DUE, DUE - timedelta(hours=1)))
    )
    april = Filters(focus=GROUP, period=Period.parse("2031-04"), period_code="2031-04")
    may = date(2031, 5, 1)  # the hand-made cases lie in 2031: read the dashboard as if it were then
    series = trend(session, LEADER, april, today=may)
    march_at = series["months"].index(PERIOD)
    assert series["series"]["closure_rate"][march_at] == round(frozen, 2) == 75.0
    previous = next(t for t in tiles(session, LEADER, april, today=may) if t["indicator"] == "closure_rate")["previous"]
    assert previous["value"] == 75.0
    # With a category (no issued cut holds it) the month is computed: all four closed now.
    by_category = Filters(focus=GROUP, period=Period.parse("2031-04"), period_code="2031-04", category="dispute")
    assert trend(session, LEADER, by_category, today=may)["series"]["closure_rate"][march_at] == 100.0
    # Before March has ended it is computed too, issued or not.
    assert trend(session, LEADER, april, today=date(2031, 3, 20))["series"]["closure_rate"][march_at] == 100.0


def test_a_figure_differing_only_in_its_last_bits_is_not_a_change():
    figure = {"numerator": 10.266137863055556, "denominator": 3.0, "value": 0.1 + 0.2, "grade": "B"}
    assert assessments._same_figure(figure, {**figure, "numerator": 10.266137863055555, "value": 0.3})
    assert not assessments._same_figure(figure, {**figure, "numerator": 10.27})
    assert not assessments._same_figure(figure, {**figure, "grade": "C"})
    assert not assessments._same_figure(figure, None) and assessments._same_figure(None, None)
