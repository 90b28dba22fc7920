"""The case lists' exports (CSV, XLSX): one row per case of a scoped, filtered statement.

The statement comes from ``scoped_cases`` (so the export is exactly the user's scope) and
must already join ``Case.member``; the member and the three organisations are loaded from
those joins in the one SELECT, streamed in batches: the number of SQL statements does not
depend on the number of rows. Every export is logged in the audit trail.
"""
from __future__ import annotations

from collections.abc import Iterator

from flask import Response, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy.orm import contains_eager

from .labels import ENTERPRISE_LABELS
from .exports import Counted, download_name, export_response
from .extensions import db
from .models import Case
from .models.member import Gender
from .security.scope import CellOrg, PartyOrg, UnionOrg
from .services import audit, reads
from .workflow.states import STATES

BATCH = 500
PLAIN_COLUMNS = (0, 12)     # the case number and the referral year: no thousands separator


def headers() -> list[str]:
    return [_("Case no."), _("Full name"), _("Date of birth"), _("Citizen ID"), _("Gender"),
            _("Job"), _("Direct production worker"), _("Union unit"), _("Enterprise kind"),
            _("Party organisation in the enterprise"), _("Receiving Party organisation"),
            _("Host cell"), _("Referral year"), _("Step"), _("Since"), _("Nominated on"),
            _("Certificate date"), _("Cell resolution date"), _("Decision date"),
            _("Ceremony date"), _("Official member from")]


def _rows(cases, shown: list[int]) -> Iterator[list]:
    """The export's rows; the members they name are added to ``shown`` (for the read log)."""
    yes, no = _("Yes"), _("No")
    genders = {Gender.male: _("Male"), Gender.female: _("Female")}
    kinds = {k: str(v) for k, v in ENTERPRISE_LABELS.items()}
    steps = {k: str(v) for k, v in STATES.items()}
    for case in cases:
        m, unit = case.member, case.union_unit
        shown.append(m.id)
        yield [
            case.id, m.full_name, m.date_of_birth, m.citizen_id, genders.get(m.gender, ""),
            m.job or "", yes if m.direct_production else no, unit.name,
            kinds.get(unit.enterprise_kind.value, "") if unit.enterprise_kind else "",
            "" if unit.has_party_org is None else (yes if unit.has_party_org else no),
            case.party_org.name, case.host_cell.name if case.host_cell else "",
            case.referral_year, steps.get(case.state, case.state), case.state_since,
            case.nominated_on, case.certified_on, case.cell_resolution_on, case.decision_on,
            case.ceremony_on, case.official_from,
        ]


def file_name(*, unit=None, year: int | None = None, state: str = "",
              searched: bool = False) -> str:
    """The download's name from the list's filters, in Vietnamese without diacritics and
    never a date: ho-so, ho-so-2024, ho-so-<unit>-chi-bo-xet-de-nghi-ket-nap,
    ho-so-tim-kiem (a name search; the searched text stays out of the file name)."""
    with force_locale("vi"):
        step = str(STATES[state]) if state in STATES else None
    return download_name("ho-so", unit.name if unit is not None else None, year, step,
                         "tim-kiem" if searched else None)


def case_export(stmt: Select, list_name: str, file_name: str, filters: dict) -> Response:
    """``stmt`` (ordered) as the download ``?format=csv|xlsx`` named ``file_name``; logged
    and committed."""
    fmt = request.args.get("format", "")
    stmt = stmt.options(
        contains_eager(Case.member),
        contains_eager(Case.union_unit.of_type(UnionOrg)),
        contains_eager(Case.party_org.of_type(PartyOrg)),
        contains_eager(Case.host_cell.of_type(CellOrg)),
    ).execution_options(yield_per=BATCH)
    shown: list[int] = []
    rows = Counted(_rows(db.session.scalars(stmt), shown) if fmt in ("csv", "xlsx") else ())
    response = export_response(headers(), rows, fmt, file_name, plain=PLAIN_COLUMNS)
    # Exports of personal records are logged: which list, how many rows, which filters (the
    # audit trail), and whom they name (the read log, where the auditor finds each person).
    audit.append(trigger="export", subject="case_export", actor_id=current_user.id,
                 case_id=None, data={"list": list_name, "rows": rows.n, "filters": filters,
                                     "format": fmt})
    reads.record(actor_id=current_user.id, endpoint=request.endpoint or request.path,
                 filters=filters | {"format": fmt}, rows=rows.n, members=shown)
    db.session.commit()
    return response
