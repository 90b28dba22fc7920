"""The inbox ("Việc của tôi"), the candidate's page and the dossier checklist."""
from __future__ import annotations

import re

from datetime import timedelta

import pytest
from sqlalchemy import select

from referral_flow.demo import PATHS
from referral_flow.models import AuditEvent, Case, Role
from referral_flow.security import actionable, scoped_cases, work_triggers
from referral_flow.services.transitions import fire

from ..conftest import counting, csrf_token
from ..factories import TODAY, advance, new_case, user

# Every state that has a path, on both sides of the world.
STATES_WITH_PATHS = list(PATHS)


@pytest.fixture
def many_states(world, db):
    cases = []
    for side in ("a", "b"):
        for unit in ("unit", "gunit"):
            for state in STATES_WITH_PATHS:
                case = new_case(world, side, unit=unit)
                advance(case, world, state)
                cases.append(case)
    db.session.commit()
    return cases


@pytest.mark.parametrize("horizon_days", [0, 400])
def test_sql_inbox_filter_agrees_with_can_for_every_user_and_state(world, db, many_states,
                                                                   horizon_days):
    """``actionable`` (SQL, for lists) must select exactly the cases where ``work_triggers``
    offers a step: the inbox never shows a case without its work, nor hides one."""
    horizon = TODAY + timedelta(days=horizon_days)
    for key, u in world.users.items():
        in_sql = set(db.session.scalars(
            scoped_cases(u, TODAY, select(Case.id)).where(actionable(u, TODAY, horizon))))
        expected = {c.id for c in many_states if work_triggers(u, c, TODAY, horizon)}
        assert in_sql == expected, key


def test_member_inbox_filter_covers_only_his_own_case(world, db, many_states):
    case = many_states[0]
    me = user(Role.member, None, member_id=case.member_id)
    ids = set(db.session.scalars(scoped_cases(me, TODAY, select(Case.id))
                                 .where(actionable(me, TODAY))))
    assert ids == ({case.id} if work_triggers(me, case, TODAY) else set())


def _groups(client):
    page = client.get("/inbox/")
    assert page.status_code == 200
    return page


def test_inbox_groups_and_counts(world, db, auth, client):
    nominated = new_case(world, start=TODAY - timedelta(days=40))
    advance(nominated, world, "nominated", today=TODAY)
    certified = new_case(world, start=TODAY - timedelta(days=80))
    advance(certified, world, "certified", today=TODAY)
    db.session.commit()
    officer = world.users["party_officer_a"]
    auth.login(officer.username)
    todo = client.get("/inbox/?group=todo").text
    watching = client.get("/inbox/?group=watching").text
    assert f"/cases/{nominated.id}" in todo            # the officer accepts it
    assert f"/cases/{certified.id}" in todo            # the officer may start the dossier
    advance_case = new_case(world, start=TODAY - timedelta(days=60))
    advance(advance_case, world, "in_class", today=TODAY)
    db.session.commit()
    watching = client.get("/inbox/?group=watching").text
    assert f"/cases/{advance_case.id}" in watching     # waiting on the class organiser
    assert f"/cases/{advance_case.id}" not in client.get("/inbox/?group=todo").text
    done = client.get("/inbox/?group=done").text
    assert f"/cases/{nominated.id}" not in done        # the officer did nothing yet
    db.session.refresh(nominated)
    fire(nominated, "accept", officer, expected_version=nominated.version,
         data={"host_cell_id": world["cell_a"].id, "helpers": [world.helper().id]})
    db.session.commit()
    assert f"/cases/{nominated.id}" in client.get("/inbox/?group=done").text


def _todo_and_watching(client) -> tuple[str, str]:
    return client.get("/inbox/?group=todo").text, client.get("/inbox/?group=watching").text


def test_union_chair_has_only_drafts_to_do(world, db, auth, client):
    """The chair may withdraw any open referral, but that is not work the case waits for:
    cases at the Party's steps are watched, not "to do"."""
    draft = new_case(world, start=TODAY - timedelta(days=10))
    waiting = {state: advance(new_case(world, start=TODAY - timedelta(days=300)), world, state)
               for state in ("nominated", "accepted", "in_class", "dossier", "decision_pending")}
    db.session.commit()
    auth.login(world.users["union_chair_a"].username)
    todo, watching = _todo_and_watching(client)
    assert f"/cases/{draft.id}" in todo
    for case in waiting.values():
        assert f"/cases/{case.id}" not in todo
        assert f"/cases/{case.id}" in watching


@pytest.mark.parametrize("ends_in_days, in_todo", [(10, True), (400, False), (-5, True)])
def test_probation_is_work_for_the_cell_only_when_its_review_window_opens(
        world, db, auth, client, app, ends_in_days, in_todo):
    """The review window opens REVIEW_WINDOW_WORKING_DAYS working days before probation
    ends; the competent body, which may only remove, never has probation "to do"."""
    case = advance(new_case(world, start=TODAY - timedelta(days=900)), world, "probation")
    case.probation_ends_on = TODAY + timedelta(days=ends_in_days)
    db.session.commit()
    assert app.config["REVIEW_WINDOW_WORKING_DAYS"] == 20     # 10 days < 20 working days < 400
    auth.login(world.users["cell_secretary_a"].username)
    todo, watching = _todo_and_watching(client)
    assert (f"/cases/{case.id}" in todo) is in_todo
    assert (f"/cases/{case.id}" in watching) is not in_todo
    auth.logout()
    auth.login(world.users["competent_officer_a"].username)
    todo, watching = _todo_and_watching(client)
    assert f"/cases/{case.id}" not in todo and f"/cases/{case.id}" in watching


@pytest.mark.parametrize("role, landing", [
    ("federation_officer_a", "/reports/achievement"),
    ("union_chair_a", "/inbox/"),
    ("cell_secretary_a", "/inbox/"),
    ("competent_officer_a", "/inbox/"),
    ("class_organiser_a", "/inbox/"),
    ("administrator", "/inbox/"),
])
def test_each_role_lands_where_its_work_is(world, auth, client, role, landing):
    auth.login(world.users[role].username)
    assert client.get("/").headers["Location"] == landing


def test_member_lands_on_his_own_case(world, db, auth, client):
    me = user(Role.member, None, member_id=new_case(world).member_id, username="thanhvien")
    db.session.commit()
    auth.login(me.username)
    assert client.get("/").headers["Location"] == "/me/"


def test_inbox_shows_overdue_in_working_days(world, db, auth, client):
    case = new_case(world, start=TODAY - timedelta(days=400))
    advance(case, world, "decision_pending", gap=5, today=TODAY)
    db.session.commit()
    auth.login(world.users["competent_officer_a"].username)
    page = client.get("/inbox/").text
    assert f"/cases/{case.id}" in page
    assert 'class="badge overdue"' in page


@pytest.mark.parametrize("n", [3, 60])
def test_inbox_issues_a_bounded_number_of_statements(world, db, auth, client, n, request):
    for _ in range(n):
        advance(new_case(world, start=TODAY - timedelta(days=400)), world,
                "decision_pending", gap=5, today=TODAY)
    auth.login(world.users["competent_officer_a"].username)
    with counting(request.getfixturevalue("app"), db) as seen:
        assert client.get("/inbox/").status_code == 200
    assert len(seen) <= 12


def test_anonymous_inbox_redirects_to_login(client):
    assert client.get("/inbox/").status_code == 302


# --- the candidate's page --------------------------------------------------------------

@pytest.fixture
def candidate(world, db):
    case = new_case(world, start=TODAY - timedelta(days=100))
    advance(case, world, "nominated", today=TODAY)
    fire(case, "accept", world.users["party_officer_a"], expected_version=case.version,
         data={"host_cell_id": world["cell_a"].id, "helpers": [world.helper().id]},
         comment="Ghi chú nội bộ: chưa nộp ảnh")
    db.session.commit()
    me = user(Role.member, None, member_id=case.member_id, username="ungvien")
    db.session.commit()
    return case, me


def test_member_sees_his_case_in_plain_words_and_no_internal_comment(auth, client, candidate):
    _case, me = candidate
    auth.login(me.username)
    page = client.get("/me/")
    assert page.status_code == 200
    assert "Ghi chú nội bộ" not in page.text
    assert client.get("/").headers["Location"].endswith("/me/")     # his landing page


def test_member_sees_a_comment_marked_visible(world, db, auth, client, candidate):
    case, me = candidate
    fire(case, "skip_class", world.users["party_officer_a"], expected_version=case.version,
         data={"certificate_no": "GCN-1", "certificate_issuer": "Trung tâm",
               "certificate_on": TODAY - timedelta(days=300)},
         comment="Chúc mừng bạn đã hoàn thành lớp học", comment_visible=True)
    db.session.commit()
    auth.login(me.username)
    page = client.get("/me/").text
    assert "Chúc mừng bạn đã hoàn thành lớp học" in page
    assert "Ghi chú nội bộ" not in page


def test_member_cannot_open_another_case(world, db, auth, client, candidate):
    _case, me = candidate
    other = new_case(world)
    db.session.commit()
    auth.login(me.username)
    assert client.get(f"/cases/{other.id}").status_code == 404


# --- dossier checklist -----------------------------------------------------------------

@pytest.fixture
def in_dossier(world, db):
    case = new_case(world, start=TODAY - timedelta(days=100))
    advance(case, world, "certified", today=TODAY)
    fire(case, "open_dossier", None, expected_version=case.version, check_permission=False)
    db.session.commit()
    return case


def _add_document(client, case, form_code, **fields):
    """Submit the dossier's form for ``form_code`` as the page names its fields."""
    token = csrf_token(client.get(f"/cases/{case.id}").text)
    slug = form_code.replace("Đ", "D").lower()
    return client.post(f"/cases/{case.id}/documents/{slug}",
                       data={f"doc-{slug}-{k}": v
                             for k, v in {"csrf_token": token, **fields}.items()})


def test_secretary_records_documents_and_sees_the_checklist(world, db, auth, client, in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    page = client.get(f"/cases/{in_dossier.id}").text
    assert page.count('class="badge doc-missing"') == 4        # 1-, 2-, 3-, 5-KNĐ; 4A on file
    ok = _add_document(client, in_dossier, "1-KNĐ", number="", issued_on=TODAY.isoformat())
    assert ok.status_code == 302
    page = client.get(f"/cases/{in_dossier.id}").text
    assert page.count('class="badge doc-missing"') == 3
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == in_dossier.id, AuditEvent.subject == "document")).one()
    assert event.data["form"] == "1-KNĐ"


def test_unverified_history_and_bad_input_are_flagged(world, db, auth, client, in_dossier):
    auth.login(world.users["cell_secretary_a"].username)
    assert _add_document(client, in_dossier, "2-KNĐ",
                         issued_on=TODAY.isoformat()).status_code == 302
    assert 'class="badge doc-unverified"' in client.get(f"/cases/{in_dossier.id}").text
    future = (TODAY + timedelta(days=3)).isoformat()
    refused = _add_document(client, in_dossier, "5-KNĐ", issued_on=future,
                            issuer="<script>alert(1)</script>")
    assert refused.status_code == 422
    assert "<script>alert(1)</script>" not in refused.text
    assert _add_document(client, in_dossier, "9-KNĐ",
                         issued_on=TODAY.isoformat()).status_code == 404
    assert _add_document(client, in_dossier, "1-KNĐ",
                         issued_on="31/02/2026").status_code == 400


@pytest.mark.parametrize("role", ["union_chair_a", "class_organiser_a", "competent_officer_a",
                                  "federation_officer_a"])
def test_other_roles_cannot_record_documents(world, db, auth, client, in_dossier, role):
    auth.login(world.users[role].username)
    page = client.get(f"/cases/{in_dossier.id}")
    # No form records, corrects or withdraws a document (a signed scan of a paper this
    # role issued, e.g. the organiser's certificate, is another matter: test_scans).
    assert not [u for u in re.findall(r'/cases/\d+/documents/[^"]*', page.text)
                if not u.endswith("/scan")]
    response = _add_document(client, in_dossier, "1-KNĐ", issued_on=TODAY.isoformat())
    assert response.status_code == 403          # sees the case, may not record on it
    db.session.expire_all()
    assert not [d for d in in_dossier.documents if d.form_code == "1-KNĐ"]
