"""The download of a report (``?format=csv|xlsx``): its tables, logged in the audit trail
like the case exports (which report, which filters, how many rows; no personal data)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from flask import Response, request
from flask_login import current_user

from ..exports import Counted, Table, tables_response
from ..extensions import db
from ..services import audit


def report_export(report: str, name: str, tables: Sequence[Table], filters: dict) -> Response:
    """``tables`` as the download ``<name>.<format>`` (``exports.download_name``: the
    report, its year and period, never today's date); 400 for an unknown format (nothing
    logged); the audit event is committed."""
    fmt = request.args.get("format", "")
    counted = [Counted(t.rows) for t in tables]
    response = tables_response(
        [replace(t, rows=rows) for t, rows in zip(tables, counted, strict=True)], fmt, name)
    audit.append(trigger="export", subject="report_export", actor_id=current_user.id,
                 case_id=None, data={"report": report, "filters": filters, "format": fmt,
                                     "rows": sum(c.n for c in counted)})
    db.session.commit()
    return response
