"""The filled forms of cases (referral_flow/papers): one case's paper from its page, and the
paper of every case of the filtered list as a background job."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func

from ..extensions import db
from ..i18n import format_number
from ..jobs import enqueue
from ..models import Case
from ..papers.content import PAPERS
from ..papers.downloads import case_download
from ..security import get_case_or_404
from ..security.reauth import fresh_authentication_required
from ..workflow.states import STATES
from .forms import PapersForm
from .routes import _is_own_case, bp, filtered_cases

@bp.get("/<int:case_id>/papers/<key>.<fmt>")
@login_required
def paper(case_id: int, key: str, fmt: str):
    """A paper of the case, scoped as the case page is; a staff read is logged."""
    case = get_case_or_404(case_id, current_user)
    own = _is_own_case(current_user, case)
    return case_download(case, key, fmt, logged=not own)


@bp.post("/papers")
@login_required
@fresh_authentication_required
def papers_bulk():
    """The chosen paper of every case of the filtered list (``?state=&q=``), built in the
    background: its page shows the progress, then the file."""
    form = PapersForm()
    stmt, state, query = filtered_cases()
    back = url_for("cases.index", state=state or None, q=query or None)
    if not form.validate_on_submit():
        flash(_("Choose the paper and the format."), "error")
        return redirect(back)
    total = db.session.scalar(stmt.with_only_columns(func.count(Case.id)).order_by(None))
    if not total:
        flash(_("No case matches."), "error")
        return redirect(back)
    spec = PAPERS[form.paper.data]
    filters = {"state": state if state in STATES else "", "q": query}
    job = enqueue("papers_bulk", owner=current_user, title=_(
        "%(paper)s for %(n)s cases", paper=spec.label, n=format_number(total)),
        params={"list_name": "cases", "filters": filters, "key": spec.key,
                "fmt": form.fmt.data, "endpoint": "cases.papers_bulk", "total": total})
    return redirect(url_for("jobs.show", job_id=job.id))
