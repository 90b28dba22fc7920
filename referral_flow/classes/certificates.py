"""A class's certificates in one file (a page per certified member), for its organisers."""
from __future__ import annotations

from flask_login import login_required

from ..papers.content import PAPERS, class_paper
from ..papers.downloads import paper_download
from .routes import _get_class_or_404, _nodes_or_403, bp


@bp.get("/<int:class_id>/certificates.<fmt>")
@login_required
def certificates(class_id: int, fmt: str):
    klass = _get_class_or_404(class_id, _nodes_or_403())
    paper = class_paper(klass)
    return paper_download(paper, PAPERS["certificate"].template, fmt,
                          {"paper": "certificates", "class": klass.id})
