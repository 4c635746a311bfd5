"""Residents' reports without an account: the form, its checks, 并单, the receipt and the tracking page."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from extensions import db, limiter
from geo.dispatch.models import Incident, IncidentEvent
from geo.public.models import PublicReport
from tests.conftest import csrf_token_of

GROUP = "533422102201002"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """Each test starts with unspent rate limits (the counters live in the process)."""
    limiter.reset()
    yield
    limiter.reset()


def scalar(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def scalars(app, statement):
    with app.app_context():
        return db.session.scalars(statement).all()


def found(pattern: str, html: str) -> str:
    match = re.search(pattern, html)
    assert match, f"{pattern} not in {html[:1000]}"
    return match.group(1)


def form_of(anonymous, path="/report") -> dict:
    html = anonymous.get(path).get_data(as_text=True)
    key = found(r'name="key" value="([^"]+)"', html)
    return {"csrf_token": csrf_token_of(anonymous, path), "key": key}


def report(anonymous, **changes):
    data = {
        **form_of(anonymous),
        "category": "sanitation",
        "description": "村口垃圾堆放多日无人清运",
        "group": GROUP,
        "reporter_name": "扎西",
        "reporter_phone": "13800000001",
        "callback_consent": "1",
        **changes,
    }
    return anonymous.post("/report", data=data, content_type="multipart/form-data")


def tracking_link(response) -> str:
    found = re.search(r'id="track-link" href="http://localhost(/track/[^"]+)"', response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:2000]
    return found.group(1)


def ticket_of(response) -> str:
    return found(r'id="ticket">([^<]+)<', response.get_data(as_text=True))


def test_the_form_is_public_lists_public_categories_only_and_speaks_english(anonymous):
    page = anonymous.get("/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="sanitation"' in html and 'value="religious_site_safety"' not in html
    assert "升平镇" in html and 'name="website"' in html
    assert "Report a problem" in anonymous.get("/report?lang=en").get_data(as_text=True)
    places = anonymous.get("/report/places/533422102").get_json()
    assert any(p["code"] == "533422102201" for p in places)
    assert anonymous.get("/report/places/xyz").status_code == 400


def test_a_report_arrives_online_from_the_public_and_answers_a_tracking_link_and_qr(app, anonymous, client):
    answered = report(anonymous, photos=(io.BytesIO(PNG), "a.png"))
    assert answered.status_code == 200
    html = answered.get_data(as_text=True)
    assert "<svg" in html and 'id="track-qr"' in html
    ticket = ticket_of(answered)
    with app.app_context():
        incident = db.session.scalars(select(Incident).where(Incident.ticket == ticket)).one()
        stored = db.session.scalars(select(PublicReport).where(PublicReport.incident_id == incident.id)).one()
    assert (incident.status, incident.channel, incident.from_public, incident.resident_reports) == (
        "reported",
        "online",
        True,
        1,
    )
    assert incident.group_code == GROUP and incident.assignee_id is not None  # routed by intake
    code = tracking_link(answered).rsplit("/", 1)[1]
    assert code not in stored.code_hash and stored.callback_consent
    detail = client.get(f"/api/incidents/{ticket}").get_json()
    assert detail["reporter_phone"] == "13800000001" and detail["from_public"] and detail["attachments"]
    assert detail["callback_consent"]


def test_the_same_key_answers_the_same_receipt_and_writes_nothing_new(app, anonymous):
    data = form_of(anonymous)
    first = report(anonymous, **data)
    again = report(anonymous, **data)
    assert tracking_link(first) == tracking_link(again) and ticket_of(first) == ticket_of(again)
    assert (
        scalar(app, select(func.count()).select_from(PublicReport).where(PublicReport.idempotency_key == data["key"]))
        == 1
    )
    changed = report(anonymous, **data, description="另一件事")
    assert changed.status_code == 422


@pytest.mark.parametrize(
    ("changes", "status", "words"),
    [
        ({"category": "religious_site_safety"}, 400, "类别"),
        ({"description": ""}, 400, "description"),
        ({"group": "", "lon": "", "lat": ""}, 400, "村民小组"),
        ({"group": "53342210"}, 400, "村民小组"),
        ({"group": "", "lon": "120", "lat": "30"}, 400, "德钦"),
        ({"reporter_phone": "call me"}, 400, "reporter_phone"),
        ({"photos": (io.BytesIO(b"GIF89a" + b"\x00" * 20), "x.gif")}, 415, "JPEG"),
        ({"key": "short"}, 400, "过期"),
    ],
)
def test_bad_reports_are_refused_on_the_form_in_its_language_and_write_nothing(app, anonymous, changes, status, words):
    before = scalar(app, select(func.count()).select_from(Incident))
    answered = report(anonymous, **changes)
    assert answered.status_code == status, answered.get_data(as_text=True)[:500]
    html = answered.get_data(as_text=True)
    assert 'class="problem"' in html and words in html
    assert scalar(app, select(func.count()).select_from(Incident)) == before


def test_too_many_photos_are_refused(anonymous):
    photos = [(io.BytesIO(PNG), f"{n}.png") for n in range(4)]
    assert report(anonymous, photos=photos).status_code == 400


def test_the_honeypot_refuses_a_bot_and_writes_nothing(app, anonymous):
    before = scalar(app, select(func.count()).select_from(Incident))
    assert report(anonymous, website="http://spam.example").status_code == 400
    assert scalar(app, select(func.count()).select_from(Incident)) == before


def test_csrf_is_required(anonymous):
    data = form_of(anonymous)
    data.pop("csrf_token")
    answered = anonymous.post("/report", data={**data, "category": "sanitation", "description": "x", "group": GROUP})
    assert answered.status_code == 400


def test_rate_limits_per_address_and_per_phone(app, anonymous, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_REPORT_PHONE_RATE_LIMIT", "2 per day")
    monkeypatch.setitem(app.config, "PUBLIC_REPORT_RATE_LIMIT", "4 per hour")
    categories = ["sanitation", "dispute", "livelihood", "safety_hazard"]
    assert report(anonymous, category=categories[0]).status_code == 200
    assert report(anonymous, category=categories[1]).status_code == 200
    assert report(anonymous, category=categories[2]).status_code == 429  # the same phone a third time
    assert report(anonymous, category=categories[2], reporter_phone="").status_code == 200
    assert report(anonymous, category=categories[3], reporter_phone="").status_code == 429  # the address


def test_a_like_report_nearby_is_offered_and_joins_the_open_case(app, anonymous, client):
    first = report(anonymous)
    ticket = ticket_of(first)
    offered = report(anonymous, description="垃圾没人管", reporter_name="卓玛", reporter_phone="13900000002")
    html = offered.get_data(as_text=True)
    assert offered.status_code == 200 and ticket in html and 'id="join-case"' in html
    assert "村口垃圾" not in html and "扎西" not in html  # nothing the first reporter wrote
    key = found(r'name="key" value="([^"]+)"', html)
    joined = report(
        anonymous,
        key=key,
        join=ticket,
        description="垃圾没人管",
        photos=(io.BytesIO(PNG), "b.png"),
        reporter_name="卓玛",
        reporter_phone="13900000002",
    )
    assert ticket_of(joined) == ticket
    supporter_link = tracking_link(joined)
    assert supporter_link != tracking_link(first)
    joined_case = client.get(f"/api/incidents/{ticket}").get_json()
    assert joined_case["resident_reports"] == 2 and [a["filename"] for a in joined_case["attachments"]] == ["b.png"]
    page = anonymous.get(supporter_link).get_data(as_text=True)
    assert ticket in page and "扎西" not in page and "卓玛" not in page and "13800000001" not in page
    separate = report(anonymous, join="new", reporter_phone="13900000003")
    assert ticket_of(separate) != ticket


def test_tracking_shows_stages_deadline_public_notes_and_the_refusal_reason(app, anonymous, client):
    answered = report(anonymous)
    link, ticket = tracking_link(answered), ticket_of(answered)
    token = {"X-CSRFToken": csrf_token_of(client, "/")}

    def act(action, **body):
        version = client.get(f"/api/incidents/{ticket}").get_json()["version"]
        return client.post(f"/api/incidents/{ticket}/{action}", json={"version": version, **body}, headers=token)

    assert act("note", note="内部：联系村委").status_code == 200
    assert act("note", note="已联系环卫站，明天清运", public=True).status_code == 200
    page = anonymous.get(link).get_data(as_text=True)
    assert "已联系环卫站，明天清运" in page and "内部" not in page
    assert act("reject").status_code == 400  # a refusal needs a reason
    assert act("reject", note="该处属于景区管理范围，已转景区管理局").status_code == 200
    page = anonymous.get(link).get_data(as_text=True)
    assert 'id="refusal"' in page and "该处属于景区管理范围" in page and "不予受理" in page
    # No worker's code (W and four digits) as a word; the page's random nonce and token may hold "W0" by chance.
    assert not re.search(r"(?<![A-Za-z0-9_-])W\d{4}(?![A-Za-z0-9_-])", page)
    events = scalars(app, select(IncidentEvent).where(IncidentEvent.action == "reject"))
    assert events[-1].is_public


def test_an_unknown_tracking_code_is_404(anonymous):
    assert anonymous.get("/track/" + "x" * 32).status_code == 404
    assert anonymous.get("/track/short").status_code == 404


def close_case(client, ticket):
    token = {"X-CSRFToken": csrf_token_of(client, "/")}
    for action in ("register", "dispatch", "resolve", "verify"):
        version = client.get(f"/api/incidents/{ticket}").get_json()["version"]
        body = {"version": version, "note": "垃圾已清运" if action == "resolve" else ""}
        done = client.post(f"/api/incidents/{ticket}/{action}", json=body, headers=token)
        assert done.status_code == 200, done.get_json()


def rate(anonymous, link, **form):
    token = csrf_token_of(anonymous, link)
    return anonymous.post(link + "/rating", data={"csrf_token": token, **form})


def test_a_closed_case_is_rated_once_as_the_residents_evaluation(app, anonymous, client):
    answered = report(anonymous)
    link, ticket = tracking_link(answered), ticket_of(answered)
    assert 'id="rating"' not in anonymous.get(link).get_data(as_text=True)  # not closed yet
    assert rate(anonymous, link, result="satisfied").status_code == 422
    close_case(client, ticket)
    assert 'id="rating"' in anonymous.get(link).get_data(as_text=True)
    assert rate(anonymous, link, result="delighted").status_code == 400
    rated = rate(anonymous, link, result="satisfied", comment="很快就清运了")
    assert rated.status_code == 302
    page = anonymous.get(link).get_data(as_text=True)
    assert 'id="rated"' in page and 'id="rating"' not in page and "很快就清运了" not in page
    assert rate(anonymous, link, result="dissatisfied").status_code == 409
    with app.app_context():
        from geo.evaluation.record_models import IncidentEvaluation

        incident = db.session.scalars(select(Incident).where(Incident.ticket == ticket)).one()
        kept = db.session.scalars(select(IncidentEvaluation).where(IncidentEvaluation.incident_id == incident.id)).one()
        assert (kept.result, kept.source, kept.actor, kept.reopened) == ("satisfied", "resident", "public", False)


def test_dissatisfied_and_not_solved_reopens_the_case_once(app, anonymous, client):
    answered = report(anonymous)
    link, ticket = tracking_link(answered), ticket_of(answered)
    close_case(client, ticket)
    assert rate(anonymous, link, result="dissatisfied", comment="垃圾还在", not_solved="1").status_code == 302
    detail = client.get(f"/api/incidents/{ticket}").get_json()
    assert (detail["status"], detail["reopen_count"]) == ("dispatched", 1)
    for action in ("resolve", "verify"):
        version = client.get(f"/api/incidents/{ticket}").get_json()["version"]
        client.post(
            f"/api/incidents/{ticket}/{action}",
            json={"version": version, "note": "再次清运" if action == "resolve" else ""},
            headers={"X-CSRFToken": csrf_token_of(client, "/")},
        )
    assert rate(anonymous, link, result="dissatisfied", not_solved="1").status_code == 302
    detail = client.get(f"/api/incidents/{ticket}").get_json()
    assert (detail["status"], detail["reopen_count"]) == ("closed", 1)  # sent back once only
