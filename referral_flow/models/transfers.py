"""A request to move one case to another union unit, Party organisation or host cell.

The side responsible for the case asks (an employer change, a house move), the receiving
side accepts or refuses; until then nothing about the case changes. An accepted request
points at the ``CaseMove`` it made (``services.placement.move_case``).
"""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, Enum, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .case import Case
from .moves import CaseMove
from .org import Organisation
from .user import User


class TransferKind(str, enum.Enum):
    employer = "employer"       # the candidate changed employer
    residence = "residence"     # the candidate moved house
    other = "other"


class TransferState(str, enum.Enum):
    requested = "requested"
    accepted = "accepted"
    refused = "refused"
    withdrawn = "withdrawn"


class TransferRequest(db.Model):
    __tablename__ = "transfer_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    kind: Mapped[TransferKind] = mapped_column(Enum(TransferKind, native_enum=False, length=12))
    state: Mapped[TransferState] = mapped_column(
        Enum(TransferState, native_enum=False, length=12), index=True,
        default=TransferState.requested)
    requested_on: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(Text)
    # Where the case goes: the nodes that change (None: this one stays).
    to_union_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    to_party_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    to_cell_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # The state the case was in when asked: a probationary member's transfer has a deadline.
    case_state: Mapped[str] = mapped_column(Text)
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answer_note: Mapped[str] = mapped_column(Text, default="")
    move_id: Mapped[int | None] = mapped_column(ForeignKey("case_move.id"))

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    to_union: Mapped[Organisation | None] = relationship(foreign_keys=[to_union_id])
    to_party: Mapped[Organisation | None] = relationship(foreign_keys=[to_party_id])
    to_cell: Mapped[Organisation | None] = relationship(foreign_keys=[to_cell_id])
    move: Mapped[CaseMove | None] = relationship()

    @property
    def pending(self) -> bool:
        return self.state == TransferState.requested
