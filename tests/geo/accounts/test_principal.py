"""The access rules of a caller: jurisdiction by code prefix, nets, roles, writing."""

import pytest

from geo.accounts.capabilities import Capability
from geo.accounts.models import Role
from geo.accounts.principal import EVERY_COUNTY, AccessDenied, Principal

DEQIN = "533422"
BENZILAN = "533422102"
SOCIAL_RURAL = frozenset({"social", "rural"})
DISPATCHER = Principal(1, "benzilan", Role.DISPATCHER, BENZILAN, SOCIAL_RURAL)
VIEWER = Principal(2, "viewer", Role.VIEWER, DEQIN, SOCIAL_RURAL)


def test_the_jurisdiction_is_its_grid_and_everything_below_it():
    assert DISPATCHER.covers(BENZILAN) and DISPATCHER.covers(BENZILAN + "001001")
    assert not DISPATCHER.covers(DEQIN)  # the county holds Benzilan, but is not inside it
    assert not DISPATCHER.covers("533422103001")  # the neighbouring township


def test_changing_reaches_only_inside_the_jurisdiction_and_never_for_viewers():
    assert DISPATCHER.may_change(BENZILAN + "001") and not DISPATCHER.may_change(DEQIN)
    assert not VIEWER.may_change(BENZILAN)
    DISPATCHER.require_change(BENZILAN + "001")
    with pytest.raises(AccessDenied, match="outside your jurisdiction"):
        DISPATCHER.require_change("533422206")
    with pytest.raises(AccessDenied, match="viewers may look"):
        VIEWER.require_change(BENZILAN)
    with pytest.raises(AccessDenied) as refused:
        VIEWER.require_writer()
    assert refused.value.status == 403


def test_nets_decide_which_workers_and_which_of_their_nets_are_shown():
    assert DISPATCHER.has_net("social") and not DISPATCHER.has_net("religious")
    assert DISPATCHER.sees_worker(["religious", "rural"]) and not DISPATCHER.sees_worker(["religious"])
    assert DISPATCHER.shown_nets(["social", "religious", "rural"]) == ["social", "rural"]
    DISPATCHER.require_net("rural")
    with pytest.raises(AccessDenied, match="religious"):
        DISPATCHER.require_net("religious")


def test_capabilities_are_required_by_name():
    DISPATCHER.require(Capability.CASE_DESK)
    with pytest.raises(AccessDenied, match="needs one of the roles"):
        DISPATCHER.require(Capability.PLAN_EDIT)


def test_phones_show_only_inside_the_jurisdiction():
    assert DISPATCHER.sees_phones(BENZILAN + "001001") and not DISPATCHER.sees_phones("533422206001")


def test_everything_is_every_county_with_every_net():
    system = Principal.everything()
    assert system.role is Role.ADMIN and system.jurisdiction_code == EVERY_COUNTY
    assert system.covers("533422101") and system.covers("533423101")
    assert {"social", "religious", "rural"} <= system.nets


def test_what_has_no_grid_is_read_county_wide_only():
    Principal(1, "admin", Role.ADMIN, "533422", frozenset()).require_county_wide()
    with pytest.raises(AccessDenied, match="whole county"):
        Principal(2, "township.admin", Role.ADMIN, "533422102", frozenset()).require_county_wide()


def test_a_prefecture_covers_its_counties_and_no_other():
    diqing = Principal(3, "diqing", Role.VIEWER, "533400", SOCIAL_RURAL)
    assert all(diqing.covers(code) for code in ("533401", "533422101001", "533423205"))
    assert not diqing.covers("533324") and not diqing.covers("530721001")
    deqin = Principal(4, "deqin", Role.VIEWER, DEQIN, SOCIAL_RURAL)
    assert not deqin.covers("533423101") and not deqin.covers("533400")
