"""The screen "enter a case under way" (services/case_intake): a form whose fields follow
the chosen step, the service's refusals shown by field, then a preview (step, votes,
deadlines) confirmed before anything is saved."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField

from .. import clock
from ..extensions import db
from ..forms import ChoiceField, DayField, Form, NoteField, TextField, longest, optional
from ..labels import GENDERS
from ..models import Organisation, PartyKind, Tree, UnionKind
from ..security.permissions import intake_nodes
from ..services.case_intake import (INTAKE_STATES, LABELS, STEPS, VOTES, IntakeRefused,
                                    draft_case, enter_case)
from ..services.deadlines import deadlines
from ..services.outcome import token, vote_summary
from ..workflow.calendar import load_calendar
from ..workflow.guards import DOSSIER_FORMS, RECORDABLE_FORMS
from ..workflow.rulesets import form_name, rule_set_on
from ..workflow.states import ORDER, label
from .forms import DOCUMENT_FIELDS, DocumentForm, _text, document_form, vote_fields


def _vote(kind: str, body: str) -> dict:
    prefix, date_key = VOTES[kind]
    fields = vote_fields(body, prefix, blank_ok=True)
    del fields[prefix + "held_on"]
    return fields | {date_key: DayField(LABELS[date_key], validators=[optional])}


class IntakeForm(Form):
    union_unit_id = ChoiceField(_l("Union unit"), coerce=int, validators=[optional])
    citizen_id = TextField(_l("Citizen ID (12 digits)"), validators=[optional, longest(12)],
                           description=_l("An existing member is found by it; otherwise "
                                          "fill in the person below."))
    full_name = TextField(_l("Full name"), validators=[optional, longest(120)])
    date_of_birth = DayField(_l("Date of birth"), validators=[optional])
    gender = ChoiceField(_l("Gender"), choices=[("", "—"), *GENDERS], validators=[optional])
    job = TextField(_l("Job"), validators=[optional, longest(120)])
    direct_production = BooleanField(_l("Direct production worker"))
    nominated_on = DayField(LABELS["nominated_on"], validators=[optional])
    accepted_on = DayField(LABELS["accepted_on"], validators=[optional])
    host_cell_id = ChoiceField(_l("Host cell"), coerce=int, validators=[optional])
    helpers = NoteField(_l("Helpers (one full name per line)"),
                        validators=[optional, longest(1000)])
    certificate_no = _text(_l("Certificate number"), 40, blank_ok=True)
    certificate_issuer = _text(_l("Certificate issued by"), 200, blank_ok=True)
    certified_on = DayField(LABELS["certified_on"], validators=[optional])
    over_age_approval = _text(_l("Approval for a candidate over 60"), 200, blank_ok=True)
    decision_extended = BooleanField(_l("The decision deadline was extended"))
    decision_no = _text(_l("Decision number"), 40, blank_ok=True)
    decision_on = DayField(LABELS["decision_on"], validators=[optional])
    decision_received_on = DayField(LABELS["decision_received_on"], validators=[optional])
    ceremony_on = DayField(LABELS["ceremony_on"], validators=[optional])
    late_approval = _text(_l("Superior committee's approval (if late)"), 200, blank_ok=True)
    recognition_decision_extended = BooleanField(
        _l("The recognition decision deadline was extended"))
    since = DayField(LABELS["since"], validators=[optional],
                     description=_l("For a dossier sent to the cell: the day it was sent."))


for _kind, _body in (("union", "union"), ("cell", "cell"), ("committee", "committee"),
                     ("recognition", "cell"), ("recognition_committee", "committee"),
                     ("standing", "standing")):
    for _name, _field in _vote(_kind, _body).items():
        setattr(IntakeForm, _name, _field)


class IntakeDocumentForm(DocumentForm):
    """A document already on file: none of its own CSRF token, its date optional (a form
    left blank is not on file)."""
    issued_on = DayField(_l("Date of the document"), validators=[optional])

    class Meta:
        csrf = False


def _documents(state: str, formdata) -> dict:
    recognised = ORDER.index(state) >= ORDER.index("recognition_committee")
    codes = [c for c in DOCUMENT_FIELDS if c in DOSSIER_FORMS or recognised]
    return {code: document_form(code, "doc-" + code.replace("Đ", "D").lower(), formdata,
                                form_class=IntakeDocumentForm) for code in codes}


def _build(state: str, formdata=None) -> tuple[IntakeForm, dict]:
    """The form of ``state``: its fields and those of the steps before it, no later one."""
    form = IntakeForm(formdata=formdata)
    for step, keys in STEPS:
        if ORDER.index(step) > ORDER.index(state):
            for key in keys:
                if key in form:
                    delattr(form, key)
    if state not in ("dossier", "cell_review"):
        delattr(form, "since")
    today = clock.today()
    nodes = intake_nodes(current_user, today)
    units = db.session.scalars(select(Organisation).where(
        Organisation.tree == Tree.union, Organisation.kind == UnionKind.grassroots.value,
        Organisation.receiving_party_id.is_not(None)).order_by(Organisation.name)).all()
    form.union_unit_id.choices = [(u.id, u.name) for u in units if nodes is None or any(
        n.contains(u.receiving_party) for n in nodes)]
    if "host_cell_id" in form:
        cells = db.session.scalars(select(Organisation).where(
            Organisation.kind.in_([PartyKind.cell.value, PartyKind.grassroots_cell.value]))
            .order_by(Organisation.name)).all()
        form.host_cell_id.choices = [(c.id, c.name) for c in cells
                                     if nodes is None or any(n.contains(c) for n in nodes)]
    return form, _documents(state, formdata)


def _row(state: str, form: IntakeForm, documents: dict) -> dict:
    row = {k: v for k, v in form.data.items() if k != "csrf_token" and v not in (None, "")}
    row["helpers"] = (form.helpers.data or "").splitlines() if "helpers" in form else []
    row["documents"] = [{k: v for k, v in doc.data.items() if v not in (None, "")}
                        | {"form_code": code} for code, doc in documents.items()
                        if doc.issued_on.data]
    return row | {"state": state}


def intake_page():
    today = clock.today()
    if intake_nodes(current_user, today) == []:
        abort(403)
    state = request.args.get("state", "")
    if state not in INTAKE_STATES:
        state = INTAKE_STATES[0]
    form, documents = _build(state, request.form if request.method == "POST" else None)
    steps = [(s, label(s)) for s in INTAKE_STATES]
    if request.method == "GET":
        return _page(form, documents, state, steps)
    if not form.validate_on_submit() or not all(d.validate() for d in documents.values()):
        return _page(form, documents, state, steps), 400
    row = _row(state, form, documents)
    case, errors = draft_case(row, current_user, today=today)
    if errors:
        return _page(form, documents, state, steps, errors=errors), 400
    shown = token(row)
    if request.form.get("confirm") != shown:
        votes = [vote_summary({k[len(prefix):]: v for k, v in row.items()
                               if k.startswith(prefix)}, "", threshold, row[date_key])
                 for kind, (prefix, date_key), threshold in (
                     (k, VOTES[k], t) for k, t in (("union", "union_vote"), ("cell", "cell_vote"),
                                                   ("committee", "committee_vote"),
                                                   ("recognition", "cell_vote"),
                                                   ("recognition_committee",
                                                    "committee_vote"),
                                                   ("standing", "standing_committee_vote")))
                 if row.get(date_key)]
        return _page(form, documents, state, steps, token=shown, votes=votes,
                     deadlines=deadlines(case, load_calendar(), today))
    try:
        case = enter_case(row, current_user, source={"screen": True}, today=today)
        db.session.commit()
    except IntakeRefused as refusal:
        db.session.rollback()
        return _page(form, documents, state, steps, errors=refusal.errors), 409
    flash(_("The case was entered at the step: %(state)s.", state=label(case.state)), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


# The service's fields that the form asks for under another name.
FIELD_OF = {"union_unit": "union_unit_id", "member": "citizen_id"}


def _page(form, documents, state, steps, errors=(), **preview):
    general = []
    for key, message in errors:
        key = FIELD_OF.get(key, key)
        if key in form:
            form[key].errors = [*form[key].errors, message]
        else:
            general.append(message)
    rules = rule_set_on(clock.today())
    names = {code: form_name(RECORDABLE_FORMS[code], code, rules) for code in documents}
    return render_template("cases/intake.html", form=form, documents=documents, state=state,
                           steps=steps, general=general, names=names, **preview)
