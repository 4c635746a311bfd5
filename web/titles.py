"""The name the pages carry: the county the installation serves, or the prefecture over its counties (from the data,
``geo.grid.counties.served_area``), in the page's language."""

from __future__ import annotations

from contextlib import suppress

from flask import g
from flask_babel import get_locale
from sqlalchemy.exc import SQLAlchemyError

from extensions import db_session
from geo.grid.counties import served_area


def served_name() -> str:
    """The served area's name in the request's language, asked once per request; empty when the data names none
    or the database cannot be reached (the page that says so is rendered with this same header)."""
    if "served_names" not in g:
        try:
            area = served_area(db_session())
        except SQLAlchemyError:  # the database is down: the 503 page still renders, with a header naming no place
            with suppress(SQLAlchemyError):
                db_session().rollback()
            area = None
        g.served_names = (area.name_zh, area.name_en or area.name_zh) if area is not None else ("", "")
    zh, en = g.served_names
    return en if str(get_locale()) == "en" else zh
