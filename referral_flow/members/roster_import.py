"""Importing a roster from the union's own spreadsheet: upload -> a check job (preview and
every error) -> "Import" -> a commit job that checks again and writes all or nothing
(``imports.roster``). The jobs run in the background (``jobs``); their pages are the jobs
screen's, with this area's result templates (``templates/jobs/result_roster_*.html``)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from limits import parse

from .. import clock
from ..extensions import limiter
from ..forms import options
from ..imports.pages import job_report, start_check, start_commit, template_download, uploaded
from ..imports.roster import COLUMNS, ELSEWHERE, RosterImport, check_roster, commit_roster
from ..jobs import JobContext, JobFailed, JobResult, task
from ..security.grants import chaired_units
from .forms import RosterImportForm
from .routes import bp, chair_units

CHECK, COMMIT = "roster_check", "roster_commit"


def _open_units(units):
    return [u for u in units if u.is_open_on(clock.today())]


def _page(form, units, status: int = 200):
    return render_template("members/import.html", form=form, units=units,
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] / 1e6), status


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_roster():
    units = _open_units(chair_units())
    if not units:
        flash(_("None of your units is open: no member can be added."), "error")
        return redirect(url_for("members.index"))
    form = RosterImportForm()
    form.unit_id.choices = options(
        [("", _("Several units: the file has a unit code column"))] if len(units) > 1 else [])
    form.unit_id.choices += options((u.id, f"{u.name} ({u.code})") for u in units)
    if request.method == "GET":
        form.unit_id.data = units[0].id if len(units) == 1 else request.args.get("unit", type=int)
        return _page(form, units)
    if not form.validate_on_submit():
        return _page(form, units, 400)
    upload = uploaded(form, "danh-sach")
    if upload is None:
        return _page(form, units, 400)
    unit_id = form.unit_id.data or (units[0].id if len(units) == 1 else None)
    return start_check(CHECK, upload, _("Check of the roster file %(name)s", name=upload[0]),
                       {"unit_id": unit_id, "existing": form.existing.data})


@bp.get("/import/template")
@login_required
def roster_template():
    chair_units()
    return template_download(COLUMNS, _("Members"), "mau-danh-sach-doan-vien")


@bp.post("/import/<job_id>/commit")
@login_required
def commit_import(job_id: str):
    return start_commit(job_id, CHECK, COMMIT, lambda name: _(
        "Import of the roster file %(name)s", name=name))


# --- the jobs ---------------------------------------------------------------------------

def _options(ctx: JobContext, unit_id: int | None, existing: str) -> RosterImport:
    """The owner's open units on the day the job was asked for (his grants may have ended
    since: then there is nothing he may import into)."""
    units = [u for u in chaired_units(ctx.owner, ctx.today) if u.is_open_on(ctx.today)]
    unit = next((u for u in units if u.id == unit_id), None)
    if not units or (unit_id is not None and unit is None):
        raise JobFailed(_("You may no longer add members to this unit."))
    return RosterImport(user=ctx.owner, units=units, unit=unit, existing=existing)


def _within_probe_limit(user_id: int, report) -> None:
    """F-4.10 for files: a roster file is no oracle of other units' members. The rows whose
    citizen ID belongs elsewhere count against ``CITIZEN_ID_PROBE_LIMIT`` per user, as
    answers on the member form do; past it the check says nothing about any row."""
    asked = report.counts.get(ELSEWHERE, 0)
    if not asked or not limiter.enabled:
        return
    limit = parse(current_app.config["CITIZEN_ID_PROBE_LIMIT"])
    if not limiter.limiter.hit(limit, "citizen-id-import", str(user_id), cost=asked):
        raise JobFailed(_("Too many citizen IDs in your files belong to members of other "
                          "units: nothing more can be checked about them today. If members "
                          "transferred to your unit, ask the upper-level union to transfer "
                          "their records."))


@task(CHECK, read_only=True)
def check(ctx: JobContext, *, unit_id: int | None, existing: str) -> JobResult:
    name, data = ctx.input_file()
    report = job_report(lambda: check_roster(name, data, _options(ctx, unit_id, existing),
                                             ctx.progress))
    _within_probe_limit(ctx.owner.id, report)
    return JobResult(summary=report.summary())


@task(COMMIT)
def commit(ctx: JobContext, *, unit_id: int | None, existing: str) -> JobResult:
    name, data = ctx.input_file()
    return JobResult(summary=job_report(
        lambda: commit_roster(name, data, _options(ctx, unit_id, existing), ctx.progress),
        lambda n: _("%(n)d rows are wrong now (the roster changed since the check): "
                    "nothing was imported. Check the file again.", n=n)).summary())
