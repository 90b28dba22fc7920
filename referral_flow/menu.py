"""The top-level menu: each screen area registers its entry (with who sees it and whose
work's home it is) when its blueprint module is imported; the order shown is ``ORDER``,
never the order of imports. Kept apart from ``web`` so that blueprints importing it do not
import the module that registers them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .models import User

ORDER = ("inbox.index", "me.index", "cases.index", "members.index", "party_members.index",
         "classes.index", "workflow_view.index", "targets.index", "reports.index",
         "admin.index")


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: object
    visible: Callable[[User], bool]
    home: Callable[[User], bool] | None = None
    home_endpoint: str | None = None


NAV: list[NavEntry] = []


def nav_entry(endpoint: str, label, visible: Callable[[User], bool] = lambda user: True, *,
              home: Callable[[User], bool] | None = None, home_endpoint: str | None = None):
    """Register a top-level menu entry, shown to users for whom ``visible(user)`` holds.
    ``home(user)``: this is where that user's work is, so he lands here after logging in
    (on ``home_endpoint`` when the entry's work is on a page other than its first)."""
    if endpoint not in ORDER:
        raise ValueError(f"{endpoint} has no place in menu.ORDER")
    NAV[:] = sorted([e for e in NAV if e.endpoint != endpoint]
                    + [NavEntry(endpoint, label, visible, home, home_endpoint)],
                    key=lambda e: ORDER.index(e.endpoint))


def shown_to(user: User) -> list[NavEntry]:
    return [entry for entry in NAV if entry.visible(user)]


def landing_page(user: User) -> str:
    """Where a user starts: the first entry that is his work's home, else the first menu
    entry shown to him."""
    for entry in shown_to(user):
        if entry.home and entry.home(user):
            return entry.home_endpoint or entry.endpoint
    entries = shown_to(user)
    return entries[0].endpoint if entries else "cases.index"
