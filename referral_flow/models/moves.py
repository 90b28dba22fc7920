"""Where a case was, and where an organisation stood.

A case's own columns say where it is now; a ``CaseMove`` row keeps where it was before a
day. Transfers (employer change, house move) and reorganisations (a node merged or closed
into its successor) both write one, so a report for a past period can place each case
where it was then (``services.placement.union_unit_on``) and count it once.

A node's ``parent_id`` and ``path`` say where it stands now; an ``OrganisationMove`` row
keeps where it stood before a day, one per node whose path a reorganisation changed (the
node moved and every node of its subtree), so a report for a past period rolls nodes up by
the tree of that period (``security.tree_on.path_on``).
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class MoveKind(str, enum.Enum):
    transfer = "transfer"                  # one case, on request, accepted by the receiver
    reorganisation = "reorganisation"      # every open case of a node, to its successor


class CaseMove(db.Model):
    __tablename__ = "case_move"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    # The first day at the new place: the case was at the ``from_*`` nodes before it.
    moved_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[MoveKind] = mapped_column(Enum(MoveKind, native_enum=False, length=16))
    from_union_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    to_union_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    from_party_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    to_party_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    from_cell_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    to_cell_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Orders moves of one case on the same day.
    seq: Mapped[int] = mapped_column(Integer, default=0)


class OrganisationMove(db.Model):
    __tablename__ = "organisation_move"
    # A node's first move after a day: one index probe per node a report rolls up.
    __table_args__ = (Index("ix_organisation_move_node_id_moved_on", "node_id", "moved_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    # The first day at the new place: the node stood at ``from_path`` before it.
    moved_on: Mapped[date] = mapped_column(Date, index=True)
    from_parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    from_path: Mapped[str] = mapped_column(String(400))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
