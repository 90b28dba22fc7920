"""Papers as downloads: one case's paper, a class's certificates, and the papers of many
cases as a background job. Each download is an export of personal records: logged in the
audit trail and in the read log, naming whom it prints."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..case_export import EXPORT_LISTS
from ..exports import download_name
from ..extensions import db
from ..jobs import JobContext, JobFailed, JobResult, task
from ..models import AuditEvent, Case
from ..services import audit, reads
from .content import PAPERS, case_paper
from .render import FORMATS, docx, pdf, render
from .sheet import Paper

def case_events(case: Case) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.subject == "case")
        .order_by(AuditEvent.id)))


def log(actor_id: int, what: dict, members: list[int], endpoint: str) -> None:
    audit.append(trigger="export", subject="paper", actor_id=actor_id, case_id=None,
                 data=what | {"rows": len(members)})
    reads.record(actor_id=actor_id, endpoint=endpoint, filters=what, rows=len(members),
                 members=members)


def send(data: bytes, name: str, fmt: str) -> Response:
    return Response(data, mimetype=FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"',
        "Cache-Control": "no-store"})


def fmt_or_404(fmt: str) -> str:
    if fmt not in FORMATS:
        abort(404)
    return fmt


def case_download(case: Case, key: str, fmt: str, *, logged: bool = True) -> Response:
    """The paper ``key`` of ``case`` (already scoped by the caller as its page is) in
    ``fmt``; 404 unless the case page offers it. Logged (a staff read) and committed."""
    fmt_or_404(fmt)
    if key not in PAPERS:
        abort(404)
    found = case_paper(case, key, case_events(case))
    if found is None:
        abort(404)
    spec, paper = found
    data = render(paper, fmt, spec.template)
    if logged:
        log(current_user.id, {"paper": spec.form, "format": fmt, "case": case.id},
            [case.member_id], request.endpoint or request.path)
        db.session.commit()
    return send(data, paper.name, fmt)


def paper_download(paper: Paper, template: str, fmt: str, what: dict) -> Response:
    """A paper of many pages (a class's certificates) in ``fmt``; logged and committed."""
    fmt_or_404(fmt)
    data = render(paper, fmt, template)
    log(current_user.id, what | {"format": fmt}, paper.members,
        request.endpoint or request.path)
    db.session.commit()
    return send(data, paper.name, fmt)


def _papers_of(cases: Iterable[Case], key: str, ctx: JobContext, total: int):
    """(case, paper) for each case whose page offers the paper ``key``."""
    for n, case in enumerate(cases, 1):
        found = case_paper(case, key, case_events(case))
        if found is not None:
            yield case, found[1]
        ctx.progress(n, max(total, n))


@task("papers_bulk")
def bulk_job(ctx: JobContext, *, list_name: str, filters: dict, key: str, fmt: str,
             endpoint: str, total: int) -> JobResult:
    """The paper ``key`` of every case of the owner's filtered list that has it: one PDF
    (a page per case) or a ZIP of DOCX files."""
    spec = PAPERS[key]
    # The list's own scoped statement, as its exports build it (case_export.export_list).
    stmt = EXPORT_LISTS[list_name](ctx.owner, filters, ctx.today)
    made = list(_papers_of(db.session.scalars(stmt).unique(), key, ctx, total))
    if not made:
        raise JobFailed(_("None of the %(n)s cases has this paper yet.", n=total))
    name = download_name(spec.form, "ho-so")
    if fmt == "pdf":
        data = pdf(Paper(name, [s for _c, p in made for s in p.sheets]), spec.template)
        file = (f"{name}.pdf", data, FORMATS["pdf"])
    else:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for case, paper in made:
                archive.writestr(f"{case.id}-{paper.name}.docx", docx(paper))
        file = (f"{name}.zip", out.getvalue(), "application/zip")
    log(ctx.owner.id, {"paper": spec.form, "format": fmt, "filters": filters,
                       "job": ctx.job.id}, [c.member_id for c, _p in made], endpoint)
    return JobResult(summary={"rows": len(made)}, file=file)

