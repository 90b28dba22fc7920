"""Importing cases already under way from a spreadsheet: upload -> a check job (preview and
every error by row and column) -> "Import" -> a commit job that checks again and enters
all or nothing (``imports.cases``). For those who may use the intake screen
(``security.permissions.intake_nodes``); the jobs' pages are the jobs screen's, with this
area's result templates (``templates/jobs/result_case_*.html``)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db
from ..exports import FORMATS
from ..forms import EmptyForm
from ..imports.cases import COLUMNS, check_cases, commit_cases
from ..imports.files import ImportFileError, check_size
from ..imports.roster import ImportRefused
from ..jobs import JobContext, JobFailed, JobResult, enqueue, task
from ..models import Job, JobState
from ..security.permissions import intake_nodes
from .forms import CaseImportForm
from .routes import bp

CHECK, COMMIT = "case_check", "case_commit"


def _may_import() -> None:
    """The intake screen's permission: committee and competent-body staff, administrators."""
    if intake_nodes(current_user, clock.today()) == []:
        abort(403)


def _page(form, status: int = 200):
    return render_template("cases/import.html", form=form,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] / 1e6), status


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_cases():
    _may_import()
    form = CaseImportForm()
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    upload = form.file.data
    data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    try:
        check_size(data)
    except ImportFileError as exc:
        form.file.errors.append(str(exc))
        return _page(form, 400)
    name = (upload.filename or "ho-so-dang-do")[:200]
    job = enqueue(CHECK, owner=current_user, upload=(name, data),
                  title=_("Check of the file of cases %(name)s", name=name))
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/import/template")
@login_required
def cases_template():
    _may_import()
    data = COLUMNS.template(_("Cases"), _("Instructions"))
    return current_app.response_class(data, mimetype=FORMATS["xlsx"], headers={
        "Content-Disposition": 'attachment; filename="mau-ho-so-dang-do.xlsx"'})


@bp.post("/import/<job_id>/commit")
@login_required
def commit_import(job_id: str):
    check = db.session.get(Job, job_id)
    if check is None or check.owner_id != current_user.id or check.kind != CHECK:
        abort(404)
    _may_import()
    if not EmptyForm().validate_on_submit():
        abort(400)
    if check.state != JobState.done or not (check.summary or {}).get("ok"):
        flash(_("This file has not passed its check: nothing can be imported."), "error")
        return redirect(url_for("jobs.show", job_id=check.id))
    job = enqueue(COMMIT, owner=current_user, input_of=check,
                  title=_("Import of the file of cases %(name)s", name=check.input_name))
    return redirect(url_for("jobs.show", job_id=job.id))


# --- the jobs ---------------------------------------------------------------------------

def _owner(ctx: JobContext):
    """The owner, who may still enter cases on the day the job was asked for (each row's
    Party organisation is checked against his grants by the intake service)."""
    if intake_nodes(ctx.owner, ctx.today) == []:
        raise JobFailed(_("You may no longer enter cases."))
    return ctx.owner


@task(CHECK, read_only=True)
def check(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    try:
        report = check_cases(name, data, _owner(ctx), ctx.today, ctx.progress)
    except ImportFileError as exc:
        raise JobFailed(str(exc)) from exc
    return JobResult(summary=report.summary())


@task(COMMIT)
def commit(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    try:
        report = commit_cases(name, data, _owner(ctx), ctx.today, ctx.progress)
    except ImportFileError as exc:
        raise JobFailed(str(exc)) from exc
    except ImportRefused as refused:
        raise JobFailed(_("%(n)d rows are wrong now (cases or members changed since the "
                          "check): nothing was imported. Check the file again.",
                          n=refused.report.error_count)) from refused
    return JobResult(summary=report.summary())
