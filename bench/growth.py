"""Growth table from several runs of bench/national.py (--json): page × scale.

    python bench/growth.py pg_1x.json pg_10x.json pg_national.json

Per scale: the single-request p95 server time (ms) and the ratio to hello under load; the
last column is the growth of the p95 from the first file's scale to the last's. Pages are
matched by label (the role names come from bench/setup.py)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tables import markdown, num, ratio


def growth_table(runs: list[dict]) -> str:
    """The markdown table of ``runs`` (national.py results, in scale order)."""
    labels: list[str] = []
    by_scale = []
    for run in runs:
        pages = {p["label"]: p for p in run["pages"]}
        labels += [label for label in pages if label not in labels]
        by_scale.append(pages)
    headers = ["page (user)"]
    for run in runs:
        scale = run["meta"]["scale"]
        headers += [f"{scale} p95 ms", f"{scale} ratio"]
    headers.append(f"p95 {runs[0]['meta']['scale']} → {runs[-1]['meta']['scale']}")
    rows = []
    for label in labels:
        cells = [p.get(label, {}) for p in by_scale]
        row = [label]
        for page in cells:
            row += [num(page.get("server_p95_ms")), ratio(page.get("ratio"))]
        first, last = cells[0].get("server_p95_ms"), cells[-1].get("server_p95_ms")
        row.append(f"{last / first:.1f}×" if first and last else "–")
        rows.append(row)
    return markdown(headers, rows)


def main(argv: list[str] | None = None) -> int:
    files = argv if argv is not None else sys.argv[1:]
    if not files:
        print(__doc__)
        return 2
    print(growth_table([json.loads(Path(f).read_text()) for f in files]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
