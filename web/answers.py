"""Schemas of what the API answers, for the OpenAPI document (/api/openapi.json) only.

Views build their JSON themselves (the domain returns plain dicts, GeoJSON is
written by PostGIS); these describe it so that clients and the schema fuzzer in
tests/routes/test_openapi_fuzz.py can hold the answers to the document. Fields
not listed here may appear; the ones listed are what clients rely on.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields

from geo.dispatch.queues import Queue

GEOJSON = "application/geo+json"


class Answer(Schema):
    """An answer's documented fields; it may carry others (``additionalProperties``)."""

    class Meta:
        unknown = INCLUDE


class Geometry(Answer):
    type = fields.String(required=True)
    coordinates = fields.Raw(metadata={"description": "GeoJSON coordinates, WGS-84"})


class Feature(Answer):
    type = fields.String(required=True)
    properties = fields.Dict(allow_none=True)
    geometry = fields.Nested(Geometry, allow_none=True)


class FeatureCollection(Answer):
    type = fields.String(required=True)
    features = fields.List(fields.Nested(Feature), required=True)


class BoundedCollection(FeatureCollection):
    more = fields.Boolean(required=True, metadata={"description": "more matched than the limit: some were left out"})
    limit = fields.Integer(required=True)


class FeedCollection(FeatureCollection):
    cursor = fields.Integer(required=True, metadata={"description": "ask with since=<cursor> next time"})
    closed_since = fields.String(required=True, metadata={"description": "finished cases closed since this day"})
    more = fields.Boolean(required=True, metadata={"description": "a full page: ask again from cursor for the rest"})


class IncidentSummary(Answer):
    ticket = fields.String(required=True)
    net = fields.String(required=True)
    category = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    priority = fields.String()
    lon = fields.Float()
    lat = fields.Float()
    group_code = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    escalation_level = fields.Integer()
    due_at = fields.String(allow_none=True)
    overdue = fields.Boolean()
    reported_at = fields.String()
    version = fields.Integer(required=True)


class IncidentPage(Answer):
    items = fields.List(fields.Nested(IncidentSummary), required=True)
    total = fields.Integer(required=True, metadata={"description": "matches, or the cap when total_capped"})
    total_capped = fields.Boolean(required=True, metadata={"description": "more match than total"})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class IncidentDetail(Answer):
    ticket = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    history = fields.List(fields.Dict())
    actions = fields.Raw(metadata={"description": "the steps open to you now"})
    note_required = fields.List(fields.String(), metadata={"description": "steps that need a note"})
    photo_on_resolve = fields.Boolean(metadata={"description": "resolving needs a photo attached first"})
    received_at = fields.String(
        allow_none=True, metadata={"description": "when the report reached the server (after reported_at if offline)"}
    )


# One count per queue the domain defines, so the document cannot drift from the queues.
Candidates = Answer.from_dict(
    {
        "ticket": fields.String(required=True),
        "workers": fields.List(
            fields.Dict(),
            required=True,
            metadata={"description": "code, name, grid, open_cases, available, away_until, distance_m, assigned"},
        ),
    },
    name="Candidates",
)
SearchResults = Answer.from_dict(
    {"results": fields.List(fields.Dict(), required=True, metadata={"description": "kind, label, detail, lon, lat…"})},
    name="SearchResults",
)
RoutingPreview = Answer.from_dict(
    {
        "group": fields.Dict(required=True, metadata={"description": "code, name_zh, name_en"}),
        "chain": fields.List(fields.Dict(), required=True),
        "assignee": fields.Dict(allow_none=True, metadata={"description": "code, name, grid_code; null: nobody"}),
    },
    name="RoutingPreview",
)
QueueCounts = Answer.from_dict({queue.value: fields.Integer(required=True) for queue in Queue}, name="QueueCounts")


class Attachment(Answer):
    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    size = fields.Integer(required=True)


class EvaluationRecord(Answer):
    id = fields.Integer(required=True)
    result = fields.String(required=True, metadata={"description": "satisfied, basically_satisfied, dissatisfied"})
    note = fields.String()
    source = fields.String(required=True, metadata={"description": "callback (电话回访) or resident (群众评价)"})
    actor = fields.String(required=True)
    at = fields.String(required=True)
    replaces = fields.Integer(allow_none=True, metadata={"description": "the evaluation this one corrects"})
    reopened = fields.Boolean(required=True, metadata={"description": "the case was sent back (返工)"})
    incident = fields.Nested(IncidentDetail)


class IndicatorFigure(Answer):
    value = fields.Float(allow_none=True, metadata={"description": "null: empty denominator (shown as —)"})
    numerator = fields.Float(required=True)
    denominator = fields.Float(allow_none=True, metadata={"description": "null for a count"})


class IndicatorText(Answer):
    id = fields.String(required=True)
    name = fields.String(required=True)
    numerator = fields.String(required=True)
    denominator = fields.String(allow_none=True)
    unit = fields.String(required=True, metadata={"description": "percent (0–100), count or hours"})
    higher_is_better = fields.Boolean(required=True)
    headline = fields.Boolean()


class PeriodAsked(Answer):
    period = fields.String(required=True)
    since = fields.String(required=True)
    until = fields.String(required=True)
    net = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    indicators = fields.List(fields.Nested(IndicatorText), required=True)


class GridFigures(Answer):
    code = fields.String(required=True)
    level = fields.String(required=True)
    name_zh = fields.String()
    name_en = fields.String()
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(IndicatorFigure), required=True)


class GridIndicators(PeriodAsked):
    items = fields.List(fields.Nested(GridFigures), required=True)


class WorkerFigures(Answer):
    code = fields.String(required=True)
    name = fields.String(required=True)
    grid_code = fields.String(required=True)
    nets = fields.List(fields.String())
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(IndicatorFigure), required=True)


class WorkerIndicators(PeriodAsked):
    grid = fields.String(required=True)
    items = fields.List(fields.Nested(WorkerFigures), required=True)


class Organisation(Answer):
    grids = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    workers = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    grids_total = fields.Integer(required=True)
    workers_total = fields.Integer(required=True)
    groups = fields.Integer(required=True)
    groups_with_branch = fields.Integer(required=True)
    groups_secretary_leads = fields.Integer(
        required=True, metadata={"description": "groups whose branch secretary is their own grid worker (一肩挑)"}
    )


class Category(Answer):
    net = fields.String(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    sla_hours = fields.Integer(required=True)
    is_active = fields.Boolean(required=True)
    is_public = fields.Boolean(required=True)
    photo_on_resolve = fields.Boolean(required=True)


class PlanSummary(Answer):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    parent_code = fields.String(required=True)
    owner = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    effective_from = fields.String(allow_none=True)


class PlanState(Answer):
    plan = fields.Nested(PlanSummary, required=True)
    draft = fields.Nested(FeatureCollection, required=True)
    base = fields.Nested(FeatureCollection, required=True)
    validation = fields.Dict(required=True)
    may = fields.Dict(metadata={"description": "what the caller may do now: edit the draft, review the plan"})


class EditedPlan(PlanState):
    saved = fields.Boolean(required=True)


class Impact(Answer):
    grids = fields.Raw(required=True)
    incidents = fields.Raw(required=True)
    party_branches = fields.Raw(required=True)
    workers = fields.Raw(required=True)


class Activation(Answer):
    generation = fields.Integer(required=True)
    rerouted_incidents = fields.Integer(required=True)
    party_branches_left_on_retired_grids = fields.Raw()


class Review(Answer):
    plan = fields.Nested(PlanSummary, required=True)
    activation = fields.Nested(Activation, allow_none=True, required=True)


class GenerationEntry(Answer):
    id = fields.Integer(required=True)
    description = fields.String(allow_none=True)
    activated_at = fields.String(allow_none=True)
    effective_from = fields.String(allow_none=True)
    activated_by = fields.String(allow_none=True)
    plan = fields.Raw(allow_none=True)


class ZoneSummary(Answer):
    id = fields.Integer(required=True)
    name_zh = fields.String(required=True)
    kind = fields.String(required=True)
    area_code = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    active = fields.Boolean()


class Named(Answer):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class Hotspots(Answer):
    note = fields.String(allow_none=True)
    stats = fields.Dict(required=True)
    cells = fields.Nested(FeatureCollection, required=True)
    heat = fields.List(fields.Raw(), required=True)
    hotspots = fields.List(fields.Dict(), required=True)


class Task(Answer):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    team = fields.String(required=True)
    team_id = fields.Integer(required=True)
    zone_id = fields.Integer(allow_none=True)
    starts_at = fields.String(required=True)
    ends_at = fields.String(required=True)
    instructions = fields.String(required=True)
    state = fields.String(required=True, metadata={"description": "visited, pending or missed"})
    checkins = fields.List(
        fields.Dict(), required=True, metadata={"description": "each with its flags: far, early, late, sent_later"}
    )


class CheckInAnswer(Answer):
    id = fields.Integer(required=True)
    distance_m = fields.Integer(required=True)
    is_far = fields.Boolean(required=True)


def file_answer(*content_types: str) -> dict:
    """The documentation of a 200 answering a file in one of ``content_types`` (for ``@blp.doc``)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"responses": {"200": {"description": "the file", "content": dict.fromkeys(content_types, binary)}}}


class JobState(Answer):
    job = fields.String(required=True)
    last_run = fields.String(allow_none=True)
    ok = fields.Boolean(allow_none=True)
    next_run = fields.String(required=True)


class ReplicaHealth(Answer):
    reachable = fields.Boolean(required=True, metadata={"description": "the hot standby answered"})
    in_recovery = fields.Boolean(allow_none=True, metadata={"description": "it is still a standby (not promoted)"})
    streaming = fields.Boolean(allow_none=True, metadata={"description": "it streams WAL from the primary"})
    lag_s = fields.Float(allow_none=True, metadata={"description": "replay lag in seconds (0 when caught up)"})
    reads = fields.String(required=True, metadata={"description": "where safe requests read now: replica or primary"})
    problem = fields.String(allow_none=True, metadata={"description": "why reads go to the primary, if they do"})


class Health(Answer):
    status = fields.String(required=True)
    database = fields.String()
    scheduler = fields.List(fields.Nested(JobState))
    replica = fields.Nested(
        ReplicaHealth,
        allow_none=True,
        metadata={"description": "the read replica (GRIDMAP_READ_REPLICA_URL); null when none is configured"},
    )


class Worker(Answer):
    code = fields.String()
    name = fields.String(required=True)
    post = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    nets = fields.List(fields.String())


class GridRef(Answer):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)


class GridDetail(Answer):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    level = fields.String(required=True)
    demo = fields.Boolean()
    parent_code = fields.String(allow_none=True)
    children = fields.List(fields.Nested(GridRef))
    workers = fields.List(fields.Nested(Worker))
    party_branch = fields.Raw(allow_none=True)


class Summary(Answer):
    jurisdiction = fields.String(required=True)
    grids = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    workers_per_net = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    party_branches = fields.Integer(required=True)


class ChainGrid(Answer):
    level = fields.String(required=True)
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(allow_none=True)
    is_demo = fields.Boolean()
    workers = fields.List(fields.Nested(Worker))
    party_branch = fields.String(allow_none=True)


class Lookup(Answer):
    lon = fields.Float(required=True)
    lat = fields.Float(required=True)
    generation = fields.Integer(allow_none=True)
    inside_county = fields.Boolean(required=True)
    chain = fields.List(fields.Nested(ChainGrid), required=True)
    nearest_grid = fields.Nested(ChainGrid, allow_none=True)
    nearest_distance_m = fields.Float(allow_none=True)
    neighbour_county = fields.Dict(allow_none=True)


class SchemeComponent(Answer):
    indicator = fields.String(required=True)
    weight = fields.Float(required=True)
    inverted = fields.Boolean(required=True)


class Scheme(Answer):
    version = fields.Integer(required=True)
    grid_components = fields.List(fields.Nested(SchemeComponent), required=True)
    worker_components = fields.List(fields.Nested(SchemeComponent), required=True)
    grade_thresholds = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    note = fields.String()
    created_by = fields.String()
    created_at = fields.String(allow_none=True)


class AssessmentSummary(Answer):
    id = fields.Integer(required=True)
    county = fields.String(required=True, metadata={"description": "the county issued, e.g. 533422"})
    county_name_zh = fields.String(allow_none=True, metadata={"description": "the county's name, e.g. 德钦县"})
    county_name_en = fields.String(allow_none=True, metadata={"description": "the county's English name"})
    period = fields.String(required=True)
    version = fields.Integer(required=True)
    since = fields.String(required=True)
    until = fields.String(required=True)
    scheme_version = fields.Integer(required=True)
    issued_by = fields.String()
    issued_at = fields.String(allow_none=True)
    changes = fields.Integer(allow_none=True, metadata={"description": "figures changed since the previous version"})


class FrozenFigure(Answer):
    subject = fields.String(required=True, metadata={"description": "grid or worker"})
    code = fields.String(required=True, metadata={"description": "grid code or grid worker's code"})
    grid_code = fields.String(required=True)
    indicator = fields.String(required=True, metadata={"description": "an indicator id, or score"})
    numerator = fields.Float(required=True)
    denominator = fields.Float(allow_none=True)
    value = fields.Float(allow_none=True, metadata={"description": "null: empty denominator (shown as —)"})
    grade = fields.String(allow_none=True)
    cases = fields.Dict(keys=fields.String(), values=fields.Integer())


class AssessmentDetail(AssessmentSummary):
    figures = fields.List(fields.Nested(FrozenFigure), required=True)
    changed = fields.List(fields.Dict(), allow_none=True, metadata={"description": "figures that changed"})


class FrozenCases(Answer):
    indicator = fields.String(required=True)
    part = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "all the frozen cases the caller may see"})
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True, metadata={"description": "items per page, by id"})
    items = fields.List(fields.Nested(IncidentSummary), required=True)
