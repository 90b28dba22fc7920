"""The "Reorganise" section of a node's page: move it under another parent, merge other
units into it, close it into a successor; each with an effective date and a reason. The
rules and effects are in services/reorganisation.py (a future date is refused)."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..extensions import db
from ..services import reorganisation as svc
from ..services.refused import Refused
from . import forms as f
from . import organisations as pages     # the node's page (module: no import-order knot)
from .routes import admin_required, bp, show_refusal


def _done(outcome: svc.Outcome):
    db.session.commit()
    counts = outcome.counts
    flash(_("The reorganisation was recorded: %(cases)d open cases, %(grants)d role grants and "
            "%(targets)d targets follow %(name)s; finished cases and history stay where they "
            "were.", cases=counts["open cases"],
            grants=counts["grants added"] + counts["grants re-pointed"],
            targets=counts["targets"], name=outcome.node.name), "info")
    return redirect(url_for("admin.node", node_id=outcome.node.id))


@bp.post("/organisations/<int:node_id>/move")
@admin_required
def move_node(node_id: int):
    node = pages.node_or_404(node_id)
    form = f.MoveNodeForm()
    if form.validate_on_submit():
        try:
            outcome = svc.move_node(node, form.parent_code.data,
                                    on=form.effective_on.data, today=clock.today(),
                                    reason=form.reason.data, actor=current_user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            return _done(outcome)
    return pages.node_page(node, ("move", form), 400)


@bp.post("/organisations/<int:node_id>/merge")
@admin_required
def merge_into(node_id: int):
    """Merge the units named in the form into this node (their successor)."""
    node = pages.node_or_404(node_id)
    form = f.MergeForm()
    if form.validate_on_submit():
        try:
            outcome = svc.merge(f.split_codes(form.codes.data), node,
                                on=form.effective_on.data, today=clock.today(),
                                reason=form.reason.data, actor=current_user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            return _done(outcome)
    return pages.node_page(node, ("merge", form), 400)


@bp.post("/organisations/<int:node_id>/close-into")
@admin_required
def close_into(node_id: int):
    node = pages.node_or_404(node_id)
    form = f.SuccessorForm()
    if form.validate_on_submit():
        try:
            outcome = svc.close_with_successor(node, form.successor_code.data,
                                               on=form.effective_on.data, today=clock.today(),
                                               reason=form.reason.data, actor=current_user)
        except Refused as refused:
            show_refusal(form, refused)
        else:
            return _done(outcome)
    return pages.node_page(node, ("successor", form), 400)
