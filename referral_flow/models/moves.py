"""Where a case was: every change of its union unit, Party organisation or host cell.

A case's own columns say where it is now; a ``CaseMove`` row keeps where it was before a
day. Transfers (employer change, house move) and reorganisations (a node merged or closed
into its successor) both write one, so a report for a past period can place each case
where it was then (``services.placement.union_unit_on``) and count it once.
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Enum, ForeignKey, Integer, Text
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
    moved_on: Mapped[date] = mapped_column(Date)
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
