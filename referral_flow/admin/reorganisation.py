"""The "Reorganise" section of a node's page: move it under another parent, merge other
units into it, close it into a successor; each with an effective date and a reason. The
rules and effects are in services/reorganisation.py (a future date is refused)."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from .. import clock
from ..services import reorganisation as svc
from . import forms as f
from . import organisations as pages     # the node's page (module: no import-order knot)
from .routes import admin_required, bp


def _done(outcome: svc.Outcome) -> tuple[str, object]:
    counts = outcome.counts
    return _("The reorganisation was recorded: %(cases)d open cases, %(grants)d role grants "
             "and %(targets)d targets follow %(name)s; finished cases and history stay where "
             "they were.", cases=counts["open cases"],
             grants=counts["grants added"] + counts["grants re-pointed"],
             targets=counts["targets"], name=outcome.node.name), outcome.node


def _reorganise(node_id: int, form_class, section: str, operate):
    """The node's reorganisation ``operate(node, form, on=, today=, reason=, actor=)`` from
    its section's form, through the node page's ``node_action``."""
    node = pages.node_or_404(node_id)
    form = form_class()
    return pages.node_action(node, form, section, lambda: operate(
        node, form, on=form.effective_on.data, today=clock.today(), reason=form.reason.data,
        actor=current_user), _done)


@bp.post("/organisations/<int:node_id>/move")
@admin_required
def move_node(node_id: int):
    return _reorganise(node_id, f.MoveNodeForm, "move", lambda node, form, **when:
                       svc.move_node(node, form.parent_code.data, **when))


@bp.post("/organisations/<int:node_id>/merge")
@admin_required
def merge_into(node_id: int):
    """Merge the units named in the form into this node (their successor)."""
    return _reorganise(node_id, f.MergeForm, "merge", lambda node, form, **when:
                       svc.merge(f.split_codes(form.codes.data), node, **when))


@bp.post("/organisations/<int:node_id>/close-into")
@admin_required
def close_into(node_id: int):
    return _reorganise(node_id, f.SuccessorForm, "successor", lambda node, form, **when:
                       svc.close_with_successor(node, form.successor_code.data, **when))
