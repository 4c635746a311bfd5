"""Every table that holds a county's data carries an indexed ``county_code`` (issue #20, docs/scaling.md).

The code is what a county's rows are found, exported and one day distributed by (Citus: incidents by
county code). A table without one is listed below with the reason it needs none, so a new table that
holds county data and forgets the column fails here instead of mixing counties later.
"""

import pytest

from geo.tables import Base

#: Rows that hang by a foreign key from a parent carrying the county code (the parent says the county).
HANGING = {
    "api_token": "app_user",
    "login_session": "app_user",
    "grid_boundary": "grid",
    "party_village_branch": "grid",
    "incident_attachment": "incident",
    "incident_co_handler": "incident",
    "incident_cross_net": "incident",
    "incident_evaluation": "incident",
    "incident_event": "incident",
    "public_report": "incident",
    "party_activity_photo": "party_activity",
    "party_linked_household": "party_member",
    "patrol_checkin": "patrol_task",
    "patrol_team": "seasonal_zone",
    "temporary_branch": "seasonal_zone",
    "zone_site": "seasonal_zone",
    "training_record": "grid_worker",
    "worker_profile": "grid_worker",
    "worker_recognition": "grid_worker",
}

#: Tables shared by every county: lookups and settings changed only by a jurisdiction covering them all
#: (``Principal.require_shared_change``), and the installation's own records.
SHARED = {
    "incident_category": "the category catalogue, one for every county",
    "category_duty": "the duty list, by category",
    "scoring_scheme": "the assessment's weights",
    "points_rules": "the points rules for grid workers",
    "public_contact_field": "which contact fields are published",
    "training_topic": "the training topics",
    "open311_client": "API clients of the whole installation",
    "job_run": "the scheduler's runs of installation-wide jobs",
    "indicator_month_built": "which months of every county's cases are summed up (the rows carry the code)",
    "indicator_month_stale": "which months of every county's cases changed since they were summed up",
}

ALLOWED = HANGING.keys() | SHARED.keys()


def _has_indexed_county_code(table) -> bool:
    return "county_code" in table.c and any(
        list(index.columns.keys())[:1] == ["county_code"] for index in table.indexes
    )


@pytest.mark.parametrize("name", sorted(Base.metadata.tables))
def test_a_table_holding_county_data_carries_an_indexed_county_code(name):
    table = Base.metadata.tables[name]
    assert name in ALLOWED or _has_indexed_county_code(table), (
        f"{name} has no indexed county_code: add one (geo.grid.models.county_code_from or CountyBound) "
        "or list it in HANGING or SHARED with the reason it needs none"
    )


@pytest.mark.parametrize("name", sorted(HANGING))
def test_a_hanging_table_has_a_foreign_key_to_a_parent_with_the_county_code(name):
    table = Base.metadata.tables[name]
    parent = HANGING[name]
    assert parent in {key.column.table.name for key in table.foreign_keys}
    assert _has_indexed_county_code(Base.metadata.tables[parent])


def test_the_allow_list_names_only_tables_that_exist_and_lack_the_column():
    tables = Base.metadata.tables
    assert tables.keys() >= ALLOWED
    assert not [name for name in ALLOWED if "county_code" in tables[name].c]
