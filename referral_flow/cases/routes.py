"""The scoped case list and the case detail with its timeline."""
from __future__ import annotations

from datetime import date
from functools import partial

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from .. import clock
from ..extensions import db
from ..forms import query_text
from ..labels import TRANSFER_KIND_LABELS, TRANSFER_STATE_LABELS, party_age
from ..models import AuditEvent, Case, Member, Role, TransferKind, TransferRequest, User
from ..paging import edges, keyset_rows, pager
from ..papers.content import offered
from ..read_log import log_page_read
from ..security import can, get_case_or_404, scoped_cases
from ..security.scope import MAX_ID
from ..services import tallies, transfers
from ..security.grants import is_admin, is_staff
from ..services.deadlines import deadlines
from ..services.dossier import (checklist, correct_document, document_codes, may_record,
                                record_document, withdraw_document)
from ..text import fold
from ..menu import nav_entry
from ..workflow.calendar import WorkingCalendar, load_calendar
from ..services.corrections import CORRECT, correct, correctable
from ..services.outcome import Outcome, needs_confirmation, preview
from ..workflow.errors import Conflict, WorkflowError
from ..workflow.rulesets import rule_book
from ..workflow.states import FINAL, STATES, label
from ..workflow.guards import EXIT_GROUNDS, FORMER_EXITS, RECORDABLE_FORMS, undecided_votes
from ..workflow.transitions import BY_TRIGGER
from .actions import (available, build_form, correction_action, correction_form, perform,
                      step_label, step_trigger)
from ..case_export import case_export, export_list, file_name
from ..security.reauth import fresh_authentication_required
from .forms import (DocumentCorrectionForm, PapersForm, WithdrawForm, document_form,
                    document_values, scan_forms)
from .intake import intake_page
from ..security.permissions import intake_nodes
from .transfer_forms import answer_form, transfer_request_form, withdraw_form
from .verification import ACTIONS as VERIFYING
from .verification import prefix_of, save, verification_form, verification_panel
from ..services.verification import board

bp = Blueprint("cases", __name__, url_prefix="/cases")
nav_entry("cases.index", _l("Cases"), is_staff)


def cases_of(user: User, state: str, query: str, today: date | None = None) -> Select:
    """The user's scoped cases in ``state`` (any when "") whose name holds ``query``."""
    stmt = scoped_cases(user, today)
    if state in STATES:
        stmt = stmt.where(Case.state == state)
    if query:
        stmt = stmt.where(Member.search_key.contains(fold(query), autoescape=True))
    return stmt.join(Case.member)


def filtered_cases() -> tuple[Select, str, str]:
    """The current user's cases filtered by ``?state=`` and ``?q=`` (the list and its
    exports), with the cleaned filters."""
    state = request.args.get("state", "")
    query = query_text()
    return cases_of(current_user, state, query), state, query


@export_list("cases")
def _export_statement(user: User, filters: dict, today: date) -> Select:
    return cases_of(user, filters["state"], filters["q"], today).order_by(
        Case.state_since, Case.id)


@bp.get("/")
@login_required
def index():
    stmt, state, query = filtered_cases()
    tally = None if query else tallies.scope_counts(current_user)
    total = (db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
             if tally is None else tally.get(state, 0) if state in STATES
             else sum(tally.values()))
    paging = pager(total, current_app.config["CASES_PER_PAGE"])
    rows = keyset_rows(lambda s: db.session.scalars(s).unique().all(),
                       stmt.options(joinedload(Case.union_unit), joinedload(Case.party_org)),
                       (Case.state_since, Case.id), paging)
    page = render_template("cases/index.html", cases=rows, total=total, page=paging.page,
                           papers_form=PapersForm(),
                           edges=edges(rows, paging, lambda c: (c.state_since, c.id)),
                           pages=paging.pages, state=state, q=query, states=STATES,
                           may_intake=intake_nodes(current_user, clock.today()) != [])
    log_page_read(members=[case.member_id for case in rows])
    return page


@bp.route("/export", methods=["GET", "POST"])
@login_required
@fresh_authentication_required
def export():
    """All the cases of the filtered list (every page), as CSV or XLSX; logged. A long
    list is built in the background (POST starts it)."""
    _, state, query = filtered_cases()
    return case_export("cases", file_name(state=state, searched=bool(query)),
                       {"state": state if state in STATES else "", "q": query})


@bp.route("/intake", methods=["GET", "POST"])
@login_required
def intake():
    """Enter a case already under way at its step (committee staff, administrators)."""
    return intake_page()


@bp.get("/<int:case_id>")
@login_required
def detail(case_id: int):
    case = get_case_or_404(case_id, current_user)
    page = _detail_page(case)
    if not _is_own_case(current_user, case):
        # Reads of a personal record by staff are logged (PROCESS.md §6).
        log_page_read(members=[case.member_id],
                      party_members=[h.party_member_id for h in case.helpers], rows=1)
    return page


@bp.post("/<int:case_id>/<trigger>")
@login_required
def act(case_id: int, trigger: str):
    """Fire ``trigger``: the form carries the case version it was loaded with. A step whose
    figures decide the outcome, or that can close the case, is saved once confirmed."""
    case = get_case_or_404(case_id, current_user)
    if trigger not in BY_TRIGGER:
        abort(404)
    form = build_form(trigger, case, formdata=request.form)
    if not form.validate_on_submit():
        return _detail_page(case, bound={trigger: form}), 400

    def run() -> Case:
        return perform(case, trigger, current_user, form)
    return _carry_out(case, trigger, form, run, bound={trigger: form})


@bp.post("/<int:case_id>/correct/<int:event_id>")
@login_required
def correct_step(case_id: int, event_id: int):
    """Take back the case's latest step, and record it again with the corrected data
    unless only the taking back was asked for."""
    case = get_case_or_404(case_id, current_user)
    allowed = correctable(current_user, case)
    if allowed is None or allowed.event.id != event_id:
        return _detail_page(case, error=_("Only the case's latest step can be corrected, by its "
                                          "author on the day it was recorded or by the "
                                          "competent body above.")), 409
    action = correction_action(allowed.event, case)
    form = correction_form(allowed.event, case, formdata=request.form)
    if not form.validate_on_submit():
        return _detail_page(case, fix=form), 400
    again = form.mode.data == "again"

    def run() -> Case:
        correct(case, event_id, current_user, reason=form.reason.data,
                expected_version=form.version.data)
        if again:
            perform(case, action, current_user, form, check_permission=False,
                    expected_version=case.version)
        return case
    if not again:
        return _carry_out(case, CORRECT, form, run, fix=form)
    return _carry_out(case, action, form, run, fix=form)


def _carry_out(case: Case, action: str, form, run, **shown):
    """Run the step (after its confirmation, when it needs one), commit, and say where the
    case now stands; a refusal re-shows the page with what was typed."""
    try:
        if action != CORRECT and needs_confirmation(action):
            trigger = step_trigger(action, form)
            outcome = preview(trigger, form.step_data(), form.data, clock.today(), run)
            confirmed = request.form.get("confirm") == outcome.token and (
                not outcome.closes or request.form.get("confirm_close") == "1")
            if not confirmed:
                db.session.rollback()
                case = get_case_or_404(case.id, current_user)
                return _detail_page(case, outcome=outcome, **shown)
        run()
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case.id, current_user)
        return _detail_page(case, error=str(exc), conflict=isinstance(exc, Conflict),
                            error_form=exc.form, **shown), exc.http_status
    flash(_("Saved. The case is now at the step: %(state)s.", state=label(case.state)), "info")
    return redirect(url_for("cases.detail", case_id=case.id))


CODES = {code.replace("Đ", "D").lower(): code for code in RECORDABLE_FORMS}   # URL slugs


def _slug(code: str) -> str:
    return code.replace("Đ", "D").lower()


@bp.post("/<int:case_id>/documents/<slug>")
@login_required
def add_document(case_id: int, slug: str):
    """Record one document of the form ``slug`` (e.g. ``3-knd``)."""
    case = get_case_or_404(case_id, current_user)
    code = CODES.get(slug)
    if code is None or not _may_record(case, code):
        abort(404 if code is None else 403)
    form = document_form(code, f"doc-{slug}", request.form)
    return _save_document(case, form, f"doc-{slug}", lambda: record_document(
        case, current_user, document_values(form, code)))


@bp.post("/<int:case_id>/documents/<int:document_id>/<change>")
@login_required
def change_document(case_id: int, document_id: int, change: str):
    """Correct (replace) or withdraw a document, with the reason; it stays on the record."""
    case = get_case_or_404(case_id, current_user)
    document = next((d for d in case.documents if d.id == document_id), None)
    if document is None or change not in ("correct", "withdraw"):
        abort(404)
    if document.form_code not in RECORDABLE_FORMS or not _may_record(case, document.form_code):
        abort(403)
    prefix = f"{change}{document_id}"
    if change == "withdraw":
        form = WithdrawForm(formdata=request.form, prefix=prefix)
        return _save_document(case, form, prefix, lambda: withdraw_document(
            case, document_id, current_user, form.reason.data))
    form = document_form(document.form_code, prefix, request.form,
                         form_class=DocumentCorrectionForm)
    return _save_document(case, form, prefix, lambda: correct_document(
        case, document_id, current_user, form.reason.data,
        document_values(form, document.form_code)))


def _may_record(case: Case, code: str) -> bool:
    return code in RECORDABLE_FORMS and any(
        code in stage.forms for stage in may_record(current_user, case))


def _save_document(case: Case, form, prefix: str, save):
    if not form.validate_on_submit():
        return _detail_page(case, documents={prefix: form}), 400
    try:
        save()
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case.id, current_user)
        return _detail_page(case, documents={prefix: form}, error=str(exc),
                            failed=prefix), exc.http_status
    flash(_("The dossier was updated."), "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#dossier")


@bp.post("/<int:case_id>/verification/<what>")
@bp.post("/<int:case_id>/verification/<what>/<int:item_id>")
@login_required
def verify(case_id: int, what: str, item_id: int | None = None):
    """Record a piece of the background verification: a relative added or corrected, a
    check, a request and its answer, the residence area's opinion asked for and received."""
    case = get_case_or_404(case_id, current_user)
    if what not in VERIFYING or VERIFYING[what][2] != (item_id is not None):
        abort(404)
    prefix = prefix_of(what, item_id)
    form = verification_form(what, board(case, load_calendar()), item_id, request.form)
    if not form.validate_on_submit():
        return _detail_page(case, verifying={prefix: form}, failed=prefix), 400
    try:
        save(what, case, current_user, form, item_id)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case.id, current_user)
        return _detail_page(case, verifying={prefix: form}, error=str(exc),
                            failed=prefix), exc.http_status
    flash(_("The background verification was updated."), "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#verification")


def document_forms(case: Case, rows, bound: dict | None = None) -> dict:
    """The dossier's forms the user may use now, by prefix: one per recordable form code,
    and for each document in force one to correct it and one to withdraw it."""
    bound = bound or {}
    codes = {code for stage in may_record(current_user, case) for code in stage.forms
             if code in RECORDABLE_FORMS}
    forms = {}
    for row in rows:
        if row.form_code not in codes:
            continue
        prefix = f"doc-{_slug(row.form_code)}"
        forms[prefix] = bound.get(prefix) or document_form(row.form_code, prefix)
        for item in row.documents:
            if item.status == "withdrawn":
                continue
            doc = item.document
            fix, gone = f"correct{doc.id}", f"withdraw{doc.id}"
            forms[fix] = bound.get(fix) or document_form(
                row.form_code, fix, document=doc, form_class=DocumentCorrectionForm)
            forms[gone] = bound.get(gone) or WithdrawForm(prefix=gone)
    return forms


def _detail_page(case: Case, bound: dict | None = None, error: str | None = None,
                 conflict: bool = False, documents: dict | None = None,
                 outcome: Outcome | None = None, fix=None, failed: str | None = None,
                 error_form: str | None = None, moving: dict | None = None,
                 verifying: dict | None = None, scans: dict | None = None) -> str:
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case")
        .options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id)).all()
    today = clock.today()
    earlier = db.session.scalars(
        scoped_cases(current_user, today).where(Case.member_id == case.member_id,
                                                Case.id != case.id)
        .order_by(Case.id.desc())).all()
    allowed = correctable(current_user, case, today)
    book = rule_book()
    stages = checklist(case, today, book, with_scans=True)
    rows = [row for _stage, stage_rows in stages for row in stage_rows]
    if allowed is not None and fix is None:
        fix = correction_form(allowed.event, case)
    own = _is_own_case(current_user, case)
    calendar = load_calendar()      # one read of the working calendar for the whole page
    return render_template("cases/detail.html", case=case, events=events,
                           party_age=party_age(case, today),
                           actions=available(current_user, case, bound, today),
                           deadlines=deadlines(case, calendar, today, book),
                           states=STATES, step_label=partial(step_label, rules_on=book),
                           own=own, exits=FORMER_EXITS, grounds=EXIT_GROUNDS,
                           undecided=undecided_votes(case),
                           corrected={e.corrects_id: e for e in events if e.corrects_id},
                           error=error, conflict=conflict,
                           failed=failed or next(iter(bound or {}), "correction" if fix and (
                               error or outcome or fix.errors) else None),
                           error_form=error_form, slug=_slug,
                           outcome=outcome, correctable=allowed if fix else None, fix=fix,
                           earlier=earlier, audits_reads=is_admin(current_user, today),
                           needs_confirmation=needs_confirmation,
                           checklist=stages, forms=document_forms(case, rows, documents)
                           | scan_forms(current_user, case, rows, scans),
                           moves=_transfer_panel(case, today, calendar, moving or {}),
                           verification=None if own else verification_panel(
                               case, current_user, today, calendar, verifying),
                           transfer_kinds=TRANSFER_KIND_LABELS,
                           transfer_states=TRANSFER_STATE_LABELS,
                           papers=offered(case, events))


def _is_own_case(user: User, case: Case) -> bool:
    return bool(user.member_id and case.member_id == user.member_id
                and all(g.role == Role.member for g in user.grants))


# --- transfers (services/transfers.py) ----------------------------------------------------

def _transfer_panel(case: Case, today, calendar: WorkingCalendar, bound: dict) -> dict:
    """The case page's transfers: the history with each one's deadline, the request form
    (for the side responsible, when none is pending) and the pending one's withdrawal."""
    history = transfers.history_of(case)
    pending = next((t for t in history if t.pending), None)
    may_move = can(current_user, "request_transfer", case, today)
    return {
        "history": [(t, transfers.deadline(t, calendar, today)) for t in reversed(history)],
        "request": (bound.get("request") or transfer_request_form(case))
        if may_move and pending is None and case.state not in FINAL else None,
        "withdraw": (bound.get("withdraw") or withdraw_form(case))
        if may_move and pending is not None else None,
        "pending": pending,
    }


def _transfer_or_404(transfer_id: int) -> TransferRequest:
    """A transfer the user may answer, or whose case the user may see; else 404."""
    transfer = db.session.get(TransferRequest, transfer_id) if 0 < transfer_id <= MAX_ID else None
    if transfer is None or not (can(current_user, "answer_transfer", transfer)
                                or can(current_user, "view", transfer.case)):
        abort(404)
    return transfer


@bp.post("/<int:case_id>/transfer")
@login_required
def request_transfer(case_id: int):
    """Ask for the case's transfer ("Chuyển sinh hoạt / chuyển nơi")."""
    case = get_case_or_404(case_id, current_user)
    form = transfer_request_form(case, request.form)
    if not form.validate_on_submit():
        return _detail_page(case, failed="transfer", moving={"request": form}), 400
    try:
        transfers.request_transfer(case, current_user, kind=TransferKind(form.kind.data),
                                   reason=form.reason.data, expected_version=form.version.data,
                                   **form.targets())
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case.id, current_user)
        return _detail_page(case, error=str(exc), conflict=isinstance(exc, Conflict),
                            failed="transfer", moving={"request": form}), exc.http_status
    flash(_("The transfer was requested; the receiving side will answer it."), "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#transfers")


@bp.post("/transfers/<int:transfer_id>/withdraw")
@login_required
def withdraw_transfer(transfer_id: int):
    transfer = _transfer_or_404(transfer_id)
    case = transfer.case
    form = withdraw_form(case, request.form)
    if not form.validate_on_submit():
        return _detail_page(case, failed="transfer", moving={"withdraw": form}), 400
    try:
        transfers.withdraw_transfer(transfer, current_user, expected_version=form.version.data,
                                    note=form.note.data)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case.id, current_user)
        return _detail_page(case, error=str(exc), conflict=isinstance(exc, Conflict),
                            failed="transfer", moving={"withdraw": form}), exc.http_status
    flash(_("The transfer request was withdrawn."), "info")
    return redirect(url_for("cases.detail", case_id=case.id) + "#transfers")


@bp.get("/transfers/<int:transfer_id>")
@login_required
def transfer(transfer_id: int):
    """The request as the receiving side sees it, with its answer form."""
    return _transfer_page(_transfer_or_404(transfer_id))


@bp.post("/transfers/<int:transfer_id>/answer")
@login_required
def answer_transfer(transfer_id: int):
    """Accept (the case moves) or refuse (with the reason) a transfer request."""
    transfer = _transfer_or_404(transfer_id)
    form = answer_form(transfer.case, request.form)
    decision = request.form.get("decision")
    if decision not in ("accept", "refuse") or not form.validate_on_submit():
        return _transfer_page(transfer, form), 400
    answer = transfers.accept_transfer if decision == "accept" else transfers.refuse_transfer
    try:
        answer(transfer, current_user, expected_version=form.version.data,
               note=form.note.data or "")
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        return _transfer_page(_transfer_or_404(transfer_id), form, error=str(exc),
                              conflict=isinstance(exc, Conflict)), exc.http_status
    if decision == "refuse":
        flash(_("The transfer was refused; the case stays where it was."), "info")
        return redirect(url_for("cases.transfer", transfer_id=transfer_id))
    flash(_("The transfer was accepted: the case is now yours."), "info")
    return redirect(url_for("cases.detail", case_id=transfer.case_id))


def _transfer_page(transfer: TransferRequest, form=None, error: str | None = None,
                   conflict: bool = False):
    case, today = transfer.case, clock.today()
    documents = [d for d in case.documents if d.in_force]
    answering = transfer.pending and can(current_user, "answer_transfer", transfer, today)
    page = render_template(
        "cases/transfer.html", transfer=transfer, case=case, states=STATES,
        due=transfers.deadline(transfer, load_calendar(), today),
        form=(form or answer_form(case)) if answering else None,
        documents=documents, codes=document_codes(documents, today),
        sees_case=can(current_user, "view", case, today), error=error, conflict=conflict,
        transfer_kinds=TRANSFER_KIND_LABELS, transfer_states=TRANSFER_STATE_LABELS)
    log_page_read(members=[case.member_id], rows=1)
    return page
