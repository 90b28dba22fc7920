"""A user's background jobs: each visible to its owner only (others get a 404, as for a
record out of scope). The page of a running job reloads itself every few seconds (no
script: the CSP allows none inline, and a refresh survives any browser)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.utils import secure_filename

from ..extensions import db
from ..jobs import progress
from ..models import Job, JobFile, JobFileRole

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
REFRESH_SECONDS = 2
LISTED = 50


def _own_job_or_404(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.owner_id != current_user.id:
        abort(404)
    return job


@bp.get("/")
@login_required
def index():
    jobs = db.session.scalars(select(Job).where(Job.owner_id == current_user.id)
                              .order_by(Job.created_at.desc()).limit(LISTED)).all()
    return render_template("jobs/index.html", jobs=jobs)


@bp.get("/<job_id>")
@login_required
def show(job_id: str):
    job = _own_job_or_404(job_id)
    done_total = None if job.finished else progress.read(job.id)
    return render_template("jobs/show.html", job=job, summary=job.summary or {},
                           done_total=done_total,
                           refresh=None if job.finished else REFRESH_SECONDS)


@bp.get("/<job_id>/download")
@login_required
def download(job_id: str):
    job = _own_job_or_404(job_id)
    data = db.session.scalar(select(JobFile.data).where(
        JobFile.job_id == job.id, JobFile.role == JobFileRole.result))
    if data is None:
        abort(404)
    return Response(data, mimetype=job.result_mimetype, headers={
        # Tasks name their files with exports.download_name (ASCII); made safe regardless.
        "Content-Disposition": f'attachment; filename="{secure_filename(job.result_name)}"',
        "Cache-Control": "no-store"})
