"""Incident categories: each net's catalogue with its deadline (SLA) in hours."""

from __future__ import annotations

from sqlalchemy import (
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from geo.accounts.principal import Principal
from geo.core.errors import GridError, InvalidInput
from geo.dispatch.models import IncidentCategory
from geo.grid.models import Net

# The seed catalogue: (net, code, zh, en, deadline in hours).
SEED_CATEGORIES = (
    (Net.SOCIAL, "dispute", "矛盾纠纷", "Dispute", 72),
    (Net.SOCIAL, "safety_hazard", "安全隐患", "Safety hazard", 24),
    (Net.SOCIAL, "public_order", "治安事件", "Public order incident", 12),
    (Net.SOCIAL, "livelihood", "民生诉求", "Livelihood request", 120),
    (Net.SOCIAL, "sanitation", "环境卫生", "Sanitation", 72),
    (Net.SOCIAL, "fungus_dispute", "虫草采挖纠纷", "Caterpillar-fungus harvest dispute", 24),
    (Net.RELIGIOUS, "religious_site_safety", "宗教场所安全", "Religious site safety", 24),
    (Net.RELIGIOUS, "religious_activity_filing", "宗教活动报备", "Religious activity filing", 72),
    (Net.RURAL, "poverty_monitoring", "防返贫监测", "Poverty-relapse monitoring", 168),
    (Net.RURAL, "industry_project", "产业项目", "Industry project", 240),
    (Net.RURAL, "infrastructure", "基础设施", "Rural infrastructure", 168),
)


class CategoryExists(GridError):
    """A category with that code is already in the catalogue."""

    status = 409


def add_category(session: Session, values: dict) -> IncidentCategory:
    """Add a category to the catalogue; CategoryExists if its code is taken, even by a request at this moment."""
    # The unique code decides between two racing requests: the loser's insert waits for the winner and writes nothing.
    added = session.scalar(
        pg_insert(IncidentCategory)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[IncidentCategory.code])
        .returning(IncidentCategory.id)
    )
    if added is None:
        raise CategoryExists("category {code} exists", field="code", code=values["code"])
    return session.get_one(IncidentCategory, added)


def seed_categories(session: Session) -> None:
    """Add the seed catalogue entries that are missing."""
    existing = set(session.scalars(select(IncidentCategory.code)))
    for net, code, zh, en, hours in SEED_CATEGORIES:
        if code not in existing:
            session.add(
                IncidentCategory(
                    net=net.value,
                    code=code,
                    name_zh=zh,
                    name_en=en,
                    sla_hours=hours,
                    is_public=net is not Net.RELIGIOUS,
                )
            )
    session.flush()


def category_for(session: Session, code: str, net: str) -> IncidentCategory:
    category = session.scalar(select(IncidentCategory).where(IncidentCategory.code == code))
    if category is None or not category.is_active:
        raise InvalidInput("unknown category {code!r}", field="category", code=str(code)[:40])
    if category.net != net:
        raise InvalidInput(
            "category {code} belongs to the {net} net, not {other}",
            field="category",
            code=code,
            net=category.net,
            other=net,
        )
    return category


def catalogue(session: Session, principal: Principal) -> list[IncidentCategory]:
    """The categories of the nets ``principal`` holds, by net and in the order they were added."""
    return list(
        session.scalars(
            select(IncidentCategory)
            .where(IncidentCategory.net.in_(sorted(principal.nets)))
            .order_by(IncidentCategory.net, IncidentCategory.id)
        )
    )
