"""Demonstration party data: members and the households they keep in touch with, a year of activities, projects.

Generated, not surveyed, and marked as demo data throughout: every standing branch gets the members
its declared count says (Tibetan, Lisu and Naxi names as found in Deqin, phones in the 1700 range
that no one holds), most hold a 主题党日 nearly every month of the last twelve at a point of their
group, with "六个一", "三会一课" and volunteer days between; about one branch in twelve has gone
quiet for four months, so the flag has something to show. The harvest hills' temporary branches
hold theme days on their hills in season. One branch in eight leads a 书记领航 project. Every village
with group branches has its organisation over them (党总支, or 党委 from 100 members), with a generated secretary;
it holds the whole village's 主题党日 in most months and its committee meets every quarter.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from geo.core.calendar import county_day
from geo.grid.boundaries import generation_in_force, valid_in
from geo.grid.models import Grid, GridBoundary, GridLevel, GridWorker, PartyBranch
from geo.party.models import (
    ActivityKind,
    LeadProject,
    LinkedHousehold,
    PartyActivity,
    PartyMember,
    ProjectStatus,
    VillageBranch,
    VillageOrganisation,
)
from geo.party.villages import VILLAGE_DIGITS
from geo.patrol.models import SeasonalZone, TemporaryBranch

SEED = 1800
#: Members over a village's group branches from which the demo makes its organisation a 党委, not a 党总支.
COMMITTEE_MEMBERS = 100
GIVEN = ("扎西", "次仁", "卓玛", "拉姆", "格桑", "央金", "鲁茸", "此里", "尼玛", "达瓦", "平措", "白玛", "永宗", "都吉")
SECOND = ("农布", "品初", "取追", "拉初", "江措", "吉称", "追玛", "松诺", "阿主", "七林", "独史", "玉珍")
SURNAMES = ("和", "李", "余", "杨", "王", "熊", "肖", "蜂")  # Naxi and Lisu families
DUTIES = ("组织委员", "宣传委员", "纪检委员", "党员", "党员", "党员", "党员")
POSTS = ("村民", "护林员", "乡村振兴综合治理员", "村医", "教师", "个体经营户", "退休干部", "人民调解员")
TOPICS = {
    ActivityKind.THEME_DAY: ("学习党的二十大精神", "民族团结进步示范创建", "护林防火宣讲", "铸牢中华民族共同体意识",
                             "虫草采挖期矛盾纠纷排查", "乡村振兴产业发展座谈"),
    ActivityKind.SIX_ONES: ("走访一户困难群众", "开展一次政策宣讲", "办一件实事", "参加一次集体劳动"),
    ActivityKind.MEETING: ("支部委员会会议", "党员大会", "党小组会", "党课：守护梅里雪山生态"),
    ActivityKind.VOLUNTEER: ("清理村道垃圾", "澜沧江沿岸河道巡护", "帮助老人抢收青稞"),
    ActivityKind.FRONT_LINE: ("党员下沉虫草山值守", "地质灾害隐患点巡查"),
}  # fmt: skip
PROJECTS = (
    ("葡萄酒庄道路硬化", "硬化通往葡萄种植基地的道路，方便运输"),
    ("村级集体经济：松茸保鲜冷库", "建成冷库，提高松茸收购价格"),
    ("人居环境整治", "垃圾分类收集点全覆盖"),
    ("护林防火网格化", "每片林区落实党员责任人"),
    ("民族团结示范户创建", "评选示范户并挂牌"),
)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN) if rng.random() < 0.25 else rng.choice(GIVEN) + rng.choice(SECOND)


def _months_back(today: date, months: int) -> date:
    month = today.month - months
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def load_demo_party(session: Session, now: datetime) -> int:
    """Write the demonstration members, activities and projects; return how many activities (the caller commits)."""
    rng = random.Random(SEED)
    today = county_day(now)
    point = func.ST_PointOnSurface(GridBoundary.geom)
    branches = session.execute(
        select(PartyBranch.id, PartyBranch.members, Grid.code, Grid.name_zh, func.ST_X(point), func.ST_Y(point),
               GridWorker.name)
        .join(Grid, Grid.id == PartyBranch.grid_id)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .outerjoin(GridWorker, GridWorker.id == PartyBranch.secretary_id)
        .where(*valid_in(GridBoundary, generation_in_force().scalar_subquery()))
        .order_by(PartyBranch.id)
    ).all()  # fmt: skip
    members, activities, projects = [], [], []
    for branch_id, declared, code, group, lon, lat, secretary in branches:
        for n in range(declared):
            members.append(
                {
                    "branch_id": branch_id,
                    "area_code": code,
                    "name": secretary if n == 0 and secretary else _name(rng),
                    "post": "村民小组长" if n == 0 else rng.choice(POSTS),
                    "duty": "书记" if n == 0 else rng.choice(DUTIES),
                    "phone": f"1700{rng.randrange(10**7):07d}",
                    "household_count": rng.choice((2, 3, 3, 4, 5, 6)),
                    "is_demo": True,
                    "updated_at": now,
                    "version": 1,
                }
            )
        quiet = rng.random() < 1 / 12
        for months in range(12):
            start = _months_back(today, months)
            if quiet and months < 4:
                continue
            kinds = [ActivityKind.THEME_DAY] if rng.random() < 0.85 else []
            kinds += [rng.choice(list(TOPICS)) for _ in range(rng.choice((0, 0, 1, 1, 2)))]
            for kind in kinds:
                held = start + timedelta(days=rng.randrange(28))
                if held > today:
                    continue
                activities.append(
                    _activity(rng, kind, held, lon, lat, code, now, branch_id=branch_id, place=f"{group}活动室")
                )
        if rng.random() < 1 / 8:
            title, goal = rng.choice(PROJECTS)
            projects.append(_project(rng, branch_id, code, title, goal, today, now))
    hill = func.ST_PointOnSurface(SeasonalZone.geom)
    zones = session.execute(
        select(TemporaryBranch.id, SeasonalZone.area_code, SeasonalZone.name_zh, func.ST_X(hill), func.ST_Y(hill)).join(
            SeasonalZone, SeasonalZone.id == TemporaryBranch.zone_id
        )
    ).all()
    season = today.year if date(today.year, 6, 12) <= today else today.year - 1  # the last harvest
    for temporary_id, code, zone, lon, lat in zones:
        for day in (date(season, 5, 8), date(season, 6, 12)):
            activities.append(
                _activity(rng, ActivityKind.THEME_DAY, day, lon, lat, code, now, temporary_branch_id=temporary_id,
                          place=zone)
            )  # fmt: skip
    inserted = session.scalars(insert(PartyMember).returning(PartyMember.id, sort_by_parameter_order=True), members)
    households = [
        {"member_id": member_id, "name": _name(rng), "address": f"{row['area_code'][-3:]}组{rng.randrange(1, 80)}号"}
        for member_id, row in zip(inserted.all(), members, strict=True)
        for _ in range(min(2, row["household_count"]))
    ]
    session.execute(insert(LinkedHousehold), households)
    session.execute(insert(PartyActivity), activities)
    session.execute(insert(LeadProject), projects)
    _village_branches(session, random.Random(SEED + 1))
    return len(activities) + _village_activities(session, random.Random(SEED + 2), today, now)


def _village_branches(session: Session, rng: random.Random) -> None:
    """A 党总支 for every village with group branches, a 党委 where they hold 100 members or more."""
    village = func.left(Grid.code, VILLAGE_DIGITS)
    members: dict[str, int] = dict(
        session.execute(
            select(village, func.sum(PartyBranch.members)).join(Grid, Grid.id == PartyBranch.grid_id).group_by(village)
        ).all()
    )
    villages = session.execute(
        select(Grid.id, Grid.code, Grid.name_zh).where(Grid.level == GridLevel.VILLAGE.value).order_by(Grid.code)
    ).all()
    rows = []
    for grid_id, code, name in villages:
        if code not in members:
            continue
        large = members[code] >= COMMITTEE_MEMBERS
        kind = VillageOrganisation.COMMITTEE if large else VillageOrganisation.GENERAL_BRANCH
        rows.append(
            {
                "code": f"V{code}",
                "grid_id": grid_id,
                "name": f"中共{name}{'委员会' if kind is VillageOrganisation.COMMITTEE else '总支部委员会'}",
                "kind": kind.value,
                "secretary": _name(rng),
                "is_demo": True,
                "version": 1,
            }
        )
    session.execute(insert(VillageBranch), rows)


def _activity(
    rng: random.Random, kind: ActivityKind, held: date, lon: float, lat: float, code: str, now: datetime, **where
) -> dict:
    place = where.pop("place")
    dx, dy = rng.uniform(-0.002, 0.002), rng.uniform(-0.002, 0.002)
    return {
        **{"branch_id": None, "temporary_branch_id": None, "village_branch_id": None},
        **where,
        "area_code": code,
        "kind": kind.value,
        "held_on": held,
        "place": f"SRID=4326;POINT({lon + dx:.6f} {lat + dy:.6f})",
        "place_name": place,
        "topic": rng.choice(TOPICS.get(kind, ("支部活动",))),
        "attendance": rng.randrange(5, 30),
        "minutes": "演示数据：程序生成的会议记录。",
        "is_demo": True,
        "created_by": "demo-loader",
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _project(rng: random.Random, branch_id: int, code: str, title: str, goal: str, today: date, now: datetime) -> dict:
    steps = ("摸底调研", "群众议事会", "施工或实施", "验收公示")
    done = rng.randrange(len(steps) + 1)
    milestones = [
        {
            "title": step,
            "due": (today + timedelta(days=60 * (i - done + 1))).isoformat(),
            "done": i < done,
            "done_on": (today - timedelta(days=30 * (done - i))).isoformat() if i < done else None,
        }
        for i, step in enumerate(steps)
    ]
    status = ProjectStatus.DONE if done == len(steps) else rng.choice(
        (ProjectStatus.PLANNED, ProjectStatus.UNDER_WAY, ProjectStatus.UNDER_WAY, ProjectStatus.STALLED)
    ) if done else ProjectStatus.PLANNED  # fmt: skip
    return {
        "branch_id": branch_id,
        "area_code": code,
        "title": f"{title}（演示）",
        "goal": goal,
        "grid_codes": [code],
        "milestones": milestones,
        "progress": round(100 * done / len(steps)),
        "status": status.value,
        "incident_tickets": [],
        "is_demo": True,
        "created_by": "demo-loader",
        "updated_at": now,
        "version": 1,
    }


def _village_activities(session: Session, rng: random.Random, today: date, now: datetime) -> int:
    """The village organisations' own activities over the last twelve months: the whole village's 主题党日 in most
    months, a committee meeting every quarter, at a point of the village."""
    point = func.ST_PointOnSurface(GridBoundary.geom)
    villages = session.execute(
        select(VillageBranch.id, Grid.code, Grid.name_zh, func.ST_X(point), func.ST_Y(point))
        .join(Grid, Grid.id == VillageBranch.grid_id)
        .join(GridBoundary, GridBoundary.grid_id == Grid.id)
        .where(*valid_in(GridBoundary, generation_in_force().scalar_subquery()))
        .order_by(VillageBranch.id)
    ).all()
    activities = []
    for village_id, code, name, lon, lat in villages:
        for months in range(12):
            start = _months_back(today, months)
            kinds = [ActivityKind.THEME_DAY] if rng.random() < 0.7 else []
            kinds += [ActivityKind.MEETING] if start.month % 3 == 1 else []
            for kind in kinds:
                held = start + timedelta(days=rng.randrange(28))
                if held <= today:
                    activities.append(
                        _activity(rng, kind, held, lon, lat, code, now, village_branch_id=village_id,
                                  place=f"{name}党群服务中心")
                    )  # fmt: skip
    if activities:
        session.execute(insert(PartyActivity), activities)
    return len(activities)
