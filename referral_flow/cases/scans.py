"""The signed paper comes back: upload the scan of a case's document, download any of its
versions (services/scans.py). Both are scoped like the case page; a staff download is
logged as a read of the member's record, like the page."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from ..extensions import db
from ..i18n import format_megabytes
from ..models import Scan
from ..read_log import log_page_read
from ..security import get_case_or_404
from ..security.scope import MAX_ID
from ..services import scans
from ..workflow.errors import WorkflowError
from .forms import ScanForm
from .routes import _detail_page, _is_own_case, _slug

bp = Blueprint("scans", __name__, url_prefix="/cases")


class ScanTooLarge(scans.ScanRefused):
    http_status = 413


def too_large() -> str:
    """The refusal of a scan over the limit, naming it (the smaller of the scan limit and
    the request limit, which Flask enforces before the form is read)."""
    limit = min(current_app.config["SCAN_MAX_BYTES"], current_app.config["MAX_CONTENT_LENGTH"])
    return _("The file is too large: a scan may have at most %(limit)s MB. Scan the paper "
             "again at 150 to 300 dpi, or in black and white, and upload it again.",
             limit=format_megabytes(limit))


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(_error):
    """A scan over MAX_CONTENT_LENGTH is refused before its form is read: the same message
    as one over SCAN_MAX_BYTES, with the way back to the case."""
    db.session.rollback()
    case_url = url_for("cases.detail", case_id=(request.view_args or {}).get("case_id", 0))
    return render_template("errors/error.html", code=413, message=too_large(),
                           reload=case_url), 413


@bp.post("/<int:case_id>/documents/<int:document_id>/scan")
@login_required
def upload(case_id: int, document_id: int):
    """Attach a signed scan to the case's document; an earlier one stays in its history."""
    case = get_case_or_404(case_id, current_user)
    document = next((d for d in case.documents if d.id == document_id), None)
    if document is None:
        abort(404)
    if not scans.may_attach(current_user, case, document):
        abort(403)
    prefix = f"scan{document_id}"
    form = ScanForm(prefix=prefix)
    if not form.validate_on_submit():
        return _detail_page(case, scans={prefix: form}, failed=prefix), 400
    upload = form.file.data
    limit = current_app.config["SCAN_MAX_BYTES"]
    data = upload.read(limit + 1)
    try:
        if len(data) > limit:
            raise ScanTooLarge(too_large())
        scans.attach(case, document_id, current_user, upload.filename or "", data)
        db.session.commit()
    except WorkflowError as exc:
        db.session.rollback()
        case = get_case_or_404(case.id, current_user)
        return _detail_page(case, scans={prefix: form}, error=str(exc),
                            failed=prefix), exc.http_status
    flash(_("The signed scan was saved."), "info")
    return redirect(url_for("cases.detail", case_id=case.id)
                    + f"#doc-{_slug(document.form_code)}")


@bp.get("/<int:case_id>/scans/<int:scan_id>")
@login_required
def download(case_id: int, scan_id: int):
    """One version of a scan, as an attachment of its real type."""
    case = get_case_or_404(case_id, current_user)
    scan = db.session.get(Scan, scan_id) if 0 < scan_id <= MAX_ID else None
    if scan is None or scan.case_id != case.id:
        abort(404)
    document = next(d for d in case.documents if d.id == scan.document_id)
    version = db.session.scalar(select(func.count(Scan.id)).where(
        Scan.document_id == document.id, Scan.id <= scan.id))
    try:
        data = scans.read(scan)
    except scans.ScanMissing as exc:
        current_app.logger.error("scan %s of case %s: %s (SHA-256 %s)", scan.id, case.id,
                                 type(exc).__name__, scan.sha256)
        flash(str(exc), "error")
        return redirect(url_for("cases.detail", case_id=case.id))
    response = send_file(io.BytesIO(data), mimetype=scan.media_type, as_attachment=True,
                         download_name=scans.download_name(scan, document, version))
    if not _is_own_case(current_user, case):
        # Reads of a personal record by staff are logged (PROCESS.md §6), like the page.
        log_page_read(members=[case.member_id], rows=1)
    return response
