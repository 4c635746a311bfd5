"""Principals, places and helpers shared by the dispatch tests."""

from datetime import UTC, datetime

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.dispatch.intake import IncidentInput, create_incident
from geo.dispatch.workflow import apply_action

ALL = frozenset({"social", "religious", "rural"})
DESK = Principal(0, "desk", Role.DISPATCHER, "533422", ALL)
BENZILAN_DESK = Principal(0, "benzilan-desk", Role.DISPATCHER, "533422102", frozenset({"social", "rural"}))
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
BENZILAN_SEAT = (99.2991, 28.2446)


def report(session, principal=DESK, where=BENZILAN_SEAT, category="dispute", net="social", key=None, now=T0, **extra):
    data = IncidentInput(net=net, category=category, title="测试事件", lon=where[0], lat=where[1], **extra)
    intake = create_incident(session, principal, data, idempotency_key=key, now=now)
    return intake.incident, intake.created


def act(session, incident, action, principal=DESK, now=T0, **extra):
    """Take ``action``; steps that need a note (reject, escalate, reassign, resolve) get one unless given."""
    extra.setdefault("note", NOTES.get(action, ""))
    return apply_action(session, principal, incident.ticket, action, version=incident.version, now=now, **extra)


#: A note for each step that needs one (``Action.needs_note``).
NOTES = {
    "reject": "不属于受理范围",
    "escalate": "超出本级处置能力",
    "reassign": "本组网格员请假",
    "resolve": "已到现场处理完毕",
}
