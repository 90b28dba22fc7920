"""The signed paper comes back: the scan of a signed and stamped paper, attached to the
document it belongs to (models/scans.py).

The type is told by the content, never by the file's name or the browser's word: a PDF
(``%PDF-``, and pypdf must read at least one page, unencrypted), a JPEG or a PNG (their
magic numbers, and Pillow must read the header and, for a PNG, check every chunk). A PDF
named ``.jpg`` is a PDF and is kept as one. The bytes go to ``SCANS_DIR``, in a file named
by their SHA-256 (never the uploader's name), written whole before it is named; the
database row and the audit event (with the SHA-256, size, type and original name) commit
with the request. A file whose row did not commit stays behind unnamed by any row: harmless,
as the same content always lands in the same file.

Who may attach a scan to a document: whoever may take a step that records that form
(``services/dossier.py`` ``recorded_by``), as ``can()`` says.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Case, Document, Scan, User
from ..security import can
from ..workflow.errors import NotAllowed, NotAvailable, WorkflowError
from . import audit
from .dossier import recorded_by

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
JPEG_END = b"\xff\xd9"
JPEG_TAIL = 4096        # where the end marker must be (some cameras add bytes after it)
NAME_LENGTH = 200

NOT_A_SCAN = _l("This file is not a scan: only PDF files and JPEG or PNG images are "
                "accepted, whatever the file's name says. Scan the signed paper to PDF, JPEG "
                "or PNG and upload it again.")
ENCRYPTED = _l("This PDF is protected by a password: save it without the password and "
               "upload it again.")
TOO_MANY_PIXELS = _l("This image is too large to open (too many pixels): scan it again at "
                     "150 to 300 dpi.")
EMPTY = _l("The file is empty.")


class ScanRefused(WorkflowError):
    """The file cannot be kept as a scan; ``str()`` says why, in the user's language."""
    http_status = 422


def sniff(data: bytes) -> str:
    """The media type of ``data`` told by its content, checked by reading it; raises
    ScanRefused for anything else (an HTML page, a Word file, a damaged scan)."""
    if not data:
        raise ScanRefused(EMPTY)
    kind = next((media for magic, media in MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise ScanRefused(NOT_A_SCAN)
    (_check_pdf if kind == PDF else _check_image)(data, kind)
    return kind


def _damaged(kind: str) -> ScanRefused:
    return ScanRefused(_l("This file cannot be read as a %(kind)s: it is damaged or "
                          "incomplete. Scan the paper again and upload the new file.",
                          kind=kind))


def _check_pdf(data: bytes, _kind: str) -> None:
    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            encrypted = reader.is_encrypted
            pages = 0 if encrypted else len(reader.pages)
    except Exception as exc:        # any parser error of an untrusted file is "damaged"
        raise _damaged("PDF") from exc
    if encrypted:
        raise ScanRefused(ENCRYPTED)
    if pages < 1:
        raise _damaged("PDF")


def _check_image(data: bytes, kind: str) -> None:
    from PIL import Image

    name = EXTENSIONS[kind].upper().replace("JPG", "JPEG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=(name,)) as image:
                image.verify()      # a PNG's chunks and their checksums; a JPEG's header
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ScanRefused(TOO_MANY_PIXELS) from exc
    except Exception as exc:        # any parser error of an untrusted file is "damaged"
        raise _damaged(name) from exc
    if kind == JPEG and JPEG_END not in data[-JPEG_TAIL:]:
        raise _damaged(name)         # cut short: the upload or the scanner stopped midway


MISSING = _l("The file of this scan is missing from the scans directory: ask the "
             "administrator to restore it from the backup.")
ALTERED = _l("The file of this scan no longer matches the one uploaded (its SHA-256 "
             "differs): ask the administrator to restore it from the backup.")


class ScanMissing(WorkflowError):
    http_status = 404


# --- storage ----------------------------------------------------------------------------

def scans_dir() -> Path:
    return Path(current_app.config["SCANS_DIR"])


def path_of(sha256: str) -> Path:
    """Where the bytes of ``sha256`` are kept: ``SCANS_DIR/ab/abcdef…``."""
    return scans_dir() / sha256[:2] / sha256


def _store(data: bytes, sha256: str) -> None:
    """Write the bytes under their SHA-256, whole or not at all (same content, same file)."""
    target = path_of(sha256)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".upload-",
                                     delete=False) as out:      # created 0600
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(out.name, target)


def read(scan: Scan) -> bytes:
    """The scan's bytes, checked against the SHA-256 recorded at upload; raises
    ScanMissing when the file is gone or no longer matches."""
    try:
        data = path_of(scan.sha256).read_bytes()
    except OSError as exc:
        raise ScanMissing(MISSING) from exc
    if hashlib.sha256(data).hexdigest() != scan.sha256:
        raise ScanMissing(ALTERED)
    return data


# --- the record -------------------------------------------------------------------------

def may_attach(user: User, case: Case, document: Document) -> bool:
    """May ``user`` attach a scan to ``document``: one of the steps that record its form."""
    return document.in_force and any(can(user, trigger, case)
                                     for trigger in recorded_by(document.form_code))


def attach(case: Case, document_id: int, user: User, name: str, data: bytes) -> Scan:
    """Keep ``data`` as the newest signed scan of the case's document ``document_id``;
    earlier scans of it stay in its history."""
    document = next((d for d in case.documents if d.id == document_id), None)
    if document is None:
        raise NotAvailable(_l("This document is not on the case."))
    if not document.in_force:
        raise NotAvailable(_l("This document has been withdrawn: attach the scan to the "
                              "document in force."))
    if not may_attach(user, case, document):
        raise NotAllowed(_l("You may not attach scans to this document."))
    media_type = sniff(data)
    sha256 = hashlib.sha256(data).hexdigest()
    _store(data, sha256)
    earlier = db.session.scalar(select(Scan.id).where(Scan.document_id == document.id)
                                .order_by(Scan.id.desc()).limit(1))
    scan = Scan(case_id=case.id, document_id=document.id, sha256=sha256, size=len(data),
                media_type=media_type, original_name=name[:NAME_LENGTH],
                uploaded_by_id=user.id)
    db.session.add(scan)
    db.session.flush()
    audit.append(trigger="attach_scan", subject="scan", actor_id=user.id, case_id=case.id,
                 data={"form": document.form_code, "document_id": document.id,
                       "scan_id": scan.id, "sha256": sha256, "size": len(data),
                       "type": media_type, "name": scan.original_name, "replaces": earlier})
    return scan


def download_name(scan: Scan, document: Document, version: int) -> str:
    """The name a download is saved under: the form, the case, the version and the real
    type's extension (``4A-KND-12-v2.pdf``), never the name it was uploaded with."""
    form = document.form_code.replace("Đ", "D")
    return f"{form}-{document.case_id}-v{version}.{EXTENSIONS[scan.media_type]}"
