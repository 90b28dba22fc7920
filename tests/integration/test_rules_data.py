"""Rules as data (issue 11 item 9): the validity of 1- and 2-KNĐ, the printed form codes of a
rule set, the THCS diploma at the cell vote, the over-60 message, the "to confirm" marks on
the admin page."""
from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from referral_flow.imports.roster import education_level
from referral_flow.models import AuditEvent, RuleSet
from referral_flow.models.member import Education
from referral_flow.services.dossier import checklist, document_codes
from referral_flow.workflow.rulesets import rule_set_on

from ..factories import TODAY
from .test_admin import post, rule_form_data
from referral_flow.demo_steps import background_check

from .test_guards import CELL_VOTE_ON, case_in, documents, refused, step, vote

D = date


# --- validity of the application and the personal history ----------------------------------

@pytest.mark.parametrize("form", ["1-KNĐ", "2-KNĐ"])
@pytest.mark.parametrize("send_on, fresh", [
    (D(2026, 5, 20), True),      # the document of 20/05/2025 is exactly 12 months old
    (D(2026, 5, 21), False),     # one day more
])
def test_application_and_history_expire_after_12_months(world, db, form, send_on, fresh):
    case = case_in(world, "certified")
    step(case, "open_dossier", case.state_since,
         {"documents": documents(case.state_since, {form: {"issued_on": D(2025, 5, 20)}})})
    doc = case.latest_document(form)
    assert doc.valid_until == D(2026, 5, 20)
    background_check(case, send_on)
    if fresh:
        step(case, "send_to_cell", send_on)
        assert case.state == "cell_review"
    else:
        assert f"({form}) is older than 12 months" in refused(case, "send_to_cell", send_on)


# --- printed form codes --------------------------------------------------------------------

RENUMBERED_FROM = D(2026, 12, 1)


def renumber(db, start: date = RENUMBERED_FROM) -> None:
    """A newer set that prints 12-KNĐ as "13-KNĐ" (the other numbering in the sources)."""
    base = rule_set_on(TODAY).params
    db.session.add(RuleSet(code="TEST-FORMS", title="Forms renumbered", effective_from=start,
                           params={**base, "form_labels": {**base["form_labels"],
                                                           "12-KNĐ": "13-KNĐ"}}))
    db.session.flush()


@pytest.mark.parametrize("issued_on, printed", [
    (D(2026, 11, 30), "12-KNĐ"),      # the day before the newer set: the old code
    (D(2026, 12, 1), "13-KNĐ"),       # from its first day: the new one
])
def test_a_form_shows_the_code_of_the_set_in_force_on_its_date(world, db, issued_on, printed):
    case = case_in(world, "probation")
    renumber(db)
    case.documents.append(type(case.documents[0])(form_code="12-KNĐ", issued_on=issued_on,
                                                  number="", issuer="Công đoàn cơ sở"))
    db.session.flush()
    rows = {row.form_code: row for _stage, rows in checklist(case, D(2026, 12, 15))
            for row in rows}
    with force_locale("en"):
        assert str(rows["12-KNĐ"].name) == ("Comments of the organisations and the residence "
                                            f"cell during probation ({printed})")
        assert str(rows["10-KNĐ"].name).endswith("(10-KNĐ)")
    doc = case.latest_document("12-KNĐ")
    assert document_codes([doc], D(2026, 12, 15)) == {doc.id: printed}
    assert doc.form_code == "12-KNĐ"            # the stable key stays what is stored


def test_a_form_not_recorded_yet_shows_the_code_of_today(world, db):
    case = case_in(world, "probation")
    renumber(db)
    rows = {row.form_code: row for _stage, rows in checklist(case, D(2026, 11, 30))
            for row in rows}
    with force_locale("en"):
        assert str(rows["12-KNĐ"].name).endswith("(12-KNĐ)")
    rows = {row.form_code: row for _stage, rows in checklist(case, D(2026, 12, 1))
            for row in rows}
    with force_locale("en"):
        assert str(rows["12-KNĐ"].name).endswith("(13-KNĐ)")


def test_a_set_without_labels_shows_the_stable_key(world, db):
    case = case_in(world, "probation")
    base = dict(rule_set_on(TODAY).params)
    del base["form_labels"]
    db.session.add(RuleSet(code="TEST-OLD", title="No labels", effective_from=D(2026, 12, 1),
                           params=base))
    db.session.flush()
    rows = {row.form_code: row for _stage, rows in checklist(case, D(2026, 12, 2))
            for row in rows}
    with force_locale("en"):
        assert str(rows["11-KNĐ"].name).endswith("(11-KNĐ)")


# --- THCS diploma at the cell vote ---------------------------------------------------------

@pytest.mark.parametrize("education, exception, failure", [
    (Education.lower_secondary, "", None),
    (Education.higher, "", None),
    (None, "", "The education of"),
    (Education.primary, "", "has no lower-secondary (THCS) diploma"),
    (Education.primary, "   ", "has no lower-secondary (THCS) diploma"),
    (Education.primary, "CV 12-CV/BBT, 03/02/2026", None),
])
def test_the_cell_vote_needs_a_thcs_diploma_or_the_exception(world, db, education, exception,
                                                           failure):
    case = case_in(world, "cell_review")
    case.member.education, case.member.education_exception = education, exception
    data = vote(CELL_VOTE_ON, 9, 9)
    if failure is None:
        step(case, "cell_approve", CELL_VOTE_ON, data)
        assert case.state == "committee_review"
    else:
        message = refused(case, "cell_approve", CELL_VOTE_ON, data)
        assert failure in message and case.member.full_name in message


def test_a_set_that_does_not_require_thcs_lets_the_vote_pass(world, db):
    case = case_in(world, "cell_review")
    case.member.education = None
    base = rule_set_on(TODAY).params
    db.session.add(RuleSet(code="TEST-NO-THCS", title="No THCS", effective_from=D(2026, 3, 1),
                           params={**base, "thcs_required": False}))
    db.session.flush()
    step(case, "cell_approve", CELL_VOTE_ON, vote(CELL_VOTE_ON, 9, 9))
    assert case.state == "committee_review"


def test_the_over_60_message_names_the_committee_under_the_central_committee(world, db):
    case = case_in(world, "cell_review", born=D(1966, 2, 16))
    data = vote(CELL_VOTE_ON, 9, 9)
    assert refused(case, "cell_approve", CELL_VOTE_ON, data) == (
        "At the cell meeting the candidate is over 60 years old: the approval of the Party "
        "committee directly under the Central Committee is required.")
    with force_locale("vi"):
        with pytest.raises(Exception) as exc:
            step(case, "cell_approve", CELL_VOTE_ON, data)
        assert "cấp ủy trực thuộc Trung ương" in str(exc.value)


@pytest.mark.parametrize("text, level", [
    ("9/12", Education.lower_secondary), ("8/12", Education.primary),
    ("12/12", Education.upper_secondary), ("7/10", Education.lower_secondary),
    ("6/10", Education.primary), ("10/10", Education.upper_secondary),
    ("THCS", Education.lower_secondary), ("Trung học phổ thông", Education.upper_secondary),
    ("Đại học", Education.higher), ("Cao đẳng", Education.higher),
    ("13/12", None), ("giỏi", None),
])
def test_roster_education_words(text, level):
    assert education_level(text) == level


# --- the admin page ------------------------------------------------------------------------

@pytest.fixture
def admin(world, client, auth):
    auth.login(world.users["administrator"].username)
    return client


def test_the_rule_set_page_marks_what_is_to_confirm(admin, db):
    page = admin.get("/admin/rules")
    assert page.status_code == 200
    text = page.text
    assert text.count('class="badge to-confirm"') >= 4 * 9      # 5 validities + 4 codes per set
    assert ("to confirm" in text) or ("cần xác nhận" in text)


def test_a_new_set_keeps_or_clears_the_marks(admin, world, db):
    from referral_flow.admin.forms import confirm_name
    current = rule_set_on(TODAY)
    data = rule_form_data(current.params)
    del data[confirm_name("document_validity_months", 0)]      # 1-KNĐ checked: confirmed
    page = post(admin, "/admin/rules/new", {
        "code": "CONFIRMED-1", "title": "Đã đối chiếu", "note": "",
        "effective_from": D(2027, 1, 1).isoformat(), **data})
    assert page.status_code == 302, page.text
    new = db.session.scalar(select(RuleSet).where(RuleSet.code == "CONFIRMED-1"))
    assert new.params["to_confirm"]["document_validity_months"] == [
        "2-KNĐ", "3-KNĐ", "4A-KNĐ", "5-KNĐ"]
    assert new.params["to_confirm"]["form_labels"] == ["12-KNĐ", "13-KNĐ", "15-KNĐ", "16-KNĐ"]
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.data["params"]["to_confirm"] == new.params["to_confirm"]
