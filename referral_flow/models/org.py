"""The two organisation trees (union and Party) in one table.

Subtrees are found with a materialised path (``/1/4/17/``): ``path LIKE prefix%``
is one indexed query, never recursion in Python. Nodes are closed, never deleted.
"""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Tree(str, enum.Enum):
    union = "union"
    party = "party"


class UnionKind(str, enum.Enum):
    national = "national"
    federation = "federation"        # LĐLĐ tỉnh / central sector union
    upper = "upper"                  # union directly above grassroots
    grassroots = "grassroots"        # CĐCS


class PartyKind(str, enum.Enum):
    provincial = "provincial"
    bloc = "bloc"                    # Đảng ủy Khối
    commune = "commune"              # đảng ủy xã / phường
    grassroots_committee = "grassroots_committee"
    grassroots_cell = "grassroots_cell"   # chi bộ cơ sở
    cell = "cell"                    # chi bộ


class EnterpriseKind(str, enum.Enum):
    public = "public"
    state = "state"
    non_state = "non_state"
    fdi = "fdi"


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    tree: Mapped[Tree] = mapped_column(Enum(Tree, native_enum=False, length=10), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    path: Mapped[str] = mapped_column(String(400), index=True, default="")
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # union grassroots (CĐCS)
    enterprise_kind: Mapped[EnterpriseKind | None] = mapped_column(
        Enum(EnterpriseKind, native_enum=False, length=12))
    has_party_org: Mapped[bool | None] = mapped_column(Boolean)
    has_youth_union: Mapped[bool] = mapped_column(Boolean, default=False)
    receiving_party_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # party capabilities
    runs_classes: Mapped[bool] = mapped_column(Boolean, default=False)
    competent_body: Mapped[bool] = mapped_column(Boolean, default=False)
    grassroots_committee: Mapped[bool] = mapped_column(Boolean, default=False)
    # A grassroots committee authorised to admit (06-HD/TW §3.7a): it decides itself, with
    # 2/3 of all its members, without proposing to the competent body (8-KNĐ).
    authorised_to_admit: Mapped[bool] = mapped_column(Boolean, default=False,
                                                      server_default=false())
    official_members: Mapped[int | None] = mapped_column(Integer)
    # A cell whose roster (party_member) is kept: official_members follows it.
    roster_kept: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    committee_members: Mapped[int | None] = mapped_column(Integer)
    # Set when the node is closed into another (a merger, a reorganisation): the node that
    # carries its open work from ``closed_on``.
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id])
    receiving_party: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[receiving_party_id])
    successor: Mapped[Organisation | None] = relationship(
        remote_side=[id], foreign_keys=[successor_id])

    @property
    def is_grassroots_cell(self) -> bool:
        return self.kind == PartyKind.grassroots_cell.value

    def is_open_on(self, day: date) -> bool:
        return self.opened_on <= day and (self.closed_on is None or day < self.closed_on)

    def place_under(self, parent: Organisation | None) -> None:
        """Set parent and path; the node must have an id (flush first)."""
        self.parent = parent
        self.path = f"{parent.path if parent else '/'}{self.id}/"

    def contains(self, other: Organisation | None) -> bool:
        return other is not None and other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<Organisation {self.code}>"
