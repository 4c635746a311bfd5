"""Grow the benchmark database to N incidents: the demo's plus synthetic copies (geo/demo/synthetic.py).

``./dev bench --incidents 1000000`` calls ``ensure_incidents`` before every benchmark runs. Copies
are built ten at a time, each batch committed; a set of another size is removed first. Use a
database of your own for this (DATABASE_URL): the copies are demo rows and ``flask demo load
--replace`` removes them.
"""

from __future__ import annotations

import math
import time

from sqlalchemy import delete, func, select, text

from app import create_app
from bench.report import header, row
from extensions import db, db_session
from geo.demo.synthetic import add_synthetic_incidents, is_synthetic
from geo.dispatch.models import Incident

BATCH = 10


def ensure_incidents(target: int) -> None:
    """Make the database hold about ``target`` incidents (a whole number of copies of the demo's)."""
    app = create_app()
    with app.app_context():
        session = db_session()
        synthetic = is_synthetic()
        demo = session.scalar(select(func.count()).where(Incident.is_demo, ~synthetic)) or 0
        if not demo:
            raise SystemExit("no demo incidents to copy: run flask demo load first")
        copies = max(0, math.ceil(target / demo) - 1)
        present = session.scalar(select(func.count()).where(synthetic)) or 0
        header(f"synthetic incidents: {demo:,} demo incidents, {copies} copies wanted")
        if present == copies * demo:
            row("already there", f"{present:,} copies")
            db.engine.dispose()
            return
        started = time.perf_counter()
        if present:
            session.execute(delete(Incident).where(synthetic))
            session.commit()
        for first in range(1, copies + 1, BATCH):
            add_synthetic_incidents(session, min(BATCH, copies - first + 1), first=first)
            session.commit()
        built = time.perf_counter() - started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE incident"))
            connection.execute(text("VACUUM ANALYZE incident_event"))
        total = session.scalar(select(func.count()).select_from(Incident)) or 0
        row(
            "built",
            f"{total:,} incidents",
            f"{built:.0f} s, vacuum + analyse {time.perf_counter() - started - built:.0f} s",
        )
        db.engine.dispose()
