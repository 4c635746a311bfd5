"""Photos attached to a case, recognised by their bytes and bounded in size and number."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import (
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo.accounts.principal import Principal
from geo.core.audit import record
from geo.core.clock import now_utc
from geo.core.errors import GridError, InvalidInput, NotFound
from geo.core.idempotency import IdempotencyKey
from geo.dispatch.actions import ACTIONS
from geo.dispatch.models import IncidentAttachment
from geo.dispatch.scope import require_case_change
from geo.dispatch.statuses import Status
from geo.dispatch.views import get_incident
from geo.dispatch.workflow import (
    InvalidTransition,
    StaleVersion,
    check_allowed,
    keyed,
    record_event,
    replayed_step,
    touch,
)

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10
# Photos only, recognised by their first bytes (a client's Content-Type is not trusted).
IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"RIFF", "image/webp"))


class AttachmentTooLarge(GridError):
    status = 413


class UnsupportedAttachment(GridError):
    status = 415


def _image_type(data: bytes) -> str | None:
    for signature, content_type in IMAGE_SIGNATURES:
        if data.startswith(signature) and (content_type != "image/webp" or data[8:12] == b"WEBP"):
            return content_type
    return None


def photo_type(data: bytes, field: str = "file") -> str:
    """The content type of a photo decided from its bytes; refused when empty, too large or not a photo."""
    if not data:
        raise InvalidInput("the file is empty", field=field)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise AttachmentTooLarge(
            "the file is larger than {limit} MB", field=field, limit=MAX_ATTACHMENT_BYTES // (1024 * 1024)
        )
    content_type = _image_type(data)
    if content_type is None:
        raise UnsupportedAttachment("only photos (JPEG, PNG or WebP) can be attached", field=field)
    return content_type


def add_attachment(
    session: Session,
    principal: Principal,
    ticket: str,
    filename: str,
    data: bytes,
    *,
    idempotency_key: str | None = None,
    address: str | None = None,
    now: datetime | None = None,
) -> IncidentAttachment:
    """Attach a photo (JPEG, PNG or WebP, at most 5 MB, ten per incident) to an incident; audited from ``address``.

    The same photo sent again under the same ``idempotency_key`` answers with the first copy.
    """
    now = now or now_utc()
    incident = get_incident(session, principal, ticket)
    require_case_change(principal, incident)
    key = IdempotencyKey.of(
        principal.username, idempotency_key, {"filename": filename, "sha256": hashlib.sha256(data).hexdigest()}
    )
    earlier = replayed_step(session, incident, key)
    if earlier is not None:
        return session.get_one(IncidentAttachment, earlier["attachment"])
    step = ACTIONS["note"]  # who may add a note may add a photo, in the same statuses
    check_allowed(principal, step, incident, "attach")
    if Status(incident.status) not in step.sources:
        raise InvalidTransition("cannot add photos to an incident that is {status}", status=incident.status)
    content_type = photo_type(data)
    count = session.scalar(
        select(func.count()).select_from(IncidentAttachment).where(IncidentAttachment.incident_id == incident.id)
    )
    if (count or 0) >= MAX_ATTACHMENTS:
        raise InvalidInput("an incident holds at most {limit} photos", field="file", limit=MAX_ATTACHMENTS)
    name = (filename or "photo").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "photo"
    attachment = IncidentAttachment(
        incident_id=incident.id,
        filename=name,
        content_type=content_type,
        size=len(data),
        data=data,
        uploaded_by=principal.username,
        at=now,
    )
    session.add(attachment)
    session.flush()  # its id, for the history row a retry finds it by
    touch(incident, now)
    record_event(
        session,
        incident,
        principal.username,
        "attach",
        incident.status,
        now,
        data=keyed({"file": name, "attachment": attachment.id}, key),
    )
    try:
        session.flush()
    except StaleDataError:  # another change of the case at this moment (a second copy of this upload?)
        session.rollback()
        earlier = replayed_step(session, get_incident(session, principal, ticket), key)
        if earlier is not None:
            return session.get_one(IncidentAttachment, earlier["attachment"])
        raise StaleVersion(
            "incident {ticket} was changed at the same moment; reload and try again", ticket=ticket
        ) from None
    record(
        session,
        actor=principal.username,
        action="incident.attach",
        entity="incident",
        entity_id=incident.ticket,
        after={"attachment": attachment.id, "file": name, "content_type": content_type, "size": len(data)},
        address=address,
    )
    return attachment


def get_attachment(session: Session, principal: Principal, ticket: str, attachment_id: int) -> IncidentAttachment:
    """Return one photo of an incident the caller may see."""
    incident = get_incident(session, principal, ticket)
    attachment = session.scalar(
        select(IncidentAttachment).where(
            IncidentAttachment.id == attachment_id, IncidentAttachment.incident_id == incident.id
        )
    )
    if attachment is None:
        raise NotFound("no attachment {attachment} on {ticket}", attachment=attachment_id, ticket=ticket)
    return attachment
