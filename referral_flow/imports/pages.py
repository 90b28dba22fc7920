"""What every import's pages and jobs share: the upload read within ``IMPORT_MAX_BYTES``, the
check job started, the commit job started from a check that passed (POST + CSRF, the
owner's own check only), the template download, and a report's failures as the job's."""
from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..exports import FORMATS
from ..forms import EmptyForm
from ..jobs import JobFailed, enqueue
from ..models import Job, JobState
from .columns import Columns
from .files import ImportFileError, check_size
from .report import ImportRefused, Report


def uploaded(form, default_name: str) -> tuple[str, bytes] | None:
    """The form's file (name, content); None, with the reason on the field, when too big."""
    upload = form.file.data
    data = upload.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    try:
        check_size(data)
    except ImportFileError as exc:
        form.file.errors.append(str(exc))
        return None
    return (upload.filename or default_name)[:200], data


def start_check(kind: str, upload: tuple[str, bytes], title: str,
                params: dict | None = None) -> Response:
    job = enqueue(kind, owner=current_user, params=params, upload=upload, title=title)
    return redirect(url_for("jobs.show", job_id=job.id))


def start_commit(job_id: str, check_kind: str, commit_kind: str,
                 title: Callable[[str], str]) -> Response:
    """The commit job of the user's own check ``job_id``, if that check passed; it reads the
    check's upload with the check's options."""
    check = db.session.get(Job, job_id)
    if check is None or check.owner_id != current_user.id or check.kind != check_kind:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if check.state != JobState.done or not (check.summary or {}).get("ok"):
        flash(_("This file has not passed its check: nothing can be imported."), "error")
        return redirect(url_for("jobs.show", job_id=check.id))
    job = enqueue(commit_kind, owner=current_user, params=check.params, input_of=check,
                  title=title(check.input_name))
    return redirect(url_for("jobs.show", job_id=job.id))


def template_download(columns: Columns, sheet: str, file_name: str) -> Response:
    data = columns.template(sheet, _("Instructions"))
    return current_app.response_class(data, mimetype=FORMATS["xlsx"], headers={
        "Content-Disposition": f'attachment; filename="{file_name}.xlsx"'})


def job_report(run: Callable[[], Report],
               changed: Callable[[int], str] | None = None) -> Report:
    """``run()``'s report; a file that cannot be read, or (a commit) rows that have become
    wrong since the check (``changed(n)`` says so), end the job as failed."""
    try:
        return run()
    except ImportFileError as exc:
        raise JobFailed(str(exc)) from exc
    except ImportRefused as refused:
        if changed is None:
            raise
        raise JobFailed(changed(refused.report.error_count)) from refused
