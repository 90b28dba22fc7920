"""The download of a report (``?format=csv|xlsx``): its tables, logged in the audit trail
like the case exports (which report, which filters, how many rows; no personal data)."""
from __future__ import annotations

from collections.abc import Sequence

from flask import Response, request
from flask_login import current_user

from ..exports import Counted, Table, tables_response
from ..extensions import db
from ..services import audit


def report_export(report: str, tables: Sequence[Table], filters: dict) -> Response:
    """``tables`` as the download ``<report>-YYYY-MM-DD.<format>``; 400 for an unknown
    format (nothing logged); the audit event is committed."""
    fmt = request.args.get("format", "")
    counted = [Counted(t.rows) for t in tables]
    response = tables_response([Table(t.title, t.headers, rows)
                                for t, rows in zip(tables, counted)], fmt, report)
    audit.append(trigger="export", subject="report_export", actor_id=current_user.id,
                 case_id=None, data={"report": report, "filters": filters, "format": fmt,
                                     "rows": sum(c.n for c in counted)})
    db.session.commit()
    return response
