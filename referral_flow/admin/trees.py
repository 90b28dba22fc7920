"""Both organisation trees out (one XLSX) and back in (a check job, then an import job:
all or nothing, ``imports.trees``). Administrators only (the blueprint's guard)."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..exports import FORMATS, export_response
from ..forms import EmptyForm
from ..imports.files import ImportFileError, check_size
from ..imports.roster import ImportRefused
from ..imports.trees import COLUMNS, check_trees, commit_trees, export_headers, export_rows
from ..jobs import JobContext, JobFailed, JobResult, enqueue, task
from ..models import Job, JobState
from ..services import audit
from .forms import TreeImportForm
from .routes import admin_required, bp

CHECK, COMMIT = "tree_check", "tree_commit"


@bp.get("/organisations/export")
@admin_required
def export_trees():
    response = export_response(export_headers(), export_rows(), "xlsx", "cay-to-chuc")
    audit.append(trigger="export", subject="organisation", actor_id=current_user.id,
                 data={"report": "trees", "format": "xlsx"})
    db.session.commit()
    return response


@bp.get("/organisations/template")
@admin_required
def tree_template():
    data = COLUMNS.template(_("Organisations"), _("Instructions"))
    return current_app.response_class(data, mimetype=FORMATS["xlsx"], headers={
        "Content-Disposition": 'attachment; filename="mau-cay-to-chuc.xlsx"'})


def _page(form, status: int = 200):
    return render_template("admin/trees_import.html", form=form,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] / 1e6), status


@bp.route("/organisations/import", methods=["GET", "POST"])
@admin_required
def import_trees():
    form = TreeImportForm()
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    upload = form.file.data
    data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    try:
        check_size(data)
    except ImportFileError as exc:
        form.file.errors.append(str(exc))
        return _page(form, 400)
    name = (upload.filename or "cay-to-chuc")[:200]
    job = enqueue(CHECK, owner=current_user, upload=(name, data),
                  title=_("Check of the organisation file %(name)s", name=name))
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/organisations/import/<job_id>/commit")
@admin_required
def commit_trees_import(job_id: str):
    check = db.session.get(Job, job_id)
    if check is None or check.owner_id != current_user.id or check.kind != CHECK:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if check.state != JobState.done or not (check.summary or {}).get("ok"):
        flash(_("This file has not passed its check: nothing can be imported."), "error")
        return redirect(url_for("jobs.show", job_id=check.id))
    job = enqueue(COMMIT, owner=current_user, input_of=check,
                  title=_("Import of the organisation file %(name)s", name=check.input_name))
    return redirect(url_for("jobs.show", job_id=job.id))


@task(CHECK, read_only=True)
def check(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    try:
        return JobResult(summary=check_trees(name, data, ctx.progress).summary())
    except ImportFileError as exc:
        raise JobFailed(str(exc)) from exc


@task(COMMIT)
def commit(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    try:
        return JobResult(summary=commit_trees(name, data, ctx.owner, ctx.progress).summary())
    except ImportFileError as exc:
        raise JobFailed(str(exc)) from exc
    except ImportRefused as refused:
        raise JobFailed(_("%(n)d rows are wrong now (the trees changed since the check): "
                          "nothing was imported. Check the file again.",
                          n=refused.report.error_count)) from refused
