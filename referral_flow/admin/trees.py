"""Both organisation trees out (one XLSX) and back in (a check job, then an import job:
all or nothing, ``imports.trees``). Administrators only (the blueprint's guard)."""
from __future__ import annotations

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..exports import export_response
from ..imports.pages import job_report, start_check, start_commit, template_download, uploaded
from ..imports.trees import COLUMNS, check_trees, commit_trees, export_headers, export_rows
from ..jobs import JobContext, JobResult, task
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
    return template_download(COLUMNS, _("Organisations"), "mau-cay-to-chuc")


def _page(form, status: int = 200):
    return render_template("admin/trees_import.html", form=form,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] / 1e6), status


@bp.route("/organisations/import", methods=["GET", "POST"])
@admin_required
def import_trees():
    form = TreeImportForm()
    if not form.validate_on_submit():
        return _page(form, 400 if form.is_submitted() else 200)
    upload = uploaded(form, "cay-to-chuc")
    if upload is None:
        return _page(form, 400)
    return start_check(CHECK, upload, _("Check of the organisation file %(name)s",
                                        name=upload[0]))


@bp.post("/organisations/import/<job_id>/commit")
@admin_required
def commit_trees_import(job_id: str):
    return start_commit(job_id, CHECK, COMMIT, lambda name: _(
        "Import of the organisation file %(name)s", name=name))


@task(CHECK, read_only=True)
def check(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    return JobResult(summary=job_report(
        lambda: check_trees(name, data, ctx.progress)).summary())


@task(COMMIT)
def commit(ctx: JobContext) -> JobResult:
    name, data = ctx.input_file()
    return JobResult(summary=job_report(
        lambda: commit_trees(name, data, ctx.owner, ctx.progress),
        lambda n: _("%(n)d rows are wrong now (the trees changed since the check): "
                    "nothing was imported. Check the file again.", n=n)).summary())
