"""A resident rates a closed case on its tracking page: the same 综合评价 record the call-back writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from geo.core.audit import PUBLIC_ACTOR
from geo.core.errors import one_of
from geo.dispatch.models import Incident
from geo.dispatch.statuses import Status
from geo.evaluation.callbacks import current_evaluation, evaluate
from geo.evaluation.record_models import EvaluationSource, IncidentEvaluation, Satisfaction
from geo.public.models import PublicReport
from geo.public.tracking import followed


def rateable(session: Session, incident: Incident) -> bool:
    """The case is closed and this closure has no evaluation yet (a resident's or a call-back's)."""
    if incident.status != Status.CLOSED.value or incident.closed_at is None:
        return False
    current = current_evaluation(session, incident.id)
    return current is None or current.at < incident.closed_at


def rated_since_closure(session: Session, incident: Incident) -> bool:
    current = current_evaluation(session, incident.id)
    return incident.closed_at is not None and current is not None and current.at >= incident.closed_at


def _reopened_by_residents(session: Session, incident: Incident) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    IncidentEvaluation.incident_id == incident.id,
                    IncidentEvaluation.source == EvaluationSource.RESIDENT.value,
                    IncidentEvaluation.reopened,
                )
            )
        )
    )


def rate_case(
    session: Session,
    report: PublicReport,
    result: str,
    comment: str,
    *,
    not_solved: bool = False,
    address: str | None = None,
    now: datetime | None = None,
) -> IncidentEvaluation:
    """Rate the case ``report`` follows, once per closure; 不满意 and not solved sends it back (返工), once.

    A case already sent back by a resident's rating is not sent back again by another:
    the rating is kept, and the county follows it up by telephone.
    """
    incident = followed(session, report.incident)
    chosen = one_of(Satisfaction, result, "result")
    reopen = chosen is Satisfaction.DISSATISFIED and not_solved and not _reopened_by_residents(session, incident)
    return evaluate(
        session,
        None,
        incident.id,
        chosen.value,
        comment,
        source=EvaluationSource.RESIDENT,
        reopen=reopen,
        actor=PUBLIC_ACTOR,
        address=address,
        now=now,
    )
