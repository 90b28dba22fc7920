"""Firing a transition over HTTP: POST + CSRF + version; 409 when someone acted first."""
from datetime import timedelta

import pytest

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case


@pytest.fixture
def nominated(world, db):
    case = new_case(world, start=TODAY - timedelta(days=60))
    advance(case, world, "nominated", today=TODAY)
    db.session.commit()
    return case


def _post(client, case, trigger, version, **fields):
    """Submit the step's form as the page names its fields (prefixed by the trigger)."""
    page = client.get(f"/cases/{case.id}")
    data = {"csrf_token": csrf_token(page.text), "version": version, **fields}
    return client.post(f"/cases/{case.id}/{trigger}",
                       data={f"{trigger}-{key}": value for key, value in data.items()})


def test_accept_over_http_then_stale_form_gets_409(world, db, auth, client, nominated):
    officer = world.users["party_officer_a"]
    auth.login(officer.username)
    cell = world["cell_a"]
    version = nominated.version
    helper = world.helper("cell_a")
    ok = _post(client, nominated, "accept", version, host_cell_id=cell.id, helpers=helper.id)
    assert ok.status_code == 302
    db.session.expire_all()
    assert nominated.state == "accepted"
    assert [(h.full_name, h.party_member_id) for h in nominated.helpers] == \
        [(helper.full_name, helper.id)]
    # The same form submitted again (the version it carries is now stale).
    again = _post(client, nominated, "return_to_union", version, comment="Thiếu hồ sơ")
    assert "Thiếu hồ sơ" in again.text                    # what was typed is kept
    assert again.status_code == 409
    assert f"/cases/{nominated.id}" in again.text       # the reload link
    db.session.expire_all()
    assert nominated.state == "accepted"


def test_cell_outside_the_receiving_organisation_is_not_offered(world, db, auth, client,
                                                                nominated):
    auth.login(world.users["party_officer_a"].username)
    helper = world.helper("cell_a")
    response = _post(client, nominated, "accept", nominated.version,
                     host_cell_id=world["cell_b"].id, helpers=helper.id)
    assert response.status_code == 400
    # What was chosen is kept: the helper stays selected in the picker.
    assert f'<option selected value="{helper.id}">' in response.text
    db.session.expire_all()
    assert nominated.state == "nominated"


def test_failed_guard_shows_its_reason_next_to_the_form(world, db, auth, client):
    draft = new_case(world, start=TODAY - timedelta(days=30))
    db.session.commit()
    auth.login(world.users["union_chair_a"].username)
    on = TODAY.isoformat()
    response = _post(client, draft, "submit", draft.version, held_on=on, eligible=9, present=9,
                     votes_for=4, votes_against=5, resolution_no="NQ-01", on=on)
    assert response.status_code == 422
    assert "4" in response.text and "NQ-01" in response.text
    assert 'role="alert"' in response.text
    db.session.expire_all()
    assert draft.state == "draft"


def test_action_without_csrf_is_refused(world, db, auth, client, nominated):
    auth.login(world.users["party_officer_a"].username)
    response = client.post(f"/cases/{nominated.id}/accept", data={"version": nominated.version})
    assert response.status_code == 400
    db.session.expire_all()
    assert nominated.state == "nominated"


def test_action_by_role_without_right_is_403(world, db, auth, client, nominated):
    auth.login(world.users["federation_officer_a"].username)
    response = _post(client, nominated, "accept", nominated.version,
                     host_cell_id=world["cell_a"].id, helpers=world.helper().id)
    assert response.status_code == 403


def test_action_out_of_scope_is_404(world, db, auth, client, nominated):
    auth.login(world.users["party_officer_b"].username)
    token = csrf_token(client.get("/cases/").text)
    response = client.post(f"/cases/{nominated.id}/accept",
                           data={"version": 1, "csrf_token": token})
    assert response.status_code == 404


def test_reloading_a_refused_form_returns_to_the_case_not_a_405(world, db, auth, client,
                                                                  nominated):
    auth.login(world.users["party_officer_a"].username)
    refused = _post(client, nominated, "accept", nominated.version, host_cell_id="",
                    helpers="")
    assert refused.status_code == 400
    again = client.get(f"/cases/{nominated.id}/accept")          # F5 or "back"
    assert again.status_code == 302 and again.location == f"/cases/{nominated.id}"
    assert client.get(f"/cases/{nominated.id}/documents/1-knd").location == \
        f"/cases/{nominated.id}"
