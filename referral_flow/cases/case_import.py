"""Importing cases already under way from a spreadsheet: upload -> a check job (preview and
every error by row and column) -> "Import" -> a commit job that checks again and enters
all or nothing (``imports.cases``). For those who may use the intake screen
(``security.permissions.intake_nodes``); the jobs' pages are the jobs screen's, with this
area's result templates (``templates/jobs/result_case_*.html``)."""
from __future__ import annotations

from flask import abort, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..imports.cases import COLUMNS, check_cases, commit_cases
from ..imports.pages import job_report, start_check, start_commit, template_download, uploaded
from ..jobs import JobContext, JobFailed, JobResult, task
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
    upload = uploaded(form, "ho-so-dang-do")
    if upload is None:
        return _page(form, 400)
    return start_check(CHECK, upload, _("Check of the file of cases %(name)s", name=upload[0]))


@bp.get("/import/template")
@login_required
def cases_template():
    _may_import()
    return template_download(COLUMNS, _("Cases"), "mau-ho-so-dang-do")


@bp.post("/import/<job_id>/commit")
@login_required
def commit_import(job_id: str):
    _may_import()
    return start_commit(job_id, CHECK, COMMIT, lambda name: _(
        "Import of the file of cases %(name)s", name=name))


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
    return JobResult(summary=job_report(
        lambda: check_cases(name, data, _owner(ctx), ctx.today, ctx.progress)).summary())


@task(COMMIT)
def commit(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    return JobResult(summary=job_report(
        lambda: commit_cases(name, data, _owner(ctx), ctx.today, ctx.progress),
        lambda n: _("%(n)d rows are wrong now (cases or members changed since the check): "
                    "nothing was imported. Check the file again.", n=n)).summary())
