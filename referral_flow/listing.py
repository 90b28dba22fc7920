"""Query-string helpers of list pages: the search text and the page number."""
from __future__ import annotations

import unicodedata

from flask import request


def clean_query(raw: str) -> str:
    # Control characters (NUL among them, which PostgreSQL refuses) never match a name.
    text = "".join(ch for ch in raw if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:100]


def page_of(total: int, per_page: int) -> tuple[int, int]:
    """(page, pages) from ``?page=``."""
    pages = max((total + per_page - 1) // per_page, 1)
    page = request.args.get("page", 1, type=int) or 1
    # A page past the end shows the last one; a huge ?page= must not overflow the OFFSET.
    return min(max(page, 1), pages), pages
