"""Page maths shared by every list: which page to show of how many, and its slice."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request
from sqlalchemy import Select


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
