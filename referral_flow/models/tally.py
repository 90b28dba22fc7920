"""Cases per organisation node and state, kept by the database itself.

A case counts on the union side at its union unit and every ancestor of it, and on the
Party side at every node above its receiving organisation or its host cell (once, when
both are under the same node): the count a grant at that node sees. Triggers on
``referral_case`` (migration 0025) keep the rows in the same transaction as every write
of a case, whatever writes it; ``services.tallies`` moves them with a re-parented subtree
and recomputes them for ``flask tallies check``.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

UNION, PARTY = "union", "party"


class CaseTally(db.Model):
    __tablename__ = "case_tally"

    side: Mapped[str] = mapped_column(String(5), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
