"""The demo's co-handler has cases to work, not only cases waiting for verification."""

from sqlalchemy import select

from geo.accounts.models import User
from geo.demo.workforce import CO_HANDLED_RUNNING, CO_HANDLER_VILLAGE
from geo.dispatch.models import Incident, IncidentCoHandler
from geo.dispatch.statuses import RUNNING, Status
from geo.grid.models import ForceMember


def test_the_demo_ranger_co_handles_running_cases_of_its_village(session):
    ranger = session.scalar(select(User).where(User.username == "ranger"))
    assert ranger is not None and ranger.force_member_id is not None
    cases = session.scalars(
        select(Incident)
        .join(IncidentCoHandler, IncidentCoHandler.incident_id == Incident.id)
        .where(IncidentCoHandler.member_id == ranger.force_member_id)
    ).all()
    running = [c for c in cases if Status(c.status) in RUNNING]
    assert len(running) == CO_HANDLED_RUNNING
    assert all(c.group_code.startswith(CO_HANDLER_VILLAGE) and c.is_demo for c in cases)
    assert session.get(ForceMember, ranger.force_member_id).is_demo
