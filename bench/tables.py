"""Pure helpers of the measuring scripts (bench/national.py, bench/growth.py): percentiles,
number formatting and markdown tables."""
from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks (as
    numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def num(value: float | int | None, digits: int = 1) -> str:
    """``value`` with thousands separators and ``digits`` decimals; "–" when missing."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    """A ratio to hello: three significant digits, however small."""
    return "–" if value is None else f"{value:.3g}"


def markdown(headers: Sequence[str], rows: Sequence[Sequence[object]],
             right: Sequence[bool] | None = None) -> str:
    """A markdown table; columns flagged in ``right`` are right-aligned (default: every
    column but the first)."""
    right = right if right is not None else [i > 0 for i in range(len(headers))]
    rule = ["---:" if r else "---" for r in right]
    lines = [headers, rule, *[[str(cell) for cell in row] for row in rows]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)
