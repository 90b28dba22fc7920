"""Page maths shared by every list: which page to show of how many, and its slice (by
OFFSET, or for the long lists by keyset: from the edge of the page before, so that page 900
of a nation's cases costs what page 1 does)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask import request
from sqlalchemy import ColumnElement, Select, tuple_


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    per_page: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def slice(self, stmt: Select) -> Select:
        """``stmt`` limited to this page's rows."""
        return stmt.limit(self.per_page).offset(self.offset)


def page_arg(raw=None, name: str = "page") -> int:
    """The page asked for (``?page=`` unless ``raw`` is given); 1 for anything that is not
    a positive whole number of a sensible length."""
    raw = request.args.get(name) if raw is None else raw
    text = str(raw).strip() if raw is not None else ""
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return max(int(text), 1)
    return 1


def pager(total: int, per_page: int, raw=None, name: str = "page") -> Pager:
    """A page past the end shows the last page; a huge ``?page=`` never reaches the
    OFFSET."""
    pages = max((total + per_page - 1) // per_page, 1)
    return Pager(min(page_arg(raw, name), pages), pages, per_page, total)


Edge = tuple[date, int]


def edge_arg(name: str) -> Edge | None:
    """``?after=`` / ``?before=``: a row's sort date and id (``2026-03-02.1234``); None for
    anything else."""
    raw = request.args.get(name, "")
    day, _, ident = raw.partition(".")
    if not (ident.isascii() and ident.isdigit() and len(ident) <= 10):
        return None
    try:
        return date.fromisoformat(day), int(ident)
    except ValueError:
        return None


def edge_text(day: date, ident: int) -> str:
    return f"{day.isoformat()}.{ident}"


def keyset_rows(run: Callable[[Select], list], stmt: Select,
                key: tuple[ColumnElement, ColumnElement], paging: Pager) -> list:
    """This page's rows of ``stmt`` sorted by ``key`` (a date column, then the id), fetched
    by ``run``: after the edge ``?after=`` or before ``?before=`` when the link carries one
    (an index walk from there), else by OFFSET (a page number typed in)."""
    after, before = edge_arg("after"), edge_arg("before")
    if after is not None:
        return run(stmt.where(tuple_(*key) > tuple_(*after)).order_by(*key)
                   .limit(paging.per_page))
    if before is not None:
        return run(stmt.where(tuple_(*key) < tuple_(*before))
                   .order_by(*(k.desc() for k in key)).limit(paging.per_page))[::-1]
    return run(paging.slice(stmt.order_by(*key)))


def edges(rows: list, paging: Pager, edge_of: Callable[[object], Edge]
          ) -> tuple[str | None, str | None]:
    """The edges the pager's links carry: before this page's first row, after its last."""
    if not rows:
        return None, None
    return (edge_text(*edge_of(rows[0])) if paging.page > 1 else None,
            edge_text(*edge_of(rows[-1])) if paging.page < paging.pages else None)
