"""The achievement figures and the cohort table per organisation node, kept as cases
change.

``CaseFact`` holds what one case contributes to one period's figures: it was introduced,
sent to a class or admitted in that period, where it stood at the period's end (its union
unit and that unit's path then: issue 10's placement), whether the member is a direct
production worker, and the unit's enterprise kind and Party organisation. ``PeriodTally``
sums the facts at every node of the path. ``services.kept_facts`` recomputes the facts of
the cases a transaction touched, before it commits, and moves the sums by the difference;
``flask tallies check`` recomputes both from scratch. The cohort table is kept the same way
(``CohortFact``, ``CohortTally``: services.cohort_tallies).

Periods are ``Y2026`` (the year, placed on 31 December), ``Q2026-1`` (a quarter, placed on
its last day) and ``M2026-03`` (a month of the year's table, placed on 31 December as the
year's figures are). A case counts once per period and measure, however many enrolments.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

MEASURES = ("introduced", "in_class", "admitted")


class CaseFact(db.Model):
    __tablename__ = "case_fact"
    __table_args__ = (Index("ix_case_fact_unit_period", "unit_id", "period"),)

    # No foreign key: a deleted case's facts are taken out of the sums by the service
    # when it sees the deletion, which a cascade would have done before it looked.
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(400))
    worker: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(12))        # enterprise kind, '' when not set
    party: Mapped[str] = mapped_column(String(1))        # 'y', 'n', '' when not recorded


class PeriodTally(db.Model):
    __tablename__ = "period_tally"

    node_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    worker: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    party: Mapped[str] = mapped_column(String(1), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class CohortFact(db.Model):
    """One case's part in its cohort (the year the union introduced it), placed where it
    stood on that year's last day: a row with ``state`` '' for its membership, and one per
    step it reached, went past by a bypass, or completed (``days``: working days spent in
    the step, all visits added up)."""
    __tablename__ = "cohort_fact"

    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(24), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(400))
    reached: Mapped[bool] = mapped_column(Boolean)
    skipped: Mapped[bool] = mapped_column(Boolean)
    days: Mapped[int | None] = mapped_column(Integer)


class CohortTally(db.Model):
    """The cohort table per node and year: ``measure`` 'size' (state ''), 'reached',
    'skipped', or 'days' with the cases that spent ``days`` working days in the step."""
    __tablename__ = "cohort_tally"

    node_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(24), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
