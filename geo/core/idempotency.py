"""Safe retries: a request sent again with its ``Idempotency-Key`` answers with what the first one made.

The write is an ``INSERT ... ON CONFLICT DO NOTHING`` on the (caller, key) unique
index, so two copies racing each other cannot both write, and neither fails: the
loser's insert waits for the winner's transaction and then writes nothing, and
``first_made`` reads the winner. A key is the caller's promise that the request
is the same one; the body's fingerprint, kept with the key, holds them to it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from geo.core.errors import GridError, InvalidInput
from geo.core.models import Base

Record = TypeVar("Record", bound=Base)


class KeyReused(GridError):
    """The caller sent a different request under a key they already used."""

    status = 422


@dataclass(frozen=True)
class IdempotencyKey:
    """A caller's key for one request, with the fingerprint of the request's body."""

    owner: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, owner: str, key: str | None, body: Mapping[str, object]) -> IdempotencyKey | None:
        """The key ``owner`` sent with ``body`` (None when they sent none); InvalidInput if it is malformed."""
        if key is None:
            return None
        if not 1 <= len(key) <= 100:
            raise InvalidInput("Idempotency-Key must be 1-100 characters", field="Idempotency-Key")
        return cls(owner, key, fingerprint(body))


def fingerprint(body: Mapping[str, object]) -> str:
    """A digest of the request's values, the same for the same values in any order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class KeyColumns:
    """Where a table keeps the caller, their key and the fingerprint of the request that made a row."""

    owner: InstrumentedAttribute
    key: InstrumentedAttribute
    fingerprint: InstrumentedAttribute


def first_made(session: Session, model: type[Record], columns: KeyColumns, key: IdempotencyKey) -> Record | None:
    """After an insert that wrote nothing ON CONFLICT: the row the first request with ``key`` made.

    Raises KeyReused when that request's body differed. None when no such row is
    there (the insert wrote nothing for another reason).
    """
    earlier = session.scalar(select(model).where(columns.owner == key.owner, columns.key == key.key))
    if earlier is None:
        return None
    kept = getattr(earlier, columns.fingerprint.key)
    # Rows written before fingerprints were kept have none: they can only be taken at their word.
    if kept is not None and kept != key.fingerprint:
        raise KeyReused(
            "Idempotency-Key {key} was already used for a different request; send a new key for a new request",
            field="Idempotency-Key",
            key=key.key,
        )
    return earlier
