"""A case is one referral of one person; votes and documents are its step records."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (JSON, Boolean, Date, DateTime, Enum, ForeignKey, Index, Integer, String,
                        Text, false)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .member import Member
from .moves import CaseMove
from .org import Organisation
from .party_member import PartyMember


class Case(db.Model):
    __tablename__ = "referral_case"
    # Lists show the oldest step first: the index serves ORDER BY state_since, id LIMIT n.
    __table_args__ = (Index("ix_referral_case_state_since_id", "state_since", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    union_unit_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    party_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    host_cell_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    referral_year: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[str] = mapped_column(String(24), index=True, default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    state_since: Mapped[date] = mapped_column(Date)
    # key dates of the process (PROCESS.md §2)
    nominated_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    certified_on: Mapped[date | None] = mapped_column(Date)
    cell_resolution_on: Mapped[date | None] = mapped_column(Date)
    committee_resolution_on: Mapped[date | None] = mapped_column(Date)
    decision_extended: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_no: Mapped[str | None] = mapped_column(String(40))
    decision_on: Mapped[date | None] = mapped_column(Date)
    decision_received_on: Mapped[date | None] = mapped_column(Date)
    ceremony_on: Mapped[date | None] = mapped_column(Date)
    probation_ends_on: Mapped[date | None] = mapped_column(Date)
    recognition_cell_on: Mapped[date | None] = mapped_column(Date)
    recognition_decision_extended: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    official_from: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_at_state: Mapped[str | None] = mapped_column(String(24))
    close_reason: Mapped[str | None] = mapped_column(Text)
    # Re-admission (kết nạp lại, 294-QĐ/TW §3.5): the former membership, recorded on the
    # draft (workflow: ``record_readmission``) and checked before the nomination.
    readmission: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    former_admitted_on: Mapped[date | None] = mapped_column(Date)
    former_left_on: Mapped[date | None] = mapped_column(Date)
    former_exit: Mapped[str | None] = mapped_column(String(16))
    former_exit_ground: Mapped[str | None] = mapped_column(String(24))
    former_exit_reason: Mapped[str | None] = mapped_column(Text)
    conviction_cleared_on: Mapped[date | None] = mapped_column(Date)
    readmission_consent: Mapped[str | None] = mapped_column(String(200))
    former_readmitted: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    # Sent back for more papers: how many times the dossier was returned to the cell, and
    # what the latest return said is missing (kept until the cell meets on it again).
    dossier_returns: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    missing_items: Mapped[dict | None] = mapped_column(JSON)

    member: Mapped[Member] = relationship(lazy="joined", innerjoin=True)
    union_unit: Mapped[Organisation] = relationship(foreign_keys=[union_unit_id])
    party_org: Mapped[Organisation] = relationship(foreign_keys=[party_org_id])
    host_cell: Mapped[Organisation | None] = relationship(foreign_keys=[host_cell_id])
    helpers: Mapped[list[CaseHelper]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseHelper.id")
    votes: Mapped[list[Vote]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Vote.id")
    documents: Mapped[list[Document]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="Document.id")
    # Where the case was before each move (models/moves.py), oldest first; loaded once per
    # request however many rules read it.
    moves: Mapped[list[CaseMove]] = relationship(
        order_by="(CaseMove.moved_on, CaseMove.seq)", viewonly=True)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    def latest_document(self, form_code: str) -> Document | None:
        """The newest document of ``form_code`` still in force (not withdrawn)."""
        docs = self.documents_of(form_code)
        return docs[-1] if docs else None

    def documents_of(self, form_code: str, withdrawn: bool = False) -> list[Document]:
        """Documents of ``form_code`` in the order recorded; withdrawn ones only if asked."""
        return [d for d in self.documents
                if d.form_code == form_code and (withdrawn or d.withdrawn_on is None)]

    def latest_vote(self, kind: VoteKind) -> Vote | None:
        votes = [v for v in self.votes if v.kind == kind and v.voided_on is None]
        return votes[-1] if votes else None


class CaseHelper(db.Model):
    """An official Party member assigned to help the candidate: his name as it was on the
    day, and his row on the cell's roster."""
    __tablename__ = "case_helper"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    party_member_id: Mapped[int | None] = mapped_column(ForeignKey("party_member.id"),
                                                        index=True)
    case: Mapped[Case] = relationship(back_populates="helpers")
    party_member: Mapped[PartyMember | None] = relationship()


class VoteKind(str, enum.Enum):
    union_committee = "union_committee"            # 4A-KNĐ executive committee
    cell = "cell"                                  # 6-KNĐ
    committee = "committee"                        # 8-KNĐ
    recognition_cell = "recognition_cell"          # 13-KNĐ
    recognition_committee = "recognition_committee"  # 15-KNĐ
    recognition_decision = "recognition_decision"    # the competent body's, on 16-KNĐ
    standing_committee = "standing_committee"      # the decision's vote (9-KNĐ)
    removal_cell = "removal_cell"                  # the cell's resolution proposing removal
    undecided_cell = "undecided_cell"              # reached neither 2/3 (29/24 §4.2c)
    removal_decision = "removal_decision"          # the competent body's, removing


class Vote(db.Model):
    __tablename__ = "vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    kind: Mapped[VoteKind] = mapped_column(Enum(VoteKind, native_enum=False, length=24))
    held_on: Mapped[date] = mapped_column(Date)
    eligible: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    votes_for: Mapped[int] = mapped_column(Integer)
    votes_against: Mapped[int] = mapped_column(Integer)
    resolution_no: Mapped[str] = mapped_column(String(40), default="")
    # Set when a correction of the step that recorded the vote voided it.
    voided_on: Mapped[date | None] = mapped_column(Date)
    case: Mapped[Case] = relationship(back_populates="votes")


class Document(db.Model):
    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    form_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(40), default="")
    issued_on: Mapped[date] = mapped_column(Date)
    issuer: Mapped[str] = mapped_column(String(200), default="")
    valid_until: Mapped[date | None] = mapped_column(Date)
    # 2-KNĐ: the applicant's own history verified; the grassroots committee's certification
    # (signature and stamp), from which the history's validity runs.
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    certified_on: Mapped[date | None] = mapped_column(Date)
    # form-specific facts, e.g. an introducer's {"official": true, "months_together": 14}
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # A document is withdrawn (with the reason), never deleted; a corrected one is withdrawn
    # and its replacement points at it.
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    case: Mapped[Case] = relationship(back_populates="documents")

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None
