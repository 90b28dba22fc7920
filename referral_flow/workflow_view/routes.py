"""The workflow page: the live diagram with the viewer's counts per state."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_babel import get_locale, lazy_gettext as _l, ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..i18n import format_number
from ..models import Case
from ..security import scoped_cases
from ..security.grants import is_staff
from ..services import tallies
from ..menu import nav_entry
from ..workflow.states import STATES
from ..replica import from_replica
from . import diagram

bp = Blueprint("workflow_view", __name__, url_prefix="/workflow")
nav_entry("workflow_view.index", _l("Workflow"), is_staff)


def state_counts(user) -> dict[str, int]:
    """Cases per state in ``user``'s scope: the scope's tally, else one GROUP BY through
    ``scoped_cases``."""
    found = tallies.scope_counts(user)
    if found is None:
        stmt = scoped_cases(user, clock.today(), select(Case.state, func.count(Case.id)))
        found = dict(db.session.execute(stmt.group_by(Case.state)).all())
    counts = {state: 0 for state in STATES}
    for state, n in found.items():
        if state in counts:
            counts[state] = int(n)
    return counts


@bp.get("/")
@login_required
@from_replica
def index():
    if not is_staff(current_user):
        abort(403)
    counts = state_counts(current_user)
    nodes, edges = diagram.graph(counts)
    hrefs = {n.id: url_for("cases.index", state=n.id) for n in nodes}
    count_text = {n.id: ngettext("%(n)s case", "%(n)s cases", n.count,
                                 n=format_number(n.count)) for n in nodes}
    svg = None
    try:
        svg = Markup(diagram.render_svg(str(get_locale()), counts, hrefs, count_text))
    except diagram.DiagramUnavailable as exc:
        current_app.logger.warning("workflow diagram unavailable: %s", exc)
    labels = {n.id: n.label for n in nodes}
    return render_template("workflow/index.html", svg=svg, nodes=nodes, edges=edges,
                           hrefs=hrefs, labels=labels, total=sum(counts.values()))
