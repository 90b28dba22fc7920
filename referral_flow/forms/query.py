"""The search box of a list (``?q=``), cleaned the same way on every screen."""
from __future__ import annotations

import unicodedata

from flask import request

MAX_QUERY = 100


def query_text(name: str = "q") -> str:
    """The query-string argument ``name`` as text to search for: control characters
    (NUL among them, which PostgreSQL refuses) dropped, spaces collapsed, at most 100
    characters."""
    raw = request.args.get(name, "")
    text = "".join(ch for ch in raw if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())[:MAX_QUERY]
