"""综合评价: recording a closed case's call-back (回访) or residents' rating, and 返工 on 不满意.

A case is evaluated once per closure. Saying something else about it later is a
correction: a new record naming the one it replaces, audited like the first. An
unsatisfied resident may have the case sent back (返工): it returns to 任务派遣
with a fresh deadline and its rework counted, through the workflow's own reopen
step, so its history, audit and deadline rules are the workflow's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.core.audit import PUBLIC_ACTOR, record
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, NotFound, one_of
from geo.dispatch.intake import clean_text
from geo.dispatch.models import Incident
from geo.dispatch.scope import visible
from geo.dispatch.statuses import Status
from geo.dispatch.workflow import InvalidTransition, apply_action, record_event, touch
from geo.evaluation.record_models import EvaluationSource, IncidentEvaluation, Satisfaction


class AlreadyEvaluated(GridError):
    """The case has its evaluation for this closure; a change must be a correction naming it."""

    status = 409


def current_evaluation(session: Session, incident_id: int) -> IncidentEvaluation | None:
    """The case's evaluation in force: its latest record that no other record replaces."""
    replaced = select(IncidentEvaluation.replaces_id).where(IncidentEvaluation.replaces_id.is_not(None))
    return session.scalar(
        select(IncidentEvaluation)
        .where(IncidentEvaluation.incident_id == incident_id, IncidentEvaluation.id.not_in(replaced))
        .order_by(IncidentEvaluation.at.desc(), IncidentEvaluation.id.desc())
        .limit(1)
    )


def evaluation_summary(evaluation: IncidentEvaluation) -> dict:
    """An evaluation as the API and the audit trail give it."""
    return {
        "id": evaluation.id,
        "result": evaluation.result,
        "note": evaluation.note,
        "source": evaluation.source,
        "actor": evaluation.actor,
        "at": evaluation.at.isoformat(),
        "replaces": evaluation.replaces_id,
        "reopened": evaluation.reopened,
    }


def evaluate(
    session: Session,
    principal: Principal | None,
    incident_id: int,
    result: str,
    note: str = "",
    *,
    source: EvaluationSource | str = EvaluationSource.CALLBACK,
    reopen: bool = False,
    actor: str | None = None,
    replaces: int | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> IncidentEvaluation:
    """Record ``result`` for the closed case ``incident_id``; with ``reopen`` an unsatisfied one goes back (返工).

    ``principal`` is the dispatcher or admin recording a call-back inside their
    jurisdiction and nets; None for the residents' own rating (``actor`` then
    names who, "public" by default). A second evaluation of the same closure is
    refused (409) unless it is a correction naming the current record in
    ``replaces``. Raises NotFound for a case the caller may not see,
    InvalidTransition (422) for a case not closed, AccessDenied (403) without the
    capability or outside the jurisdiction.
    """
    now = now or now_utc()
    incident = _incident_for(session, principal, incident_id)
    satisfaction = one_of(Satisfaction, result, "result")
    channel = one_of(EvaluationSource, source, "source")
    note = clean_text(note, "note")
    if reopen and satisfaction is not Satisfaction.DISSATISFIED:
        raise InvalidInput("only a dissatisfied evaluation can reopen the case", field="reopen")
    current = current_evaluation(session, incident.id)
    if replaces is None:
        _require_unevaluated_closure(incident, current)
    else:
        _require_current(session, incident, current, replaces)
    if reopen and incident.status != Status.CLOSED:
        raise InvalidTransition(
            "only a closed case can be reopened; this one is {status}", field="reopen", status=incident.status
        )
    who = principal.username if principal is not None else (actor or PUBLIC_ACTOR)
    evaluation = IncidentEvaluation(
        incident_id=incident.id,
        result=satisfaction.value,
        note=note,
        source=channel.value,
        actor=who,
        at=now,
        replaces_id=replaces,
        reopened=reopen,
    )
    session.add(evaluation)
    session.flush()
    touch(incident, now)
    record_event(
        session,
        incident,
        who,
        "evaluate",
        incident.status,
        now,
        note,
        {"result": satisfaction.value, "source": channel.value, "replaces": replaces},
    )
    session.flush()
    record(
        session,
        actor=who,
        action="incident.evaluate",
        entity="incident",
        entity_id=incident.ticket,
        before={"evaluation": evaluation_summary(current)} if current is not None else None,
        after={"evaluation": evaluation_summary(evaluation)},
        address=address,
    )
    if reopen:
        # The workflow's own step: history, deadline, rework count and audit as for a desk's reopen.
        apply_action(
            session,
            principal or Principal.everything(who),
            incident.ticket,
            "reopen",
            version=incident.version,
            note=note or "回访不满意，返工",
            address=address,
            now=now,
        )
    return evaluation


def _incident_for(session: Session, principal: Principal | None, incident_id: int) -> Incident:
    """The case, locked against a second evaluation at the same moment; checked against the caller's rights."""
    query = select(Incident).where(Incident.id == incident_id).with_for_update()
    if principal is not None:
        principal.require(Capability.CASE_CALLBACK)
        query = query.where(visible(principal))
    incident = session.scalar(query)
    if incident is None:
        raise NotFound("no incident {incident!r} in your jurisdiction", incident=incident_id)
    if principal is not None:
        principal.require_change(incident.group_code)
    return incident


def _require_unevaluated_closure(incident: Incident, current: IncidentEvaluation | None) -> None:
    if incident.status != Status.CLOSED or incident.closed_at is None:
        raise InvalidTransition(
            "only a closed case can be evaluated; {ticket} is {status}", ticket=incident.ticket, status=incident.status
        )
    if current is not None and current.at >= incident.closed_at:
        raise AlreadyEvaluated(
            "{ticket} was evaluated already (record {id}); to change it, send a correction with replaces={id}",
            details=evaluation_summary(current),
            ticket=incident.ticket,
            id=current.id,
        )


def _require_current(session: Session, incident: Incident, current: IncidentEvaluation | None, replaces: int) -> None:
    replaced = session.get(IncidentEvaluation, replaces)
    if replaced is None or replaced.incident_id != incident.id:
        raise InvalidInput("{ticket} has no evaluation {id}", field="replaces", ticket=incident.ticket, id=replaces)
    if current is None or current.id != replaced.id:
        raise AlreadyEvaluated(
            "evaluation {id} was corrected already; correct the current one ({current})",
            field="replaces",
            details=evaluation_summary(current) if current is not None else None,
            id=replaces,
            current=current.id if current is not None else None,
        )
