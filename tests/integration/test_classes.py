"""The class organiser's screens: access, classes, bulk enrolment and bulk results with
per-row outcomes (one SAVEPOINT per row, one commit), hostile input, bounded statements."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from referral_flow.models import AwarenessClass, Case, Enrolment, EnrolmentResult
from referral_flow.services.transitions import fire

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case
from referral_flow.services.transitions import CONFLICT

from .test_web import counting, vi



def make_class(world, side="a", *, capacity=10, prefix="GCN-T-", starts=-5, ends=0,
               name="Lớp bồi dưỡng thử") -> AwarenessClass:
    from referral_flow.extensions import db
    klass = AwarenessClass(name=name, organiser=world[f"bloc_{side}"], co_organiser="LĐLĐ tỉnh",
                           starts_on=TODAY + timedelta(days=starts),
                           ends_on=TODAY + timedelta(days=ends), place="Hội trường",
                           capacity=capacity, certificate_prefix=prefix, certificate_seq=0)
    db.session.add(klass)
    db.session.flush()
    return klass


def accepted(world, n, side="a") -> list[Case]:
    return [advance(new_case(world, side, start=TODAY - timedelta(days=200)), world, "accepted")
            for _ in range(n)]


def enrolled(world, klass, n, side="a") -> list[Case]:
    cases = accepted(world, n, side)
    for case in cases:
        fire(case, "enroll", None, expected_version=case.version, data={"class_id": klass.id},
             check_permission=False)
    return cases


def login(auth, world, key="class_organiser_a"):
    auth.login(world.users[key].username)


def token(client, url="/classes/") -> str:
    return csrf_token(client.get(url).text)


def enrol_form(client, klass, cases, **extra) -> dict:
    data = {"csrf_token": token(client, f"/classes/{klass.id}/enrol"),
            "case": [str(c.id) for c in cases]}
    data.update({f"version-{c.id}": str(c.version) for c in cases})
    data.update(extra)
    return data


def states(db, cases) -> list[str]:
    db.session.expire_all()
    return [db.session.get(Case, c.id).state for c in cases]


# --- access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["union_chair_a", "party_officer_a", "cell_secretary_a",
                                 "competent_officer_a", "federation_officer_a", "administrator"])
def test_only_class_organisers_reach_the_screens(world, db, client, auth, key):
    klass = make_class(world)
    db.session.commit()
    login(auth, world, key)
    for url in ("/classes/", "/classes/new", f"/classes/{klass.id}",
                f"/classes/{klass.id}/enrol", f"/classes/{klass.id}/edit"):
        assert client.get(url).status_code == 403, url
    page = client.get("/cases/")
    assert 'href="/classes/"' not in page.text
    assert client.post(f"/classes/{klass.id}/enrol",
                       data={"csrf_token": csrf_token(page.text)}).status_code == 403


def test_organiser_sees_own_classes_and_not_the_other_subtree(world, db, client, auth):
    mine, theirs = make_class(world, "a", name="Lớp A"), make_class(world, "b", name="Lớp B")
    db.session.commit()
    login(auth, world)
    index = client.get("/classes/")
    assert index.status_code == 200
    assert "Lớp A" in index.text and "Lớp B" not in index.text
    assert 'href="/classes/"' in index.text           # the nav entry
    assert client.get(f"/classes/{mine.id}").status_code == 200
    for url in (f"/classes/{theirs.id}", f"/classes/{theirs.id}/enrol",
                f"/classes/{theirs.id}/edit", "/classes/99999999", "/classes/0"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/classes/{theirs.id}/results",
                       data={"csrf_token": csrf_token(index.text)}).status_code == 404


# --- create and edit --------------------------------------------------------------------------

def class_data(world, **changes) -> dict:
    data = {"name": "Lớp bồi dưỡng nhận thức về Đảng khóa 1", "organiser_id": world["bloc_a"].id,
            "co_organiser": "Liên đoàn Lao động tỉnh", "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + timedelta(days=20)).isoformat(), "place": "Hội trường A",
            "capacity": "44", "certificate_prefix": "GCN-2026-"}
    return data | changes


def test_create_and_edit_a_class(world, db, client, auth):
    login(auth, world)
    data = class_data(world) | {"csrf_token": token(client, "/classes/new")}
    created = client.post("/classes/new", data=data)
    assert created.status_code == 302
    klass = db.session.scalars(select(AwarenessClass)).one()
    assert (klass.name, klass.organiser_id, klass.capacity, klass.certificate_prefix) == (
        "Lớp bồi dưỡng nhận thức về Đảng khóa 1", world["bloc_a"].id, 44, "GCN-2026-")
    page = client.get(created.location)
    assert "Liên đoàn Lao động tỉnh" in page.text and "44" in page.text
    data["capacity"] = "50"
    assert client.post(f"/classes/{klass.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(AwarenessClass, klass.id).capacity == 50


@pytest.mark.parametrize("changes", [
    {"name": ""}, {"name": "   "}, {"name": "Lớp\x00độc"}, {"name": "x" * 201},
    {"place": "y" * 201}, {"certificate_prefix": "z" * 31}, {"capacity": "0"},
    {"capacity": "-3"}, {"capacity": "abc"}, {"capacity": "99999999999999999999"},
    {"starts_on": "2026-02-30"}, {"ends_on": (TODAY - timedelta(days=1)).isoformat()},
    {"organiser_id": "abc"}, {"organiser_id": "0"},
])
def test_bad_class_input_is_refused_with_a_message(world, db, client, auth, changes):
    login(auth, world)
    data = class_data(world, **changes) | {"csrf_token": token(client, "/classes/new")}
    page = client.post("/classes/new", data=data)
    assert page.status_code == 400
    assert 'class="error"' in page.text
    assert db.session.scalar(select(func.count(AwarenessClass.id))) == 0


def test_organiser_cannot_create_a_class_for_another_subtree(world, db, client, auth):
    login(auth, world)
    data = class_data(world, organiser_id=str(world["bloc_b"].id))
    page = client.post("/classes/new", data=data | {"csrf_token": token(client, "/classes/new")})
    assert page.status_code == 400
    assert db.session.scalar(select(func.count(AwarenessClass.id))) == 0


def test_capacity_cannot_drop_below_the_enrolled(world, db, client, auth):
    klass = make_class(world, capacity=5)
    enrolled(world, klass, 3)
    db.session.commit()
    login(auth, world)
    data = class_data(world, capacity="2") | {"csrf_token": token(client)}
    page = client.post(f"/classes/{klass.id}/edit", data=data)
    assert page.status_code == 400
    db.session.expire_all()
    assert db.session.get(AwarenessClass, klass.id).capacity == 5


def test_missing_csrf_is_refused(world, db, client, auth):
    klass = make_class(world)
    cases = accepted(world, 1)
    db.session.commit()
    login(auth, world)
    data = enrol_form(client, klass, cases)
    del data["csrf_token"]
    assert client.post(f"/classes/{klass.id}/enrol", data=data).status_code == 400
    assert client.post("/classes/new", data=class_data(world)).status_code == 400
    assert states(db, cases) == ["accepted"]


# --- bulk enrolment ----------------------------------------------------------------------------

def test_enrol_page_lists_accepted_cases_in_scope_and_searches_folded(world, db, client, auth):
    klass = make_class(world)
    mine = accepted(world, 2)
    other = accepted(world, 1, "b")
    db.session.commit()
    login(auth, world)
    page = client.get(f"/classes/{klass.id}/enrol")
    assert page.status_code == 200
    for case in mine:
        assert f'value="{case.id}"' in page.text
    assert f'name="case" value="{other[0].id}"' not in page.text
    name = mine[0].member.full_name                      # "Nguyễn Văn Thử 12"
    suffix = name.rsplit(" ", 1)[1]
    found = client.get(f"/classes/{klass.id}/enrol", query_string={"q": f"nguyen van thu {suffix}"})
    assert f'value="{mine[0].id}"' in found.text and f'value="{mine[1].id}"' not in found.text
    hostile = client.get(f"/classes/{klass.id}/enrol",
                         query_string={"q": "\x00%_' OR 1=1 --", "page": "99999999999999"})
    assert hostile.status_code == 200


def test_bulk_enrol_within_capacity(world, db, client, auth):
    klass = make_class(world, capacity=5)
    cases = accepted(world, 3)
    db.session.commit()
    login(auth, world)
    done = client.post(f"/classes/{klass.id}/enrol", data=enrol_form(client, klass, cases))
    assert done.status_code == 302 and done.location.endswith(f"/classes/{klass.id}")
    assert states(db, cases) == ["in_class"] * 3
    assert db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.class_id == klass.id, Enrolment.result == EnrolmentResult.pending)) == 3
    assert client.get(done.location).status_code == 200


def test_bulk_enrol_above_capacity_enrols_up_to_it_and_reports_the_rest(world, app, db,
                                                                        client, auth):
    klass = make_class(world, capacity=2)
    cases = accepted(world, 4)
    db.session.commit()
    login(auth, world)
    page = client.post(f"/classes/{klass.id}/enrol", data=enrol_form(client, klass, cases))
    assert page.status_code == 200
    assert states(db, cases) == ["in_class", "in_class", "accepted", "accepted"]
    assert page.text.count('class="row-ok"') == 2
    assert page.text.count('class="row-failed"') == 2
    assert page.text.count(vi(app, "The class %(name)s is full (%(n)d places).",
                              name=klass.name, n=2)) == 2
    assert db.session.scalar(select(func.count(Enrolment.id))) == 2


def test_bulk_enrol_per_row_errors(world, db, client, auth):
    klass = make_class(world, capacity=10)
    good, stale = accepted(world, 2)
    other = accepted(world, 1, "b")[0]
    db.session.commit()
    login(auth, world)
    data = enrol_form(client, klass, [good, stale, other])
    data[f"version-{stale.id}"] = str(stale.version - 1)
    data["case"] += ["abc", "-1", "99999999999999999", "0"]
    page = client.post(f"/classes/{klass.id}/enrol", data=data)
    assert page.status_code == 200
    assert states(db, [good, stale, other]) == ["in_class", "accepted", "accepted"]
    assert page.text.count('class="row-ok"') == 1
    assert page.text.count('class="row-failed"') == 2


def test_bulk_enrol_into_an_ended_class_saves_nothing(world, db, client, auth):
    klass = make_class(world, starts=-30, ends=-1)
    cases = accepted(world, 2)
    db.session.commit()
    login(auth, world)
    page = client.post(f"/classes/{klass.id}/enrol", data=enrol_form(client, klass, cases))
    assert page.status_code == 422
    assert states(db, cases) == ["accepted", "accepted"]


def test_empty_enrol_selection_gives_a_message(world, db, client, auth):
    klass = make_class(world)
    db.session.commit()
    login(auth, world)
    done = client.post(f"/classes/{klass.id}/enrol",
                       data={"csrf_token": token(client, f"/classes/{klass.id}/enrol")})
    assert done.status_code == 302
    assert 'class="flash error"' in client.get(done.location).text


# --- bulk results -----------------------------------------------------------------------------

def results_form(client, klass, rows: dict) -> dict:
    """rows: enrolment -> dict of the row's fields (result, cert_no, cert_on, reason)."""
    data = {"csrf_token": token(client, f"/classes/{klass.id}"), "row": []}
    for enrolment, fields in rows.items():
        data["row"].append(str(enrolment.id))
        data[f"version-{enrolment.id}"] = str(fields.pop("version", enrolment.case.version))
        for key, value in fields.items():
            data[f"{key}-{enrolment.id}"] = value
    return data


def enrolments_of(db, klass) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id)
                                   .order_by(Enrolment.id)))


def test_bulk_pass_with_automatic_and_typed_numbers_and_a_fail(world, db, client, auth):
    klass = make_class(world, prefix="GCN-DN-")
    cases = enrolled(world, klass, 4)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    on = TODAY.isoformat()
    data = results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "", "cert_on": on},
        e[1]: {"result": "pass", "cert_no": "  GCN-RIÊNG-7 ", "cert_on": on},
        e[2]: {"result": "pass", "cert_no": "", "cert_on": on},
        e[3]: {"result": "fail", "reason": "Vắng quá số buổi quy định."},
    })
    done = client.post(f"/classes/{klass.id}/results", data=data)
    assert done.status_code == 302
    db.session.expire_all()
    e = enrolments_of(db, klass)
    assert [x.result for x in e] == [EnrolmentResult.passed] * 3 + [EnrolmentResult.failed]
    assert [x.certificate_no for x in e] == ["GCN-DN-001", "GCN-RIÊNG-7", "GCN-DN-002", None]
    assert e[3].reason == "Vắng quá số buổi quy định."
    assert states(db, cases) == ["certified"] * 3 + ["accepted"]
    cert = db.session.get(Case, cases[0].id).latest_document("certificate")
    assert cert.number == "GCN-DN-001" and cert.issuer == world["bloc_a"].name
    page = client.get(done.location)
    valid_until = date(TODAY.year + 5, TODAY.month, min(TODAY.day, 28))
    assert "GCN-DN-002" in page.text and valid_until.strftime("/%m/%Y") in page.text


def test_a_stale_row_conflicts_while_the_others_save(world, app, db, client, auth):
    klass = make_class(world)
    cases = enrolled(world, klass, 3)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    on = TODAY.isoformat()
    data = results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "", "cert_on": on},
        e[1]: {"result": "pass", "cert_no": "GIU-LAI-1", "cert_on": on,
               "version": cases[1].version - 1},
        e[2]: {"result": "fail", "reason": "Không đạt bài thu hoạch."},
    })
    page = client.post(f"/classes/{klass.id}/results", data=data)
    assert page.status_code == 200
    assert states(db, cases) == ["certified", "in_class", "accepted"]
    assert vi(app, CONFLICT) in page.text
    assert page.text.count('class="row-failed"') == 1
    assert 'value="GIU-LAI-1"' in page.text            # the failed row's input is kept
    # the numbering of the saved row was not disturbed by the failed one
    db.session.expire_all()
    assert enrolments_of(db, klass)[0].certificate_no == "GCN-T-001"


@pytest.mark.parametrize("fields", [
    {"result": "pass", "cert_no": "GCN\x00-1", "cert_on": TODAY.isoformat()},
    {"result": "pass", "cert_no": "G" * 41, "cert_on": TODAY.isoformat()},
    {"result": "pass", "cert_no": "", "cert_on": "2026-13-45"},
    {"result": "pass", "cert_no": "", "cert_on": ""},
    {"result": "pass", "cert_no": "", "cert_on": (TODAY + timedelta(days=3)).isoformat()},
    {"result": "pass", "cert_no": "", "cert_on": (TODAY - timedelta(days=400)).isoformat()},
    {"result": "pass", "cert_no": "", "cert_on": TODAY.isoformat(), "version": "abc"},
    {"result": "pass", "cert_no": "", "cert_on": TODAY.isoformat(), "version": "9" * 30},
    {"result": "fail", "reason": ""},
    {"result": "fail", "reason": "   "},
    {"result": "fail", "reason": "lý do\u202e"},
    {"result": "fail", "reason": "x" * 2001},
])
def test_hostile_result_rows_are_refused_one_by_one(world, db, client, auth, fields):
    klass = make_class(world)
    cases = enrolled(world, klass, 2)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    good = {"result": "pass", "cert_no": "", "cert_on": TODAY.isoformat()}
    page = client.post(f"/classes/{klass.id}/results",
                       data=results_form(client, klass, {e[0]: dict(fields), e[1]: good}))
    assert page.status_code == 200
    assert page.text.count('class="row-failed"') == 1
    assert states(db, cases) == ["in_class", "certified"]
    db.session.expire_all()
    first = enrolments_of(db, klass)[0]
    assert (first.result, first.certificate_no) == (EnrolmentResult.pending, None)


def test_a_duplicate_typed_number_is_refused_on_its_row(world, db, client, auth):
    klass = make_class(world)
    cases = enrolled(world, klass, 2)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    on = TODAY.isoformat()
    page = client.post(f"/classes/{klass.id}/results", data=results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "GCN-1", "cert_on": on},
        e[1]: {"result": "pass", "cert_no": "GCN-1", "cert_on": on}}))
    assert page.status_code == 200
    assert page.text.count('class="row-failed"') == 1
    assert states(db, cases) == ["certified", "in_class"]


def test_results_without_any_choice_give_a_message(world, db, client, auth):
    klass = make_class(world)
    enrolled(world, klass, 1)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    done = client.post(f"/classes/{klass.id}/results", data=results_form(
        client, klass, {e[0]: {"result": ""}}) | {"row": [str(e[0].id), "x", "-5"]})
    assert done.status_code == 302
    assert 'class="flash error"' in client.get(done.location).text


# --- skipping the class -------------------------------------------------------------------------

def test_party_officer_records_a_certificate_already_held(world, db, client, auth):
    case = accepted(world, 1)[0]
    db.session.commit()
    url = f"/classes/skip/{case.id}"
    login(auth, world, "class_organiser_a")
    assert client.get(url).status_code == 403
    client.post("/logout", data={"csrf_token": token(client)})
    login(auth, world, "party_officer_a")
    page = client.get(url)
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "version": str(case.version),
            "certificate_no": "GCN-CU-1", "certificate_issuer": "Trung tâm chính trị",
            "certificate_on": (TODAY - timedelta(days=70 * 30)).isoformat()}
    expired = client.post(url, data=data)
    assert expired.status_code == 422 and states(db, [case]) == ["accepted"]
    data["certificate_on"] = (TODAY - timedelta(days=365)).isoformat()
    assert client.post(url, data=data).status_code == 302
    assert states(db, [case]) == ["certified"]


# --- bounded statements ------------------------------------------------------------------------

@pytest.mark.slow
def test_class_page_issues_the_same_statements_for_5_and_40_enrolled(world, app, db, client,
                                                                     auth):
    klass = make_class(world, capacity=60)
    url = f"/classes/{klass.id}"
    enrolled(world, klass, 5)
    db.session.commit()
    login(auth, world)
    with counting(app, db) as few:
        page = client.get(url)
    assert page.status_code == 200 and page.text.count('name="row"') == 5
    enrolled(world, klass, 35)
    db.session.commit()
    with counting(app, db) as many:
        page = client.get(url)
    assert page.status_code == 200 and page.text.count('name="row"') == 40
    assert len(few) == len(many), (few, many)
