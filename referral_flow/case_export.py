"""The case lists' exports (CSV, XLSX): one row per case of a scoped, filtered statement.

Each list registers how its statement is built from the user and the cleaned filters
(``export_list``), so that the same export runs in the request (a list of up to
``EXPORT_INLINE_ROWS`` cases, streamed) or as a background job (longer lists: a 150,000-case
province would outlast any request timeout). The statement comes from ``scoped_cases`` (so
the export is exactly the user's scope) and must already join ``Case.member``; the member
and the three organisations are loaded from those joins in the one SELECT, streamed in
batches: the number of SQL statements does not depend on the number of rows. Every export
is logged in the audit trail and the read log, naming whom it lists.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import date

from flask import Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func
from sqlalchemy.orm import contains_eager

from . import clock
from .exports import FORMATS, SPOOL_BYTES, Counted, Table, download_name, export_response, \
    write_tables
from .extensions import db
from .i18n import csv_style, format_number
from .jobs import JobContext, JobResult, enqueue, task
from .labels import ENTERPRISE_LABELS, party_age
from .models import Case, User
from .models.member import Gender
from .security.scope import CellOrg, PartyOrg, UnionOrg
from .services import audit, reads
from .workflow.states import STATES

BATCH = 500
PLAIN_COLUMNS = (0, 12)     # the case number and the referral year: no thousands separator

# list name -> statement(user, filters, today), ordered, joining Case.member
EXPORT_LISTS: dict[str, Callable[[User, dict, date], Select]] = {}


def export_list(name: str):
    """Register how the list ``name`` builds its export's statement."""
    def register(fn: Callable[[User, dict, date], Select]):
        EXPORT_LISTS[name] = fn
        return fn
    return register


def headers() -> list[str]:
    return [_("Case no."), _("Full name"), _("Date of birth"), _("Citizen ID"), _("Gender"),
            _("Job"), _("Direct production worker"), _("Union unit"), _("Enterprise kind"),
            _("Party organisation in the enterprise"), _("Receiving Party organisation"),
            _("Host cell"), _("Referral year"), _("Step"), _("Since"), _("Nominated on"),
            _("Certificate date"), _("Cell resolution date"), _("Decision date"),
            _("Ceremony date"), _("Official member from"), _("Party age")]


def _rows(cases, shown: list[int], today: date) -> Iterator[list]:
    """The export's rows; the members they name are added to ``shown`` (for the read log).
    The Party age is counted to ``today``, the day of the export."""
    yes, no = _("Yes"), _("No")
    genders = {Gender.male: _("Male"), Gender.female: _("Female")}
    kinds = {k: str(v) for k, v in ENTERPRISE_LABELS.items()}
    steps = {k: str(v) for k, v in STATES.items()}
    for case in cases:
        m, unit = case.member, case.union_unit
        shown.append(m.id)
        yield [
            case.id, m.full_name, m.date_of_birth, m.citizen_id, genders.get(m.gender, ""),
            m.job or "", yes if m.direct_production else no, unit.name,
            kinds.get(unit.enterprise_kind.value, "") if unit.enterprise_kind else "",
            "" if unit.has_party_org is None else (yes if unit.has_party_org else no),
            case.party_org.name, case.host_cell.name if case.host_cell else "",
            case.referral_year, steps.get(case.state, case.state), case.state_since,
            case.nominated_on, case.certified_on, case.cell_resolution_on, case.decision_on,
            case.ceremony_on, case.official_from, party_age(case, today),
        ]


def file_name(*, unit=None, year: int | None = None, state: str = "",
              searched: bool = False) -> str:
    """The download's name from the list's filters, in Vietnamese without diacritics and
    never a date: ho-so, ho-so-2024, ho-so-<unit>-chi-bo-xet-de-nghi-ket-nap,
    ho-so-tim-kiem (a name search; the searched text stays out of the file name)."""
    with force_locale("vi"):
        step = str(STATES[state]) if state in STATES else None
    return download_name("ho-so", unit.name if unit is not None else None, year, step,
                         "tim-kiem" if searched else None)


def _streamed(stmt: Select) -> Select:
    return stmt.options(
        contains_eager(Case.member),
        contains_eager(Case.union_unit.of_type(UnionOrg)),
        contains_eager(Case.party_org.of_type(PartyOrg)),
        contains_eager(Case.host_cell.of_type(CellOrg)),
    ).execution_options(yield_per=BATCH)


def _log(actor_id: int, list_name: str, filters: dict, fmt: str, rows: int, shown: list[int],
         endpoint: str, job_id: str | None = None) -> None:
    """Exports of personal records are logged: which list, how many rows, which filters (the
    audit trail), and whom they name (the read log, where the auditor finds each person)."""
    audit.append(trigger="export", subject="case_export", actor_id=actor_id, case_id=None,
                 data={"list": list_name, "rows": rows, "filters": filters, "format": fmt}
                 | ({"job": job_id} if job_id else {}))
    reads.record(actor_id=actor_id, endpoint=endpoint, filters=filters | {"format": fmt},
                 rows=rows, members=shown)


def case_export(list_name: str, file_name: str, filters: dict) -> Response:
    """The list ``list_name`` filtered by ``filters`` as the download ``?format=csv|xlsx``
    named ``file_name``, logged and committed. A longer list than ``EXPORT_INLINE_ROWS``
    is offered as background work: a page that says so and asks (POST) to start it."""
    fmt = request.args.get("format", "")
    if fmt not in FORMATS:
        abort(400)
    today = clock.today()
    stmt = EXPORT_LISTS[list_name](current_user, filters, today)
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    if total > current_app.config["EXPORT_INLINE_ROWS"]:
        if request.method != "POST":
            return render_template("jobs/confirm_export.html", total=total, fmt=fmt)
        job = enqueue("case_export", owner=current_user, title=_(
            "Export of %(n)s cases (%(format)s)", n=format_number(total), format=fmt.upper()),
            params={"list_name": list_name, "filters": filters, "fmt": fmt,
                    "name": file_name, "endpoint": request.endpoint, "total": total})
        return redirect(url_for("jobs.show", job_id=job.id))
    shown: list[int] = []
    rows = Counted(_rows(db.session.scalars(_streamed(stmt)), shown, today))
    response = export_response(headers(), rows, fmt, file_name, plain=PLAIN_COLUMNS)
    _log(current_user.id, list_name, filters, fmt, rows.n, shown,
         request.endpoint or request.path)
    db.session.commit()
    return response


@task("case_export")
def export_job(ctx: JobContext, *, list_name: str, filters: dict, fmt: str, name: str,
               endpoint: str, total: int) -> JobResult:
    """A long list's export, built in a worker with the owner's scope on the day it was
    asked for; the file is the job's result."""
    stmt = EXPORT_LISTS[list_name](ctx.owner, filters, ctx.today)
    shown: list[int] = []

    def reported(rows: Iterator[list]) -> Iterator[list]:
        for n, row in enumerate(rows, 1):
            ctx.progress(n, max(total, n))
            yield row

    rows = Counted(reported(_rows(db.session.scalars(_streamed(stmt)), shown, ctx.today)))
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
        write_tables(out, [Table(None, headers(), rows, plain=PLAIN_COLUMNS)], fmt,
                     csv_style(ctx.owner.locale))
        out.seek(0)
        data = out.read()
    _log(ctx.owner.id, list_name, filters, fmt, rows.n, shown, endpoint, ctx.job.id)
    return JobResult(summary={"rows": rows.n}, file=(f"{name}.{fmt}", data, FORMATS[fmt]))
