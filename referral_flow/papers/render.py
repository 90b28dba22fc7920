"""The two renderers of a paper's data: PDF (WeasyPrint from the Jinja template) and DOCX
(python-docx). Both draw the same ``Sheet`` data.

The PDF embeds Tinos (metric-compatible with Times New Roman, vendored under
``static/vendor/tinos``) through ``@font-face``; WeasyPrint fetches only files inside the
static folder (no network, no other file), so the output does not depend on the machine.
The DOCX names "Times New Roman", which every office computer has.
"""
from __future__ import annotations

import io
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from docx import Document as Docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from flask import current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .sheet import Paper, Sheet

FONT = "Times New Roman"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = {"pdf": PDF, "docx": DOCX}


class StaticOnly(URLFetcher):
    """Fetches files of the static folder and refuses everything else."""

    def __init__(self, root: Path):
        super().__init__(allowed_protocols=("file",))
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve()
        if parts.scheme != "file" or not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"papers fetch only static files, not {url}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": kind})


def pdf(paper: Paper, template: str = "papers/document.html") -> bytes:
    root = Path(current_app.static_folder)
    # The environment alone: no request context (a background job renders too).
    html = current_app.jinja_env.get_template(template).render(paper=paper)
    return HTML(string=html, base_url=root.as_uri() + "/",
                url_fetcher=StaticOnly(root)).write_pdf()


# --- DOCX ---------------------------------------------------------------------------------

def _run(paragraph, text: str, *, bold=False, italic=False, size=14, underline=False):
    run = paragraph.add_run(text)
    run.bold, run.italic, run.underline = bold, italic, underline
    run.font.size = Pt(size)
    run.font.name = FONT
    run.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return run


def _para(container, align=WD_ALIGN_PARAGRAPH.LEFT, *, after=0, indent=False):
    p = container.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.space_before = Pt(0)
    if indent:
        p.paragraph_format.first_line_indent = Mm(10)
    return p


def _cell(table, row, col):
    cell = table.cell(row, col)
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    return cell


def _sheet(doc, sheet: Sheet, new_page: bool) -> None:
    center, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    corner = _para(doc, right)
    corner.paragraph_format.page_break_before = new_page
    _run(corner, f"Mẫu {sheet.form}" if sheet.form else "", size=11, italic=True)
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, rightcell = _cell(head, 0, 0), _cell(head, 0, 1)
    if sheet.superior:
        _run(_para(left, center), sheet.superior, size=13)
    _run(_para(left, center), sheet.issuer, bold=True, size=13)
    _run(_para(left, center), "*", size=13)
    _run(_para(left, center), sheet.number, size=13)
    for n, line in enumerate(sheet.heading):
        _run(_para(rightcell, center), line, bold=True, size=15 if n == 0 else 14,
             underline=True)
    _run(_para(rightcell, center, after=0), "")
    _run(_para(rightcell, center), sheet.dated, italic=True)
    title = _para(doc, center)
    title.paragraph_format.space_before = Pt(18)
    _run(title, sheet.title, bold=True, size=16)
    _run(_para(doc, center, after=12), sheet.subtitle, bold=True)
    for line in sheet.body:
        if line.style == "center":
            _run(_para(doc, center, after=6), line.text, bold=True)
        else:
            p = _para(doc, WD_ALIGN_PARAGRAPH.JUSTIFY, after=6, indent=True)
            _run(p, line.text)
    foot = doc.add_table(rows=1, cols=2)
    left, rightcell = _cell(foot, 0, 0), _cell(foot, 0, 1)
    if sheet.recipients:
        _run(_para(left), "Nơi nhận:", bold=True, italic=True, size=12)
        for r in sheet.recipients:
            _run(_para(left), f"- {r}", size=11)
    else:
        _para(left)
    _run(_para(rightcell, center), sheet.signature.on_behalf, bold=True)
    _run(_para(rightcell, center, after=60), sheet.signature.role, bold=True)
    _run(_para(rightcell, center), sheet.signature.name, bold=True)


def docx(paper: Paper) -> bytes:
    doc = Docx()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[-1]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    for n, sheet in enumerate(paper.sheets):
        _sheet(doc, sheet, new_page=n > 0)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render(paper: Paper, fmt: str, template: str = "papers/document.html") -> bytes:
    return pdf(paper, template) if fmt == "pdf" else docx(paper)
