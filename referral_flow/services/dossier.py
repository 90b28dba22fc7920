"""The dossier as a record: every document of each form, with its standing; documents
recorded one by one, corrected or withdrawn with a reason, never deleted."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from sqlalchemy import select

from ..models import Case, Document, Scan, User
from ..security import can
from ..workflow.errors import NotAllowed, NotAvailable
from ..workflow.moved import is_stale, transfers_of
from ..workflow.guards import (DOSSIER_FORMS, RECOGNITION_FORMS, RECORDABLE_FORMS, introduces,
                               nominated_by_union, parse_document, valid_until)
from ..workflow.rulesets import (FORM_KEYS, NoRuleSet, form_name, printed_code, rule_book,
                                 rule_set_on)
from ..workflow.steps import ADMISSION, RECOGNITION, STEPS
from . import audit
from .transitions import comment_text

WARN_DAYS = 30      # a document expiring within this many days is flagged
# From the best standing to the worst: a form stands as its best document in force.
# "moved": a transfer left the document stale (workflow/moved.py); record it again.
STANDINGS = ("ok", "expiring", "unverified", "not_qualifying", "moved", "expired")


@dataclass(frozen=True)
class Stage:
    title: object
    forms: dict
    states: frozenset[str]      # where documents of this stage are recorded
    shown_in: frozenset[str]    # where its checklist is shown
    trigger: str                # the step they prepare: who may fire it may record them
    also_shown: tuple = ()      # (form, label) on the checklist but recorded elsewhere
    papers: tuple = ()          # (form, label) the stage's steps record: shown once recorded


def _stage(key: str, title, forms: dict, trigger: str, also_shown: tuple = (),
           papers: tuple = ()) -> Stage:
    """A stage recorded and shown in the states the step specification names for ``key``."""
    return Stage(title, forms, frozenset(s.id for s in STEPS if key in s.records),
                 frozenset(s.id for s in STEPS if key in s.shows), trigger, also_shown, papers)


STAGES = (
    _stage(ADMISSION, _l("Admission dossier"), DOSSIER_FORMS, "send_to_cell",
           (("certificate", _l("Certificate of the Party awareness class")),),
           (("6-KNĐ", _l("Cell resolution")),
            ("8-KNĐ", _l("Committee resolution")),
            ("9-KNĐ", _l("Admission decision")))),
    _stage(RECOGNITION, _l("Recognition dossier"), RECOGNITION_FORMS, "open_recognition",
           papers=(("13-KNĐ", _l("Cell recognition resolution")),
                   ("15-KNĐ", _l("Committee recognition resolution")),
                   ("16-KNĐ", _l("Recognition decision")))),
)
# The papers a step records itself (workflow/effects.py), with the steps that record them.
STEP_PAPERS = {"4A-KNĐ": ("submit",), "certificate": ("pass_class", "skip_class"),
               "6-KNĐ": ("cell_approve",), "8-KNĐ": ("committee_approve",),
               "9-KNĐ": ("admit",), "13-KNĐ": ("open_recognition",),
               "15-KNĐ": ("recognise",), "16-KNĐ": ("recognise",)}


def stage_of(form_code: str) -> Stage | None:
    return next((s for s in STAGES if form_code in s.forms), None)


def recorded_by(form_code: str) -> tuple[str, ...]:
    """The steps whose takers record, or keep, the documents of ``form_code``: the step
    that records the paper, and the step that a stage showing it prepares (the cell keeps
    the admission dossier, the union's resolution and the decision included). Who may take
    one of them may attach the signed scan (services/scans.py)."""
    keepers = tuple(s.trigger for s in STAGES
                    if form_code in s.forms or form_code in dict(s.also_shown + s.papers))
    return tuple(dict.fromkeys(STEP_PAPERS.get(form_code, ()) + keepers))


def may_record(user: User, case: Case) -> list[Stage]:
    return [s for s in STAGES if case.state in s.states and can(user, s.trigger, case)]


def _recordable_stage(user: User, case: Case, form_code: str) -> Stage:
    stage = stage_of(form_code)
    if stage is None or stage not in may_record(user, case):
        if stage is not None and case.state not in stage.states:
            raise NotAvailable(_l("This document cannot be recorded at the case's current step."))
        raise NotAllowed(_l("You may not record documents on this case."))
    return stage


def record_document(case: Case, user: User, raw: dict, today: date | None = None,
                    replaces: Document | None = None) -> Document:
    today = today or clock.today()
    _recordable_stage(user, case, str(raw.get("form_code", "")))
    fields = parse_document(raw, today)
    validity = rule_set_on(fields["issued_on"])["document_validity_months"]
    doc = Document(valid_until=valid_until(fields, validity),
                   replaces_id=replaces.id if replaces else None, **fields)
    case.documents.append(doc)
    db.session.flush()
    audit.append(trigger="correct_document" if replaces else "record_document",
                 subject="document", actor_id=user.id, case_id=case.id,
                 data={"form": doc.form_code, "number": doc.number, "issued_on": doc.issued_on,
                       "document_id": doc.id, "replaces": replaces.id if replaces else None})
    return doc


def _document_of(case: Case, document_id: int) -> Document:
    doc = next((d for d in case.documents if d.id == document_id), None)
    if doc is None or doc.form_code not in RECORDABLE_FORMS:
        raise NotAvailable(_l("This document cannot be corrected or withdrawn here."))
    if doc.withdrawn_on is not None:
        raise NotAvailable(_l("This document has already been withdrawn."))
    return doc


def withdraw_document(case: Case, document_id: int, user: User, reason: str,
                      today: date | None = None, corrected: bool = False) -> Document:
    """Withdraw a document with the reason: it stays on the record, no longer counts."""
    today = today or clock.today()
    doc = _document_of(case, document_id)
    _recordable_stage(user, case, doc.form_code)
    reason = comment_text(reason, required=True)
    doc.withdrawn_on, doc.withdrawn_reason, doc.withdrawn_by_id = today, reason, user.id
    db.session.flush()
    if not corrected:
        audit.append(trigger="withdraw_document", subject="document", actor_id=user.id,
                     case_id=case.id, comment=doc.withdrawn_reason,
                     data={"form": doc.form_code, "document_id": doc.id})
    return doc


def correct_document(case: Case, document_id: int, user: User, reason: str, raw: dict,
                     today: date | None = None) -> Document:
    """Replace a document by a corrected one: the old one is withdrawn with the reason."""
    old = withdraw_document(case, document_id, user, reason, today, corrected=True)
    return record_document(case, user, {**raw, "form_code": old.form_code}, today, replaces=old)


@dataclass
class DocumentRow:
    document: Document
    status: str     # ok | expiring | expired | moved | unverified | not_qualifying | withdrawn
    scans: list[Scan] = field(default_factory=list)     # its signed scans, oldest first

    @property
    def scan(self) -> Scan | None:
        """The newest signed scan: the one in force."""
        return self.scans[-1] if self.scans else None


@dataclass
class ChecklistRow:
    form_code: str
    name: object
    documents: list[DocumentRow]    # every document of the form, as recorded
    status: str                     # the form's standing: missing, or its best document's

    @property
    def document(self) -> Document | None:
        """The newest document in force."""
        in_force = [r.document for r in self.documents if r.status != "withdrawn"]
        return in_force[-1] if in_force else None

    @property
    def recordable(self) -> bool:
        return self.form_code in RECORDABLE_FORMS


def checklist(case: Case, today: date | None = None, book=None,
              with_scans: bool = False) -> list[tuple[Stage, list[ChecklistRow]]]:
    """For each stage the case has reached, every document of each of its forms (with its
    signed scans when asked: one more query); the papers its steps record once recorded
    (``book``: the page's ``rule_book()``, if it has one)."""
    today = today or clock.today()
    book = book or rule_book()
    rules = book(today)
    moves = transfers_of(case)
    scans: dict[int, list[Scan]] = {}
    for scan in db.session.scalars(select(Scan).where(Scan.case_id == case.id)
                                   .order_by(Scan.id)) if with_scans else ():
        scans.setdefault(scan.document_id, []).append(scan)
    out = []
    for stage in STAGES:
        if case.state not in stage.shown_in:
            continue
        rows = []
        # A step paper whose step was taken back (all withdrawn) shows again when recorded.
        papers = [(form, name) for form, name in stage.papers if case.latest_document(form)]
        for form, title in (*stage.forms.items(), *stage.also_shown, *papers):
            if form == "4A-KNĐ" and not nominated_by_union(case):
                continue        # introduced by Party members' letters, not by the union
            docs = [DocumentRow(d, _status(d, today, rules, moves), scans.get(d.id, []))
                    for d in case.documents_of(form, withdrawn=True)]
            standing = [r.status for r in docs if r.status != "withdrawn"]
            best = min(standing, key=STANDINGS.index) if standing else "missing"
            row = ChecklistRow(form, title, docs, best)
            if form in FORM_KEYS:
                # named by the code printed on its newest document (the rule set of that
                # document's date), else on the form to fill in today
                labelled = _rules_of(row.document.issued_on, book, rules) if row.document \
                    else rules
                row.name = form_name(title, form, labelled)
            rows.append(row)
        out.append((stage, rows))
    return out


def _rules_of(day: date, book, default):
    try:
        return book(day)
    except NoRuleSet:       # a document older than every rule set
        return default


def document_codes(documents: list[Document], today: date | None = None) -> dict[int, str]:
    """What each document is called in a list (by id): its form's code as printed under the
    rule set in force on its date; the awareness-class certificate by name."""
    book, rules = rule_book(), rule_set_on(today or clock.today())
    certificate = dict(STAGES[0].also_shown)["certificate"]
    return {d.id: printed_code(d.form_code, _rules_of(d.issued_on, book, rules))
            if d.form_code in FORM_KEYS else str(certificate) for d in documents}


def _status(doc: Document, today: date, rules, moves) -> str:
    if doc.withdrawn_on is not None:
        return "withdrawn"
    if doc.valid_until and doc.valid_until < today:
        return "expired"
    if is_stale(doc.form_code, doc.issued_on, moves):
        return "moved"
    if doc.form_code == "2-KNĐ" and not doc.verified:
        return "unverified"
    if doc.form_code == "3-KNĐ" and not introduces(doc.detail or {}, rules):
        return "not_qualifying"
    if doc.valid_until and doc.valid_until <= today + timedelta(days=WARN_DAYS):
        return "expiring"
    return "ok"
