"""Synthetic copies are told from real cases by their own ticket form, never by a county's prefix."""

from sqlalchemy import select, update

from geo.demo.synthetic import add_stacked_incidents, is_synthetic
from geo.dispatch.models import Incident


def test_a_copy_is_synthetic_and_a_real_case_of_a_county_whose_tickets_begin_sy_is_not(session):
    real = session.scalar(select(Incident).limit(1))
    session.execute(update(Incident).where(Incident.id == real.id).values(ticket="SY-2026-000001", is_demo=False))
    assert add_stacked_incidents(session, 1) > 0
    copies = session.scalars(select(Incident.ticket).where(is_synthetic())).all()
    assert copies and all(ticket.startswith("SY") and ticket[2:].isdigit() and len(ticket) == 14 for ticket in copies)
    assert "SY-2026-000001" not in copies
    # A demo case whose county's tickets begin SY- is copied like the others, not taken for a copy.
    session.execute(update(Incident).where(Incident.id == real.id).values(is_demo=True))
    assert session.scalar(select(Incident.id).where(is_synthetic(), Incident.id == real.id)) is None
