"""Domain errors. The web layer turns each into a 4xx JSON answer with its message."""

from __future__ import annotations

from dataclasses import dataclass


class GridError(Exception):
    """Base of every error a user can act on; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, details: object = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidInput(GridError):
    """A parameter is missing, malformed or out of range."""


class NotFound(GridError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    status = 404


@dataclass(frozen=True)
class Problem:
    """One problem found while validating boundaries; ``where`` is a (lon, lat) when it is a place."""

    message: str
    code: str | None = None
    where: tuple[float, float] | None = None

    def as_dict(self) -> dict:
        return {"message": self.message, "code": self.code, "where": list(self.where) if self.where else None}


class BoundaryImportError(GridError):
    """A boundary file cannot be imported; ``problems`` lists every reason."""

    status = 422

    def __init__(self, problems: list[Problem]):
        summary = "; ".join(p.message for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s): {summary}{more}", details=[p.as_dict() for p in problems])
        self.problems = problems
