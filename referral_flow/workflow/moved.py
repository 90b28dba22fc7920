"""Documents that a transfer leaves stale ("cần bổ sung do chuyển sinh hoạt").

A computed rule, not a stored flag: a document is stale when a transfer of its case
(a ``CaseMove`` of kind ``transfer``) that changed a node the document speaks for took
effect after the document's date (``issued_on`` before the move's first day at the new
place). So the documents stay the case's rows, unchanged, and a document recorded again
from the new place (issued on or after the move) is good at once; nothing has to be
cleared, and a reorganisation (the same people under a renamed or merged node) never
makes a document stale.

What each form speaks for:

* the comments of the organisations where the candidate works and of the residence cell
  (5-KNĐ, and 12-KNĐ during probation): the union unit (the employer) and the host cell;
* the introducer's letter (3-KNĐ) and the helper's assessment (11-KNĐ): the host cell, whose
  official members introduce and help.

The union's resolution (4A-KNĐ) is the act of introduction that took place, recorded with
the nomination, and stays valid; the awareness-class certificate and the personal history
belong to the person, not to a place.
"""
from __future__ import annotations

from datetime import date

from ..models import Case, CaseMove, MoveKind

STALE_WHEN: dict[str, frozenset[str]] = {
    "3-KNĐ": frozenset({"cell"}),
    "5-KNĐ": frozenset({"union", "cell"}),
    "11-KNĐ": frozenset({"cell"}),
    "12-KNĐ": frozenset({"union", "cell"}),
}


def changed(move: CaseMove) -> frozenset[str]:
    """The nodes a move changed: ``union``, ``party``, ``cell``."""
    return frozenset(name for name, before, after in (
        ("union", move.from_union_id, move.to_union_id),
        ("party", move.from_party_id, move.to_party_id),
        ("cell", move.from_cell_id, move.to_cell_id)) if before != after)


def transfers_of(case: Case) -> list[CaseMove]:
    return [move for move in case.moves if move.kind == MoveKind.transfer]


def is_stale(form_code: str, issued_on: date, transfers: list[CaseMove]) -> bool:
    """Did a transfer after ``issued_on`` change a node the form speaks for?"""
    speaks_for = STALE_WHEN.get(form_code)
    return bool(speaks_for) and any(
        move.moved_on > issued_on and speaks_for & changed(move) for move in transfers)
