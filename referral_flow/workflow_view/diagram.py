"""The workflow diagram, generated from the shared pytransitions machine's own definition.

``graph(counts)`` walks ``MACHINE.states`` and ``MACHINE.events`` (never a hand-kept list)
into nodes and edges; ``dot_source()`` writes them as Graphviz DOT; ``render_svg()`` runs
Debian's ``dot`` binary (``apt-get install graphviz``) and sanitises its SVG for inline use
under the app's Content-Security-Policy. Without ``dot`` the page shows the same graph as
tables (``DiagramUnavailable``).
"""
from __future__ import annotations

import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from ..workflow import transitions as table
from ..workflow.machine import MACHINE
from ..workflow.states import FINAL, STATES

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

DOT_TIMEOUT = 10            # seconds; dot takes ~100 ms for this graph
BROAD = 4                   # a trigger leaving this many states or more is drawn dashed, unlabelled


class DiagramUnavailable(Exception):
    """``dot`` is missing or failed; the page falls back to tables."""


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    count: int
    final: bool


@dataclass(frozen=True)
class Edge:
    trigger: str
    source: str
    dest: str
    label: str
    broad: bool             # one of many sources (e.g. withdrawal): drawn light, no text


def graph(counts: dict[str, int]) -> tuple[list[Node], list[Edge]]:
    """Nodes and edges of the live machine, labelled in the current locale."""
    nodes = [Node(name, str(STATES[name]), int(counts.get(name, 0)), name in FINAL)
             for name in MACHINE.states]
    edges = []
    for trigger, event in MACHINE.events.items():
        sources = [s for s, rows in event.transitions.items() if rows]
        label = str(table.spec(trigger).label)
        seen = set()
        for source in sources:
            for row in event.transitions[source]:
                dest = row.dest if row.dest is not None else source   # internal = loop
                if (source, dest) in seen:
                    continue
                seen.add((source, dest))
                edges.append(Edge(trigger, source, dest, label, len(sources) >= BROAD))
    return nodes, edges


def _q(text: str) -> str:
    """A DOT double-quoted string (the label text is ours, escaped anyway)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _wrapped(text: str, width: int) -> str:
    """Wrap for a DOT label: lines joined by DOT's centred line break ``\\n``."""
    lines = textwrap.wrap(str(text), width) or [""]
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"')
                            for line in lines) + '"'


def dot_source(nodes: list[Node], edges: list[Edge], href: dict[str, str],
               count_text: dict[str, str]) -> str:
    out = [
        "digraph workflow {",
        '  graph [rankdir=TB, nodesep=0.15, ranksep=0.45, bgcolor="transparent",'
        ' fontname="Helvetica"];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=13,'
        ' color="#8c96a3", fillcolor="#ffffff", fontcolor="#1d2430", margin="0.15,0.06"];',
        '  edge [fontname="Helvetica", fontsize=11, color="#5b6573", fontcolor="#3b4553",'
        ' arrowsize=0.7];',
    ]
    for n in nodes:
        fill = "#f1e3e3" if n.final and n.id != "official" else (
            "#dff2e5" if n.id == "official" else ("#e4eefb" if n.count else "#ffffff"))
        label = _wrapped(n.label, 24)[:-1] + "\\n" + _q(count_text[n.id])[1:]
        out.append(
            f"  {_q(n.id)} [id={_q('state-' + n.id)}, label={label}, URL={_q(href[n.id])},"
            f" target=\"_top\", tooltip={_q(n.label + ' (' + count_text[n.id] + ')')},"
            f" fillcolor={_q(fill)}{', penwidth=2' if n.count else ''}];")
    for e in edges:
        attrs = [f"id={_q(f'edge-{e.trigger}-{e.source}-{e.dest}')}",
                 f"tooltip={_q(e.label)}"]
        if e.broad:
            attrs += ['style="dashed"', 'color="#b0b7c2"', "constraint=false"]
        else:
            attrs.append(f"label={_wrapped(e.label, 22)}")
        out.append(f"  {_q(e.source)} -> {_q(e.dest)} [{', '.join(attrs)}];")
    # The ends reached only from many steps (withdrawal, death, leaving …) come by dashed
    # edges that do not rank them: keep them on the bottom row, else they float to the top
    # and stretch the drawing.
    ranked = {e.dest for e in edges if not e.broad}
    ends = " ".join(_q(n.id) for n in nodes if n.final and n.id not in ranked)
    if ends:
        out.append(f"  {{ rank=sink; {ends} }}")
    out.append("}")
    return "\n".join(out) + "\n"


def dot_binary() -> str | None:
    return shutil.which("dot")


# Attributes dot may emit that we keep; everything else (style=, on*=, …) is dropped.
_ALLOWED_ATTRS = {
    "id", "class", "width", "height", "viewBox", "transform", "points", "d", "x", "y",
    "cx", "cy", "rx", "ry", "x1", "y1", "x2", "y2", "fill", "stroke", "stroke-width",
    "stroke-dasharray", "text-anchor", "font-family", "font-size", "font-weight",
    "font-style", "preserveAspectRatio", "fill-opacity", "stroke-opacity",
    f"{{{XLINK_NS}}}href", f"{{{XLINK_NS}}}title", "target",
}
_ALLOWED_TAGS = {f"{{{SVG_NS}}}{t}" for t in (
    "svg", "g", "title", "a", "polygon", "polyline", "path", "ellipse", "text", "line",
    "rect", "circle")}


def sanitise(svg: bytes, allowed_hrefs: set[str]) -> str:
    """Keep only plain drawing elements and attributes; links only to ``allowed_hrefs``."""
    root = ET.fromstring(svg)       # dot's DOCTYPE names no entities; nothing to expand

    def clean(el: ET.Element) -> None:
        for child in list(el):
            if child.tag not in _ALLOWED_TAGS:
                el.remove(child)
                continue
            clean(child)
        for attr in list(el.attrib):
            if attr not in _ALLOWED_ATTRS:
                del el.attrib[attr]
        href = el.attrib.get(f"{{{XLINK_NS}}}href")
        if href is not None:
            if href in allowed_hrefs:
                el.set("href", href)        # SVG 2 spelling too
            else:
                del el.attrib[f"{{{XLINK_NS}}}href"]
        el.attrib.pop("target", None)

    clean(root)
    # Browsers show a group's <title> on hover, not the link's xlink:title: use the tooltip.
    for group in root.iter(f"{{{SVG_NS}}}g"):
        title = group.find(f"{{{SVG_NS}}}title")
        link = next(group.iter(f"{{{SVG_NS}}}a"), None)
        if title is not None and link is not None and link.get(f"{{{XLINK_NS}}}title"):
            title.text = link.get(f"{{{XLINK_NS}}}title")
    # Scale with the page; the viewBox keeps the proportions.
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    root.set("class", "workflow-svg")
    root.set("role", "group")
    return ET.tostring(_plain_names(root), encoding="unicode")


def _plain_names(root: ET.Element) -> ET.Element:
    """Write SVG's names without ElementTree's namespace map, which is global: another
    library (WeasyPrint) registers its own prefixes and would turn every tag into
    "ns0:svg", which a browser does not draw."""
    for el in root.iter():
        el.tag = el.tag.removeprefix(f"{{{SVG_NS}}}")
        for attr in [a for a in el.attrib if a.startswith(f"{{{XLINK_NS}}}")]:
            el.set("xlink:" + attr.split("}", 1)[1], el.attrib.pop(attr))
    root.set("xmlns", SVG_NS)
    root.set("xmlns:xlink", XLINK_NS)
    return root


@lru_cache(maxsize=32)
def _render(locale: str, counts: tuple[tuple[str, int], ...], hrefs: tuple[tuple[str, str], ...],
            count_text: tuple[tuple[str, str], ...]) -> str:
    binary = dot_binary()
    if binary is None:
        raise DiagramUnavailable("dot not found")
    nodes, edges = graph(dict(counts))
    source = dot_source(nodes, edges, dict(hrefs), dict(count_text))
    try:
        done = subprocess.run([binary, "-Tsvg"], input=source.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT, check=True)
        return sanitise(done.stdout, {h for _, h in hrefs})
    except (OSError, subprocess.SubprocessError, ET.ParseError) as exc:
        raise DiagramUnavailable(str(exc)) from exc


def render_svg(locale: str, counts: dict[str, int], hrefs: dict[str, str],
               count_text: dict[str, str]) -> str:
    """The sanitised inline SVG, cached per (locale, counts); raises DiagramUnavailable."""
    return _render(str(locale), tuple(sorted((k, int(v)) for k, v in counts.items())),
                   tuple(sorted(hrefs.items())), tuple(sorted(count_text.items())))


def clear_cache() -> None:
    _render.cache_clear()
