"""The class organiser's screens: access, classes, bulk enrolment and bulk results with
per-row outcomes (one SAVEPOINT per row, one commit), hostile input, bounded statements."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from referral_flow.models import AuditEvent, AwarenessClass, Case, Enrolment, EnrolmentResult
from referral_flow.services.transitions import fire

from ..conftest import csrf_token
from ..factories import TODAY, advance, new_case
from referral_flow.services.transitions import CONFLICT

from .test_web import counting, vi

RESULT_ROW = re.compile(r'name="rows-\d+-enrolment_id"')


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
    """``n`` cases enrolled on the class's first day."""
    cases = accepted(world, n, side)
    for case in cases:
        fire(case, "enroll", None, expected_version=case.version, data={"class_id": klass.id},
             on=klass.starts_on, check_permission=False)
    return cases


def ended_class(world, **kw) -> AwarenessClass:
    """A class that ended yesterday: its results are due."""
    return make_class(world, starts=-10, ends=-1, **kw)


def login(auth, world, key="class_organiser_a"):
    auth.login(world.users[key].username)


def token(client, url="/classes/") -> str:
    return csrf_token(client.get(url).text)


def enrol_form(client, klass, cases, versions=None, junk_ids=()) -> dict:
    """The enrolment table with ``cases`` ticked (``versions`` overrides a case's version;
    ``junk_ids`` adds ticked rows whose case id is not one)."""
    versions = versions or {}
    data = {"csrf_token": token(client, f"/classes/{klass.id}/enrol")}
    rows = [(c.id, versions.get(c.id, c.version)) for c in cases]
    rows += [(junk, 1) for junk in junk_ids]
    for i, (case_id, version) in enumerate(rows):
        data |= {f"rows-{i}-case_id": str(case_id), f"rows-{i}-version": str(version),
                 f"rows-{i}-selected": "y"}
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
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject == "class")
                                .order_by(AuditEvent.id)).all()
    assert [(e.trigger, e.data["class_id"], e.data["fields"]) for e in events] == [
        ("create", klass.id, ["capacity", "certificate_prefix", "co_organiser", "ends_on",
                              "name", "organiser_id", "place", "starts_on"]),
        ("edit", klass.id, ["capacity"])]


def test_the_prefix_cannot_change_once_a_certificate_is_numbered(world, app, db, client,
                                                                 auth):
    klass = ended_class(world, prefix="GCN-A-")
    case = enrolled(world, klass, 1)[0]
    db.session.commit()
    login(auth, world)
    data = class_data(world, starts_on=klass.starts_on.isoformat(),
                      ends_on=klass.ends_on.isoformat(), certificate_prefix="GCN-B-")
    assert client.post(f"/classes/{klass.id}/edit",
                       data=data | {"csrf_token": token(client)}).status_code == 302
    db.session.expire_all()
    klass = db.session.get(AwarenessClass, klass.id)
    assert klass.certificate_prefix == "GCN-B-"          # nothing numbered yet
    case = db.session.get(Case, case.id)
    e = enrolments_of(db, klass)
    client.post(f"/classes/{klass.id}/results", data=results_form(
        client, klass, {e[0]: {"result": "pass", "cert_no": "", "cert_on": TODAY.isoformat()}}))
    page = client.post(f"/classes/{klass.id}/edit", data=data | {
        "certificate_prefix": "GCN-C-", "csrf_token": token(client)})
    assert page.status_code == 400
    assert vi(app, "%(n)d certificates of this class are already numbered with the prefix "
                   "%(prefix)s: it cannot change.", n=1, prefix="GCN-B-") in page.text
    db.session.expire_all()
    assert db.session.get(AwarenessClass, klass.id).certificate_prefix == "GCN-B-"


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
    data = enrol_form(client, klass, [good, stale, other], versions={stale.id: stale.version - 1},
                      junk_ids=["abc", "-1", "99999999999999999", "0"])
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

RESULT_FIELDS = {"result": "result", "cert_no": "certificate_no",
                 "cert_on": "certificate_on", "reason": "reason", "version": "version"}


def results_form(client, klass, rows: dict, step="confirm") -> dict:
    """rows: enrolment -> dict of the row's fields (result, cert_no, cert_on, reason,
    version); ``step``: "confirm" saves, None asks for the review, "back" returns."""
    data = {"csrf_token": token(client, f"/classes/{klass.id}")}
    if step:
        data[step] = "1"
    for i, (enrolment, fields) in enumerate(rows.items()):
        fields = {"version": enrolment.case.version} | fields
        data[f"rows-{i}-enrolment_id"] = str(enrolment.id)
        for key, value in fields.items():
            data[f"rows-{i}-{RESULT_FIELDS[key]}"] = str(value)
    return data


def enrolments_of(db, klass) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.class_id == klass.id)
                                   .order_by(Enrolment.id)))


def test_bulk_pass_with_automatic_and_typed_numbers_and_a_fail(world, db, client, auth):
    klass = ended_class(world, prefix="GCN-DN-")
    cases = enrolled(world, klass, 4)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    on = TODAY.strftime("%d/%m/%Y")
    data = results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "", "cert_on": on},
        e[1]: {"result": "pass", "cert_no": "  gcn-dn-2 ", "cert_on": on},
        e[2]: {"result": "pass", "cert_no": "", "cert_on": on},
        e[3]: {"result": "fail", "reason": "Vắng quá số buổi quy định."},
    })
    done = client.post(f"/classes/{klass.id}/results", data=data)
    assert done.status_code == 302
    db.session.expire_all()
    e = enrolments_of(db, klass)
    assert [x.result for x in e] == [EnrolmentResult.passed] * 3 + [EnrolmentResult.failed]
    # a typed number follows the class's scheme; the automatic ones go round it
    assert [x.certificate_no for x in e] == ["GCN-DN-001", "GCN-DN-002", "GCN-DN-003", None]
    assert e[3].reason == "Vắng quá số buổi quy định."
    assert states(db, cases) == ["certified"] * 3 + ["accepted"]
    cert = db.session.get(Case, cases[0].id).latest_document("certificate")
    assert cert.number == "GCN-DN-001" and cert.issuer == world["bloc_a"].name
    page = client.get(done.location)
    valid_until = date(TODAY.year + 5, TODAY.month, min(TODAY.day, 28))
    assert "GCN-DN-002" in page.text and valid_until.strftime("/%m/%Y") in page.text


def test_a_stale_row_conflicts_while_the_others_save(world, app, db, client, auth):
    klass = ended_class(world)
    cases = enrolled(world, klass, 3)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    on = TODAY.isoformat()
    data = results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "", "cert_on": on},
        e[1]: {"result": "pass", "cert_no": "GCN-T-9", "cert_on": on,
               "version": cases[1].version - 1},
        e[2]: {"result": "fail", "reason": "Không đạt bài thu hoạch."},
    })
    page = client.post(f"/classes/{klass.id}/results", data=data)
    assert page.status_code == 200
    assert states(db, cases) == ["certified", "in_class", "accepted"]
    assert vi(app, CONFLICT) in page.text
    assert page.text.count('class="row-failed"') == 1
    assert 'value="GCN-T-9"' in page.text              # the failed row's input is kept
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
    klass = ended_class(world)
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
    klass = ended_class(world)
    cases = enrolled(world, klass, 2)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    on = TODAY.isoformat()
    page = client.post(f"/classes/{klass.id}/results", data=results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "GCN-T-1", "cert_on": on},
        e[1]: {"result": "pass", "cert_no": "1", "cert_on": on}}))
    assert page.status_code == 200
    assert page.text.count('class="row-failed"') == 1
    assert states(db, cases) == ["certified", "in_class"]


def test_results_without_any_choice_give_a_message(world, app, db, client, auth):
    klass = ended_class(world)
    enrolled(world, klass, 1)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    done = client.post(f"/classes/{klass.id}/results", data=results_form(
        client, klass, {e[0]: {"result": ""}}) | {
            "rows-1-enrolment_id": "x", "rows-1-result": "pass",
            "rows-2-enrolment_id": "-5", "rows-2-result": "fail"})
    assert done.status_code == 302
    page = client.get(done.location).text
    assert vi(app, "Choose passed or not passed for at least one candidate.") in page


def test_results_are_reviewed_and_confirmed_before_anything_is_saved(world, app, db, client,
                                                                       auth):
    klass = ended_class(world, prefix="GCN-X-")
    cases = enrolled(world, klass, 3)
    db.session.commit()
    login(auth, world)
    e = enrolments_of(db, klass)
    rows = {e[0]: {"result": "pass", "cert_no": "", "cert_on": TODAY.strftime("%d/%m/%Y")},
            e[1]: {"result": "fail", "reason": "Vắng quá nửa số buổi."},
            e[2]: {"result": "pass", "cert_no": "KHAC-1", "cert_on": TODAY.isoformat()}}
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    review = client.post(f"/classes/{klass.id}/results",
                         data=results_form(client, klass, rows, step=None))
    assert review.status_code == 200
    text = review.text
    passes = text[text.index('id="passes"'):text.index('id="fails"')]
    fails = text[text.index('id="fails"'):text.index('id="refused"')]
    refused = text[text.index('id="refused"'):]
    assert cases[0].member.full_name in passes and "GCN-X-001" in passes
    assert cases[1].member.full_name in fails and "Vắng quá nửa số buổi." in fails
    assert cases[2].member.full_name in refused
    assert vi(app, "The certificate numbers of this class are its prefix %(prefix)s and a "
                   "number, such as %(example)s.", prefix="GCN-X-",
              example="GCN-X-001") in refused
    # nothing saved; what was typed rides along
    assert states(db, cases) == ["in_class"] * 3
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events
    assert 'value="Vắng quá nửa số buổi."' in text and 'value="KHAC-1"' in text
    # back: the table with what was typed
    back = client.post(f"/classes/{klass.id}/results",
                       data=results_form(client, klass, rows, step="back"))
    assert back.status_code == 200
    assert re.search(r'<input checked [^>]*name="rows-1-result" type="radio" value="fail">',
                     back.text)
    assert 'value="KHAC-1"' in back.text and 'value="Vắng quá nửa số buổi."' in back.text
    assert states(db, cases) == ["in_class"] * 3
    # confirm: the two recordable rows are saved, the third is reported on its line
    done = client.post(f"/classes/{klass.id}/results", data=results_form(client, klass, rows))
    assert done.status_code == 200 and done.text.count('class="row-failed"') == 1
    assert states(db, cases) == ["certified", "accepted", "in_class"]
    assert enrolments_of(db, klass)[0].certificate_no == "GCN-X-001"


def test_no_result_before_the_last_day_of_the_class(world, app, db, client, auth):
    klass = make_class(world, starts=-3, ends=2)
    cases = enrolled(world, klass, 2)
    db.session.commit()
    login(auth, world)
    page = client.get(f"/classes/{klass.id}")
    last = klass.ends_on.strftime("%d/%m/%Y")
    assert vi(app, "Results (passed or not) can be recorded from %(d)s, the last day of the "
                   "class.", d=last) in page.text
    assert not RESULT_ROW.findall(page.text)
    e = enrolments_of(db, klass)
    done = client.post(f"/classes/{klass.id}/results", data=results_form(client, klass, {
        e[0]: {"result": "pass", "cert_no": "", "cert_on": TODAY.isoformat()},
        e[1]: {"result": "fail", "reason": "Bỏ học."}}))
    assert done.status_code == 302
    message = vi(app, "Results of the class %(name)s can be recorded from %(d)s, its last day.",
                 name=klass.name, d=last)
    assert message in client.get(done.location).text
    assert states(db, cases) == ["in_class", "in_class"]
    # the case page's actions obey the same rule
    from referral_flow.workflow.errors import GuardFailed
    for trigger, data, comment in (
            ("pass_class", {"certificate_no": "GCN-T-001", "certificate_issuer": "X",
                            "certificate_on": TODAY}, ""),
            ("fail_class", {}, "Bỏ học.")):
        with pytest.raises(GuardFailed) as refused:
            fire(cases[0], trigger, None, expected_version=cases[0].version, data=data,
                 comment=comment, check_permission=False)
        db.session.rollback()
        assert str(escape(str(refused.value))) == message


def test_a_certificate_of_the_class_follows_its_scheme_and_dates(world, db):
    """Through fire() (the case page's action): the number is normalised to the scheme, one
    outside it or dated before the last day is refused."""
    klass = ended_class(world, prefix="GCN-K-")
    first, second = enrolled(world, klass, 2)
    db.session.commit()
    from referral_flow.workflow.errors import InvalidStepData

    def certificate(number, on=TODAY):
        return {"certificate_no": number, "certificate_issuer": "X", "certificate_on": on}
    for data in (certificate("GCN-7"), certificate("gcn-k-1", klass.ends_on - timedelta(1))):
        with pytest.raises(InvalidStepData):
            fire(first, "pass_class", None, expected_version=first.version, data=data,
                 check_permission=False)
        db.session.rollback()
    fire(first, "pass_class", None, expected_version=first.version,
         data=certificate("gcn-k-7", klass.ends_on), check_permission=False)
    assert first.latest_document("certificate").number == "GCN-K-007"
    assert enrolments_of(db, klass)[0].certificate_no == "GCN-K-007"
    from referral_flow.workflow.errors import GuardFailed
    with pytest.raises(GuardFailed):
        fire(second, "pass_class", None, expected_version=second.version,
             data=certificate("7"), check_permission=False)


def test_the_class_list_helps_choose_a_class(world, app, db, client, auth):
    world["committee_a"].runs_classes = True
    open_a = make_class(world, name="Lớp đang mở", capacity=1)
    make_class(world, name="Lớp đã xong", starts=-20, ends=-2)
    later = make_class(world, name="Lớp sắp mở", starts=10, ends=15)
    later.organiser = world["committee_a"]
    enrolled(world, open_a, 1)
    db.session.commit()
    login(auth, world)
    page = client.get("/classes/").text
    assert all(name in page for name in ("Lớp đang mở", "Lớp đã xong", "Lớp sắp mở"))
    assert vi(app, "full") == "hết chỗ" and "hết chỗ" in page
    page = client.get("/classes/", query_string={"when": "open"}).text
    assert "Lớp đã xong" not in page
    assert page.index("Lớp đang mở") < page.index("Lớp sắp mở")       # soonest first
    page = client.get("/classes/", query_string={"organiser": world["committee_a"].id}).text
    assert "Lớp sắp mở" in page and "Lớp đang mở" not in page
    for hostile in ({"organiser": "abc"}, {"when": "x"}, {"organiser": "9" * 30}):
        assert client.get("/classes/", query_string=hostile).status_code == 200


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
    klass = ended_class(world, capacity=60)
    url = f"/classes/{klass.id}"
    enrolled(world, klass, 5)
    db.session.commit()
    login(auth, world)
    with counting(app, db) as few:
        page = client.get(url)
    assert page.status_code == 200 and len(RESULT_ROW.findall(page.text)) == 5
    enrolled(world, klass, 35)
    db.session.commit()
    with counting(app, db) as many:
        page = client.get(url)
    assert page.status_code == 200 and len(RESULT_ROW.findall(page.text)) == 40
    assert len(few) == len(many), (few, many)
