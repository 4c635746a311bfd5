"""网格公示: the public lookup of a villager group's grid worker, its printable board, and what is published."""

from __future__ import annotations

import re

from sqlalchemy import select

from extensions import db, limiter
from geo.grid.models import Grid, GridWorker
from tests.conftest import csrf_token_of

GROUP = "533422102201002"


def workers_of(app, code):
    with app.app_context():
        return db.session.scalars(
            select(GridWorker).join(Grid, Grid.id == GridWorker.grid_id).where(Grid.code == code)
        ).all()


def test_lookup_by_group_or_position_shows_name_and_post_but_no_phone_by_default(app, anonymous):
    limiter.reset()
    workers = workers_of(app, GROUP)
    assert workers
    page = anonymous.get(f"/grid?group={GROUP}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and workers[0].name in html and workers[0].post in html
    assert workers[0].phone not in html
    by_position = anonymous.get("/grid?lon=99.2991&lat=28.2446").get_data(as_text=True)
    assert 'id="board"' in by_position
    assert anonymous.get("/grid?lon=120&lat=30").status_code == 400
    assert anonymous.get("/grid?group=12").status_code == 400


def test_admins_choose_the_published_fields_and_the_board_follows(app, anonymous, client_as, client):
    limiter.reset()
    admin = client_as("admin")
    token = {"X-CSRFToken": csrf_token_of(admin, "/")}
    assert admin.get("/api/public/contact-fields").get_json() == {"name": True, "post": True, "phone": False}
    assert (
        client.patch(
            "/api/public/contact-fields", json={"phone": True}, headers={"X-CSRFToken": csrf_token_of(client, "/")}
        ).status_code
        == 403
    )
    changed = admin.patch("/api/public/contact-fields", json={"phone": True, "post": False}, headers=token)
    assert changed.get_json() == {"name": True, "post": False, "phone": True}
    worker = workers_of(app, GROUP)[0]
    board = anonymous.get(f"/grid/{GROUP}/board")
    html = board.get_data(as_text=True)
    assert board.status_code == 200 and worker.phone in html
    assert "<svg" in html and 'class="outline"' in html and f"/report?group={GROUP}" in html
    assert re.search(r'<path d="M', html)
    assert anonymous.get("/grid/533422102201999/board").status_code == 404


def test_the_report_form_opens_with_the_boards_group_chosen(anonymous):
    limiter.reset()
    html = anonymous.get(f"/report?group={GROUP}").get_data(as_text=True)
    assert f'<option value="{GROUP}" selected>' in html
