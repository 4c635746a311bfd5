"""Demonstration workforce data: worker profiles, training, commendations, the other forces, a co-handler.

Everything is generated with a fixed seed and marked ``is_demo`` (the pages label it
as demonstration data). Forces stand at points generated inside their village's
outline: a police station per township, and per village forest rangers, a
乡村振兴综合治理员, a people's mediator and a party-member volunteer team, with a
police post (警务室) in every third village. One forest ranger of 奔子栏镇's first
village has an account (the co-handler demo) and co-handles open cases there, two of them still being
worked.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from geoalchemy2 import WKTElement
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from geo.accounts.models import Role
from geo.accounts.principal import Principal
from geo.accounts.users import create_user
from geo.core.calendar import county_day
from geo.core.clock import now_utc
from geo.dispatch.models import OPEN_INCIDENT, Incident, IncidentCategory
from geo.dispatch.statuses import RUNNING, Status
from geo.dispatch.workflow import apply_action
from geo.grid.models import ForceKind, ForceMember, Grid, GridLevel, GridWorker
from geo.workforce.cohandling import add_co_handler
from geo.workforce.duty import set_duty
from geo.workforce.models import Employment, Recognition, RecognitionKind, TrainingRecord, TrainingTopic, WorkerProfile

SEED = 18
#: The village whose forest ranger signs in as the demo co-handler (the demo worker's village).
CO_HANDLER_VILLAGE = "533422102001"
#: The co-handler's demo cases still being worked (the rest of its cases wait for verification).
CO_HANDLED_RUNNING = 2
_REWORK_NOTE = "核查未通过：现场隐患未完全排除，退回返工，请护林员协助（演示数据）"

_SURNAMES = ("扎西", "次仁", "格桑", "达瓦", "洛桑", "鲁茸", "此里", "阿称", "和", "李", "余", "王")
_NAMES = ("卓玛", "拉姆", "央金", "平措", "多吉", "农布", "永宗", "七林", "尼玛", "品初", "文华", "建国")
_COURSES = {
    "law_policy": ("《民法典》与基层治理专题培训", "信访工作条例解读"),
    "digital": ("网格化治理平台操作培训", "手机端事件上报与核查实操"),
    "mediation": ("矛盾纠纷排查化解实务", "虫草采挖纠纷调解案例研讨"),
    "ethnic_religious": ("民族宗教政策专题学习", "宗教活动场所安全管理培训"),
    "emergency": ("地质灾害与森林火灾应急处置演练", "应急救护（红十字）培训"),
    "rural_revitalization": ("防返贫动态监测帮扶培训",),
    "party_building": ("基层党支部书记轮训",),
}
_DUTIES = {
    "dispute": ([], ["mediator", "police_post"]),
    "fungus_dispute": (["rural"], ["mediator", "police_station", "forest_ranger", "party_volunteers"]),
    "public_order": ([], ["police_station", "police_post"]),
    "safety_hazard": (["rural"], ["forest_ranger", "rural_officer"]),
    "sanitation": ([], ["volunteer", "party_volunteers"]),
    "religious_site_safety": (["social"], ["police_post"]),
    "poverty_monitoring": (["social"], ["rural_officer"]),
    "infrastructure": ([], ["rural_officer"]),
}

# Raw SQL: points generated inside each village's current outline in one statement (ST_GeneratePoints is
# seeded, so the demo is the same every load); GeoAlchemy2 has no form for the set-returning unnest.
_VILLAGE_POINTS = text(
    """
    SELECT g.code, g.name_zh, ST_X(p.geom), ST_Y(p.geom)
    FROM grid AS g
    JOIN grid_boundary AS b ON b.grid_id = g.id AND b.generation_high IS NULL
    CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(b.geom, 6, :seed)) AS p
    WHERE g.level = 'village'
    ORDER BY g.code, p.path
    """
)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_NAMES)


def _phone(rng: random.Random) -> str:
    return f"139{rng.randrange(10**8):08d}"


def _forces(session: Session, rng: random.Random) -> list[ForceMember]:
    grid_ids = dict(session.execute(select(Grid.code, Grid.id)).all())
    points: dict[str, list[tuple[str, float, float]]] = {}
    for code, name, lon, lat in session.execute(_VILLAGE_POINTS, {"seed": SEED}):
        points.setdefault(code, []).append((name, lon, lat))
    township_names = dict(
        session.execute(select(Grid.code, Grid.name_zh).where(Grid.level == GridLevel.TOWNSHIP.value)).all()
    )
    members: list[ForceMember] = []

    def add(kind: ForceKind, grid: str, name: str, organisation: str, spot: tuple[str, float, float]) -> None:
        members.append(
            ForceMember(
                code=f"F{len(members) + 1:05d}",
                kind=kind.value,
                name=name,
                organisation=organisation,
                phone=_phone(rng),
                grid_id=grid_ids[grid],
                location=WKTElement(f"POINT({spot[1]:.6f} {spot[2]:.6f})", srid=4326),
                is_active=True,
                is_demo=True,
            )
        )

    stationed: set[str] = set()
    for index, (village, spots) in enumerate(sorted(points.items())):
        township = village[: GridLevel.TOWNSHIP.code_length]
        village_name = spots[0][0]
        if township not in stationed:
            stationed.add(township)
            station = f"德钦县公安局{township_names.get(township, '')}派出所"
            add(ForceKind.POLICE_STATION, township, station, station, spots[0])
        if index % 3 == 0:
            add(ForceKind.POLICE_POST, village, f"{village_name}警务室", f"{village_name}警务室", spots[1])
        for spot in spots[2 : 2 + rng.choice((1, 2))]:
            add(ForceKind.FOREST_RANGER, village, _name(rng), "德钦县生态护林员队伍", spot)
        add(ForceKind.RURAL_OFFICER, village, _name(rng), f"{village_name}村委会", spots[4])
        add(ForceKind.MEDIATOR, village, _name(rng), f"{village_name}人民调解委员会", spots[5])
        add(ForceKind.PARTY_VOLUNTEERS, village, f"{village_name}党员志愿服务队", f"{village_name}党总支", spots[3])
    session.add_all(members)
    session.flush()
    return members


def _profiles_and_training(session: Session, rng: random.Random, today: date) -> tuple[int, int]:
    topics = list(session.scalars(select(TrainingTopic.code).order_by(TrainingTopic.position)))
    workers = list(session.scalars(select(GridWorker).order_by(GridWorker.code)))
    trainings = recognitions = 0
    for worker in workers:
        full_time = "专职" in worker.post or "网格长" in worker.post
        session.add(
            WorkerProfile(
                worker_id=worker.id,
                employment=(Employment.FULL_TIME if full_time else Employment.PART_TIME).value,
                is_local=rng.random() < 0.86,
                started_on=date(rng.randrange(2014, 2025), rng.randrange(1, 13), 1),
                updated_by="demo-loader",
                is_demo=True,
                version=1,
            )
        )
        if rng.random() < 0.72:
            held: set[tuple[str, date]] = set()
            for _ in range(rng.randrange(1, 4)):
                topic = rng.choice(topics)
                course = rng.choice(_COURSES.get(topic, ("网格员业务培训",)))
                day = today - timedelta(days=rng.randrange(1, 540))
                if (course, day) in held:
                    continue
                held.add((course, day))
                session.add(
                    TrainingRecord(
                        worker_id=worker.id,
                        course=course,
                        topic_code=topic,
                        hours=Decimal(rng.choice((2, 4, 6, 8, 16))),
                        held_on=day,
                        certificate=f"DQPX-{day.year}-{rng.randrange(10**4):04d}" if rng.random() < 0.4 else "",
                        created_by="demo-loader",
                        is_demo=True,
                        version=1,
                    )
                )
                trainings += 1
        draw = rng.random()
        if draw < 0.07 or draw > 0.99:
            commended = draw < 0.07
            session.add(
                Recognition(
                    worker_id=worker.id,
                    kind=(RecognitionKind.COMMENDATION if commended else RecognitionKind.SANCTION).value,
                    title="优秀网格员" if commended else "事件逾期未处置，通报批评",
                    awarded_on=today - timedelta(days=rng.randrange(1, 300)),
                    body="德钦县委政法委",
                    created_by="demo-loader",
                    is_demo=True,
                )
            )
            recognitions += 1
    session.flush()
    return trainings, recognitions


def load_demo_workforce(session: Session, co_handler) -> int:
    """Generate the demo's workforce data and the co-handler account ``co_handler`` (a ``DemoUser``); return
    how many force members were registered."""
    rng = random.Random(SEED)
    today = county_day(now_utc())
    members = _forces(session, rng)
    _profiles_and_training(session, rng, today)
    loader = Principal.everything("demo-loader")
    for code, (nets, kinds) in _DUTIES.items():
        if session.scalar(select(IncidentCategory.id).where(IncidentCategory.code == code)):
            set_duty(session, loader, code, lead_post="", supporting_nets=nets, supporting_forces=kinds)
    village_id = session.scalar(select(Grid.id).where(Grid.code == CO_HANDLER_VILLAGE))
    ranger = next(m for m in members if m.kind == ForceKind.FOREST_RANGER.value and m.grid_id == village_id)
    create_user(
        session,
        username=co_handler.username,
        password=co_handler.password,
        role=Role.CO_HANDLER,
        jurisdiction=CO_HANDLER_VILLAGE,
        nets=list(co_handler.nets),
        display_name=co_handler.display_name,
        force_member_code=ranger.code,
        actor="demo-loader",
        is_demo=True,
    )
    for ticket in _cases_to_co_handle(session, loader, tuple(co_handler.nets)):
        add_co_handler(session, loader, ticket, ranger.code)
    return len(members)


def _cases_to_co_handle(session: Session, loader: Principal, nets: tuple[str, ...]) -> list[str]:
    """The co-handler's demo cases: ``CO_HANDLED_RUNNING`` being worked, then one waiting for verification.

    Where the village has too few running cases (the generator resolves most of a small village's), the
    latest resolved ones are sent back for rework, as a dispatcher's verification does (reopen), so the
    ranger's phone page has work to do.
    """
    in_village = (Incident.group_code.startswith(CO_HANDLER_VILLAGE), Incident.net.in_(list(nets)), OPEN_INCIDENT)
    running = [status.value for status in RUNNING]

    def latest(*where) -> list[Incident]:
        return list(session.scalars(select(Incident).where(*in_village, *where).order_by(Incident.reported_at.desc())))

    working = latest(Incident.status.in_(running))[:CO_HANDLED_RUNNING]
    resolved = latest(Incident.status == Status.RESOLVED.value)
    for incident in resolved[: CO_HANDLED_RUNNING - len(working)]:
        apply_action(session, loader, incident.ticket, "reopen", version=incident.version, note=_REWORK_NOTE)
        working.append(incident)
    waiting = [incident for incident in resolved if incident not in working][:1]
    return [incident.ticket for incident in working + waiting]
