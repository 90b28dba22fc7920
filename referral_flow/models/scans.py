"""The signed and stamped scans of a case's papers: each one attached to the document row it
belongs to (a dossier document, or the paper a step recorded: 4A-KNĐ, certificate, 6-, 8-,
9-, 13-, 15-, 16-KNĐ). A document's scans are its versions, oldest first; the newest is the
one in force, the earlier ones stay (the table is append-only, like the audit trail).

The bytes are not in the database: they are a file named by their SHA-256 under
``SCANS_DIR`` (services/scans.py), outside the web root and never served statically.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Scan(db.Model):
    __tablename__ = "scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("referral_case.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # The type told by the content ("application/pdf", "image/jpeg", "image/png").
    media_type: Mapped[str] = mapped_column(String(40))
    # The name the file had on the uploader's computer: shown, never used to store it.
    original_name: Mapped[str] = mapped_column(String(200), default="")
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    uploaded_by = relationship("User", lazy="joined")
