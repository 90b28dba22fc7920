"""Awareness classes: create and edit a class, bulk enrolment, bulk results numbered in the
class's certificate scheme.

Nothing here commits (the views do). Each row of a bulk verb fires its own transition
through ``fire()`` inside a SAVEPOINT: a row that fails is rolled back alone and reported on
its line, with the case version the page was loaded with (compare-and-set per row). The
class row is locked by the caller (``FOR UPDATE`` on PostgreSQL), which serialises capacity
and certificate numbering.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AwarenessClass, Case, Enrolment, EnrolmentResult, User
from ..security import scoped_cases
from ..workflow.errors import WorkflowError
from ..workflow.guards import dated_before_the_end, off_scheme, results_not_yet
from . import audit
from .transitions import fire

NOT_FOUND = _l("This case does not exist or is not within your organisations.")
RELOAD = _l("The form is out of date: reload the page.")
PASS, FAIL = "pass", "fail"


@dataclass
class RowResult:
    """What became of one row of a bulk request."""
    case_id: int | None
    name: str
    ok: bool
    message: str


def first_of_each(rows: list, key) -> list:
    """``rows`` without the repeats of a key (the first one stays), in order."""
    seen: set = set()
    return [row for row in rows if not (key(row) in seen or seen.add(key(row)))]


def taken(klass: AwarenessClass) -> int:
    return db.session.scalar(select(func.count(Enrolment.id))
                             .where(Enrolment.class_id == klass.id))


# --- create and edit ------------------------------------------------------------------------

class ClassRefused(ValueError):
    """A class's details break a rule; ``field`` names the form field the message is for."""

    def __init__(self, field_name: str, message):
        super().__init__(message)
        self.field, self.message = field_name, message


def save_class(klass: AwarenessClass | None, values: dict, *, actor_id: int) -> AwarenessClass:
    """Create (``klass`` None) or change a class from ``values`` (the form's fields).
    The capacity cannot drop below those enrolled, and the certificate prefix cannot change
    once a certificate of the class is numbered: every certificate of a class follows one
    scheme."""
    created = klass is None
    if created:
        klass = AwarenessClass(certificate_seq=0)
        db.session.add(klass)
    else:
        enrolled = taken(klass)
        if values["capacity"] < enrolled:
            raise ClassRefused("capacity", _l("%(n)d candidates are already enrolled.",
                                              n=enrolled))
        numbered = len(numbers_used(klass))
        if numbered and values["certificate_prefix"] != klass.certificate_prefix:
            raise ClassRefused("certificate_prefix", _l(
                "%(n)d certificates of this class are already numbered with the prefix "
                "%(prefix)s: it cannot change.", n=numbered,
                prefix=klass.certificate_prefix or "—"))
    changed = sorted(k for k, v in values.items() if getattr(klass, k, None) != v)
    for key, value in values.items():
        setattr(klass, key, value)
    db.session.flush()
    if created or changed:
        audit.append(trigger="create" if created else "edit", subject="class",
                     actor_id=actor_id, data={"class_id": klass.id, "name": klass.name,
                                              "fields": changed})
    return klass


# --- bulk enrolment -------------------------------------------------------------------------

@dataclass
class EnrolRow:
    case_id: int
    version: int | None


def enrol(klass: AwarenessClass, rows: list[EnrolRow], user: User) -> list[RowResult]:
    """Enrol each row's case (once, in the order given); the class's guard refuses the rows
    beyond its capacity, each on its line."""
    rows = first_of_each(rows, lambda row: row.case_id)
    cases = {c.id: c for c in db.session.scalars(
        scoped_cases(user).where(Case.id.in_([row.case_id for row in rows]))).unique()}
    out = []
    for row in rows:
        case = cases.get(row.case_id)
        if case is None:
            out.append(RowResult(None, "", False, str(NOT_FOUND)))
            continue
        message = _fire_row(case, "enroll", row.version, user, data={"class_id": klass.id})
        out.append(RowResult(case.id, case.member.full_name, message is None,
                             message or _("Enrolled.")))
    return out


# --- bulk results ---------------------------------------------------------------------------

@dataclass
class ResultRow:
    """One candidate's result as typed: ``error`` is what the form already refused."""
    enrolment_id: int
    verdict: str                        # PASS or FAIL
    version: int | None
    number: str = ""                    # empty: the next number of the class
    certificate_on: date | None = None
    reason: str = ""
    error: str | None = None


@dataclass
class PlannedResult:
    """A row checked against the class: what it will record, or why it cannot."""
    row: ResultRow
    enrolment: Enrolment | None
    number: str | None = None           # the typed number in the class's scheme
    preview: str | None = None          # the number the row will get (typed or next)
    error: str | None = None

    @property
    def name(self) -> str:
        return self.enrolment.case.member.full_name if self.enrolment else ""

    @property
    def case_id(self) -> int | None:
        return self.enrolment.case_id if self.enrolment else None


@dataclass
class ResultPlan:
    klass: AwarenessClass
    rows: list[PlannedResult]
    used: set[str] = field(default_factory=set)     # numbers already in the class or typed

    @property
    def passes(self) -> list[PlannedResult]:
        return [p for p in self.rows if not p.error and p.row.verdict == PASS]

    @property
    def fails(self) -> list[PlannedResult]:
        return [p for p in self.rows if not p.error and p.row.verdict == FAIL]

    @property
    def refused(self) -> list[PlannedResult]:
        return [p for p in self.rows if p.error]


def plan_results(klass: AwarenessClass, rows: list[ResultRow], today: date) -> ResultPlan:
    """Check each row against the class and the rules, in the order given, and number the
    passes as ``record_results`` will (typed numbers first, then the class's next ones)."""
    rows = first_of_each(rows, lambda row: row.enrolment_id)
    enrolments = {e.id: e for e in db.session.scalars(
        select(Enrolment).where(Enrolment.class_id == klass.id,
                                Enrolment.id.in_([row.enrolment_id for row in rows]))
        .options(joinedload(Enrolment.case).joinedload(Case.member)))}
    plan = ResultPlan(klass, [PlannedResult(row, enrolments.get(row.enrolment_id))
                              for row in rows], numbers_used(klass))
    for planned in plan.rows:
        planned.error = _row_error(klass, planned, today, plan.used)
        if planned.error is None and planned.number:
            plan.used.add(planned.number)
    seq = klass.certificate_seq or 0
    taken_numbers = set(plan.used)
    for planned in plan.passes:
        if planned.number:
            planned.preview = planned.number
        else:
            seq, planned.preview = _next_free(klass, seq, taken_numbers)
            taken_numbers.add(planned.preview)
    return plan


def _row_error(klass: AwarenessClass, planned: PlannedResult, today: date,
               used: set[str]) -> str | None:
    row, enrolment = planned.row, planned.enrolment
    if row.error:
        return row.error
    if enrolment is None:
        return str(NOT_FOUND)
    if enrolment.result != EnrolmentResult.pending:
        return _("The result is already recorded.")
    if enrolment.case.state != "in_class":
        return _("The candidate is no longer in this class.")
    if row.version is None:
        return str(RELOAD)
    if not klass.takes_results_on(today):
        return str(results_not_yet(klass))
    if row.verdict == FAIL:
        return None if row.reason else _("Give the reason.")
    if row.certificate_on is None:
        return _("%(field)s is required.", field=_("Certificate date"))
    if row.certificate_on < klass.ends_on:
        return str(dated_before_the_end(klass))
    if row.certificate_on > today:
        return _("The certificate date cannot be in the future.")
    if row.number:
        planned.number = klass.read_certificate_number(row.number)
        if planned.number is None:
            return str(off_scheme(klass))
        if planned.number in used:
            return _("The certificate number %(no)s is already used in this class.",
                     no=planned.number)
    return None


def numbers_used(klass: AwarenessClass) -> set[str]:
    return set(db.session.scalars(select(Enrolment.certificate_no).where(
        Enrolment.class_id == klass.id, Enrolment.certificate_no.is_not(None))))


def next_number(klass: AwarenessClass) -> str:
    """The class's next certificate number; the class's sequence moves on to it."""
    klass.certificate_seq, number = _next_free(klass, klass.certificate_seq or 0,
                                               numbers_used(klass))
    return number


def _next_free(klass: AwarenessClass, seq: int, used: set[str]) -> tuple[int, str]:
    while True:
        seq += 1
        number = klass.certificate_number(seq)
        if number not in used:
            return seq, number


def record_results(klass: AwarenessClass, rows: list[ResultRow], user: User,
                   today: date) -> list[RowResult]:
    """Record the rows as ``plan_results`` planned them, each in its SAVEPOINT; a row the
    plan refuses is reported without being tried. An automatic number is taken when its row
    is saved, so a row that fails leaves no gap in the class's numbering."""
    plan, out = plan_results(klass, rows, today), []
    for planned in plan.rows:
        if planned.error:
            out.append(RowResult(planned.case_id, planned.name, False, planned.error))
        elif planned.row.verdict == FAIL:
            message = _fire_row(planned.enrolment.case, "fail_class", planned.row.version, user,
                                comment=planned.row.reason)
            out.append(RowResult(planned.case_id, planned.name, message is None,
                                 message or _("Saved: not passed, back to accepted.")))
        else:
            message, number = _record_pass(plan, planned, user)
            out.append(RowResult(planned.case_id, planned.name, message is None,
                                 message or _("Saved: certificate %(no)s.", no=number)))
    return out


def _record_pass(plan: ResultPlan, planned: PlannedResult, user: User) -> tuple[str | None, str]:
    """(error message or None, the certificate number). The next number is taken inside the
    row's SAVEPOINT, so that it is given back when the row fails."""
    klass, row, number = plan.klass, planned.row, planned.number
    try:
        with db.session.begin_nested():
            if number is None:
                klass.certificate_seq, number = _next_free(klass, klass.certificate_seq or 0,
                                                           plan.used)
            fire(planned.enrolment.case, "pass_class", user, expected_version=row.version,
                 data={"certificate_no": number, "certificate_issuer": klass.organiser.name,
                       "certificate_on": row.certificate_on})
    except (WorkflowError, IntegrityError) as exc:
        return _refusal(exc), number or ""
    plan.used.add(number)
    return None, number


def _fire_row(case: Case, trigger: str, version: int | None, user: User, **kw) -> str | None:
    """Fire one row in its own SAVEPOINT; the error message, or None when it was saved."""
    if version is None:
        return str(RELOAD)
    try:
        with db.session.begin_nested():
            fire(case, trigger, user, expected_version=version, **kw)
    except (WorkflowError, IntegrityError) as exc:
        return _refusal(exc)
    return None


def _refusal(exc: Exception) -> str:
    if isinstance(exc, IntegrityError):
        return _("This record clashes with one saved meanwhile (a certificate number already "
                 "used in this class?). Reload the page.")
    return str(exc)
