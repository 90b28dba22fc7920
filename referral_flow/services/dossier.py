"""The dossier checklist: documents recorded one by one, with their validity."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from ..models import Case, Document, User
from ..security import can
from ..workflow.calendar import add_months
from ..workflow.errors import NotAllowed, NotAvailable
from ..workflow.guards import DOSSIER_FORMS, RECOGNITION_FORMS, parse_document
from ..workflow.rulesets import rule_set_on
from ..workflow.states import ORDER
from . import audit

WARN_DAYS = 30      # a document expiring within this many days is flagged


@dataclass(frozen=True)
class Stage:
    title: object
    forms: dict
    states: frozenset[str]      # where documents of this stage are recorded
    shown_in: frozenset[str]    # where its checklist is shown
    trigger: str                # the step they prepare: who may fire it may record them
    also_shown: tuple = ()      # (form, label) on the checklist but recorded elsewhere


_AFTER_NOMINATION = frozenset(ORDER) - {"draft"}
_AFTER_CEREMONY = frozenset({"probation", "recognition_review", "official", "removed"})
STAGES = (
    Stage(_l("Admission dossier"), DOSSIER_FORMS, frozenset({"certified", "dossier"}),
          _AFTER_NOMINATION, "send_to_cell",
          (("certificate", _l("awareness-class certificate")),)),
    Stage(_l("Recognition dossier"), RECOGNITION_FORMS, frozenset({"probation"}),
          _AFTER_CEREMONY, "open_recognition"),
)


def stage_of(form_code: str) -> Stage | None:
    return next((s for s in STAGES if form_code in s.forms), None)


def may_record(user: User, case: Case) -> list[Stage]:
    return [s for s in STAGES if case.state in s.states and can(user, s.trigger, case)]


def record_document(case: Case, user: User, raw: dict, today: date | None = None) -> Document:
    today = today or clock.today()
    stage = stage_of(str(raw.get("form_code", "")))
    if stage is None or stage not in may_record(user, case):
        if stage is not None and case.state not in stage.states:
            raise NotAvailable(_l("This document cannot be recorded at the case's current step."))
        raise NotAllowed(_l("You may not record documents on this case."))
    fields = parse_document(raw, today)
    months = rule_set_on(fields["issued_on"])["document_validity_months"].get(fields["form_code"])
    doc = Document(valid_until=add_months(fields["issued_on"], months) if months else None,
                   **fields)
    case.documents.append(doc)
    db.session.flush()
    audit.append(trigger="record_document", subject="document", actor_id=user.id,
                 case_id=case.id, data={"form": doc.form_code, "number": doc.number,
                                        "issued_on": doc.issued_on, "document_id": doc.id})
    return doc


@dataclass
class ChecklistRow:
    form_code: str
    name: object
    document: Document | None
    status: str          # missing | ok | expiring | expired | unverified


def checklist(case: Case, today: date | None = None) -> list[tuple[Stage, list[ChecklistRow]]]:
    """For each stage the case has reached, the latest document of each form."""
    today = today or clock.today()
    return [(stage, [ChecklistRow(form, name, case.latest_document(form),
                                  _status(form, case.latest_document(form), today))
                     for form, name in (*stage.forms.items(), *stage.also_shown)])
            for stage in STAGES if case.state in stage.shown_in]


def _status(form: str, doc: Document | None, today: date) -> str:
    if doc is None:
        return "missing"
    if form == "2-KNĐ" and not doc.verified:
        return "unverified"
    if doc.valid_until and doc.valid_until < today:
        return "expired"
    if doc.valid_until and doc.valid_until <= today + timedelta(days=WARN_DAYS):
        return "expiring"
    return "ok"
