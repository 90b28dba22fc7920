"""The registry of papers and what each one says, built from the case's own records.

Each paper names its form, the steps whose recorded figures it prints, a builder that reads
the case's records (votes, documents, key dates, member, organisations, the step's audit
event) into ``Sheet`` data, and the template that lays it out for the PDF (the DOCX is drawn
from the same data by ``render``).

The words below are the text of Party documents: Vietnamese whatever the user's language,
so they are deliberately not translatable UI strings. They live here, not in the HTML
templates, because the DOCX prints the very same words (one text, two renderers).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..exports import download_name
from ..extensions import db
from ..models import (AuditEvent, AwarenessClass, Case, Enrolment, EnrolmentResult,
                      Organisation, PartyKind, Tree, VoteKind)
from ..models.member import Member
from ..workflow.guards import committee_admits, competent_body_of
from ..workflow.rulesets import NoRuleSet, printed_code, rule_set_on
from .sheet import NATION_HEADING, PLACE, Line, Paper, Signature, Sheet
from .words import date_words, number_words, share, short_date

DOTS = "................................................................................"


def form_code(default: str, day: date | None) -> str:
    """The code (label) of a form as the rule set in force on ``day`` numbers it: the set's
    ``form_labels`` when it has them (a renumbering is a data change, domain.md M5), else
    the code of 12-HD/BTCTW 2022."""
    if day is None:
        return default
    try:
        return printed_code(default, rule_set_on(day))
    except NoRuleSet:
        return default


# --- pieces shared by the papers -----------------------------------------------------------

def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def upper(text: str | None) -> str:
    return nfc(text).upper()


def party_body(org: Organisation | None) -> str:
    """The superior line of a Party paper: the organisation's party body, "Đảng ủy xã X" ->
    "ĐẢNG BỘ XÃ X"."""
    if org is None:
        return ""
    name = nfc(org.name)
    if org.tree == Tree.party and name.startswith("Đảng ủy "):
        name = "Đảng bộ " + name.removeprefix("Đảng ủy ")
    return upper(name)


def on_behalf(org: Organisation) -> Signature:
    """Who signs for ``org``: its secretary for the collective (T/M), the chair for a union."""
    if org.tree == Tree.union:
        return Signature("T/M BAN CHẤP HÀNH", "CHỦ TỊCH")
    if org.kind in (PartyKind.cell.value, PartyKind.grassroots_cell.value):
        return Signature("T/M CHI BỘ", "BÍ THƯ")
    if org.kind in (PartyKind.grassroots_committee.value, PartyKind.commune.value):
        return Signature("T/M ĐẢNG ỦY", "BÍ THƯ")
    return Signature("T/M BAN THƯỜNG VỤ", "BÍ THƯ")


def numbered(number: str | None) -> str:
    return f"Số {nfc(number)}" if number else "Số .........."


def dated(day: date | None) -> str:
    return f"{PLACE}, {date_words(day)}"


def person(member: Member) -> str:
    """The candidate as the forms introduce him: name, birth date, job."""
    job = f", nghề nghiệp: {nfc(member.job)}" if member.job else ""
    return f"{nfc(member.full_name)}, sinh ngày {short_date(member.date_of_birth)}{job}"


def competent_body(case: Case) -> Organisation:
    """The competent body over the case (else its receiving Party organisation)."""
    return competent_body_of(case) or case.party_org


def admitting_body(case: Case) -> Organisation:
    """Who decided the admission: an authorised grassroots committee itself, else the
    competent body."""
    return case.party_org if committee_admits(case) else competent_body(case)


def grassroots_committee(case: Case) -> Organisation:
    """The grassroots committee above the host cell (else the receiving organisation)."""
    cell = case.host_cell
    if cell is not None and cell.parent is not None and cell.parent.grassroots_committee:
        return cell.parent
    return case.party_org


def attendance(eligible: int, present: int, people: str) -> Line:
    return Line(f"Tổng số {people}: {eligible} ({number_words(eligible)}); có mặt: {present} "
                f"({number_words(present)}); vắng mặt: {eligible - present} "
                f"({number_words(eligible - present)}).")


def tally(votes_for: int, against: int, eligible: int, people: str, agree: str) -> Line:
    return Line(f"2. Số {people} {agree}: {share(votes_for, eligible, people)}; không {agree}: "
                f"{against} ({number_words(against)}).", "item")


def signer_name(event: AuditEvent | None, org: Organisation) -> str:
    """The secretary's name where the step is his to record (the cell's papers); else the
    signer writes it."""
    if event is not None and event.actor is not None and org.kind in (
            PartyKind.cell.value, PartyKind.grassroots_cell.value):
        return nfc(event.actor.full_name)
    return ""


# --- the papers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """What a builder reads: the case and the step event that produced the figures."""
    case: Case
    event: AuditEvent | None = None


def union_resolution(src: Source) -> Sheet | None:
    case, vote = src.case, src.case.latest_vote(VoteKind.union_committee)
    if vote is None:
        return None
    unit, name = case.union_unit, nfc(case.member.full_name)
    return Sheet(
        form=form_code("4A-KNĐ", vote.held_on), heading=NATION_HEADING,
        superior=upper(unit.parent.name if unit.parent else ""),
        issuer=upper(f"Ban Chấp hành {unit.name}"), number=numbered(vote.resolution_no),
        dated=dated(vote.held_on), title="NGHỊ QUYẾT",
        subtitle="Giới thiệu đoàn viên công đoàn ưu tú để xem xét, kết nạp vào Đảng",
        body=[
            Line("Căn cứ Điều lệ Công đoàn Việt Nam; căn cứ Quy định và Hướng dẫn của Trung "
                 "ương về công tác kết nạp đảng viên;"),
            Line(f"Xét đơn xin vào Đảng của đoàn viên {name}; {date_words(vote.held_on)}, "
                 f"Ban Chấp hành {nfc(unit.name)} họp xét giới thiệu đoàn viên ưu tú vào Đảng."),
            attendance(vote.eligible, vote.present, "ủy viên Ban Chấp hành"),
            Line("QUYẾT NGHỊ", "center"),
            Line(f"1. Giới thiệu đoàn viên công đoàn ưu tú {person(case.member)}, đơn vị "
                 f"{nfc(unit.name)}, để {nfc(case.party_org.name)} xem xét, kết nạp vào "
                 "Đảng Cộng sản Việt Nam.", "item"),
            tally(vote.votes_for, vote.votes_against, vote.eligible, "ủy viên Ban Chấp hành",
                  "đồng ý"),
        ],
        signature=on_behalf(unit), recipients=(f"{nfc(case.party_org.name)};", "Lưu."))


def comments(src: Source) -> Sheet | None:
    case, doc = src.case, src.case.latest_document("5-KNĐ")
    cell = case.host_cell
    if doc is None or cell is None:
        return None
    union = case.latest_vote(VoteKind.union_committee)
    nominated = (f" (Nghị quyết số {nfc(union.resolution_no)}, {date_words(union.held_on)})"
                 if union else "")
    return Sheet(
        form=form_code("5-KNĐ", doc.issued_on), superior=party_body(cell.parent),
        issuer=upper(f"Chi ủy {cell.name}"), number=numbered(doc.number),
        dated=dated(doc.issued_on), title="TỔNG HỢP Ý KIẾN NHẬN XÉT",
        subtitle="của tổ chức đoàn thể nơi làm việc và chi ủy nơi cư trú đối với người xin "
                 "vào Đảng",
        body=[
            Line(f"Thực hiện quy định về công tác kết nạp đảng viên, chi ủy {nfc(cell.name)} "
                 f"đã tổng hợp ý kiến nhận xét đối với quần chúng {person(case.member)}, "
                 f"đơn vị {nfc(case.union_unit.name)}, như sau:"),
            Line(f"1. Ý kiến nhận xét của tổ chức đoàn thể nơi làm việc: Ban Chấp hành "
                 f"{nfc(case.union_unit.name)} đã giới thiệu đoàn viên ưu tú vào Đảng"
                 f"{nominated}.", "item"),
            Line(f"- Ưu điểm: {DOTS}", "blank"), Line(f"- Khuyết điểm: {DOTS}", "blank"),
            Line(f"2. Ý kiến nhận xét của chi ủy, chi bộ nơi cư trú ({nfc(doc.issuer)}), "
                 f"{date_words(doc.issued_on)}:", "item"),
            Line(f"- Ưu điểm: {DOTS}", "blank"), Line(f"- Khuyết điểm: {DOTS}", "blank"),
            Line(f"3. Nhận xét chung của chi ủy: {DOTS}", "item"),
        ],
        signature=Signature("T/M CHI ỦY", "BÍ THƯ"),
        recipients=(f"Chi bộ {nfc(cell.name)};", "Lưu hồ sơ."))


def _resolution(src: Source, kind: VoteKind, code: str, org: Organisation, people: str,
                subtitle: str, intro: str, proposal: str) -> Sheet | None:
    vote = src.case.latest_vote(kind)
    if vote is None:
        return None
    return Sheet(
        form=form_code(code, vote.held_on), superior=party_body(org.parent),
        issuer=upper(org.name), number=numbered(vote.resolution_no), dated=dated(vote.held_on),
        title="NGHỊ QUYẾT", subtitle=subtitle,
        body=[Line(f"{date_words(vote.held_on).capitalize()}, {intro}"),
              attendance(vote.eligible, vote.present, people),
              Line("QUYẾT NGHỊ", "center"),
              Line(f"1. {proposal}", "item"),
              tally(vote.votes_for, vote.votes_against, vote.eligible, people, "tán thành")],
        signature=replace(on_behalf(org), name=signer_name(src.event, org)),
        recipients=(f"{nfc(competent_body(src.case).name)};", "Lưu."))


def cell_resolution(src: Source) -> Sheet | None:
    case, cell = src.case, src.case.host_cell
    if cell is None:
        return None
    name = nfc(case.member.full_name)
    helpers = ", ".join(nfc(h.full_name) for h in case.helpers)
    above = competent_body(case) if cell.is_grassroots_cell else grassroots_committee(case)
    sheet = _resolution(
        src, VoteKind.cell, "6-KNĐ", cell, "đảng viên chính thức",
        "Đề nghị kết nạp đảng viên",
        f"Chi bộ {nfc(cell.name)} họp xét đề nghị kết nạp quần chúng {name} vào Đảng.",
        f"Đề nghị {nfc(above.name)} xem xét, kết nạp quần chúng {person(case.member)}, đơn vị "
        f"{nfc(case.union_unit.name)}, vào Đảng Cộng sản Việt Nam.")
    if sheet is not None and helpers:
        sheet.body.append(Line(f"3. Đảng viên chính thức được phân công giúp đỡ: {helpers}.",
                               "item"))
    return sheet


def committee_resolution(src: Source) -> Sheet | None:
    case = src.case
    committee, name = grassroots_committee(case), nfc(case.member.full_name)
    cell = nfc(case.host_cell.name) if case.host_cell else ""
    return _resolution(
        src, VoteKind.committee, "8-KNĐ", committee, "cấp ủy viên",
        "Đề nghị kết nạp đảng viên",
        f"{nfc(committee.name)} họp xét đề nghị của Chi bộ {cell} kết nạp quần chúng {name} "
        "vào Đảng.",
        f"Đề nghị {nfc(competent_body(case).name)} xem xét, quyết định kết nạp quần chúng "
        f"{person(case.member)} vào Đảng Cộng sản Việt Nam.")


def _decision(src: Source, body: Organisation, code: str, number: str | None,
              on: date | None, subtitle: str, articles: list[str], grounds: str) -> Sheet:
    return Sheet(
        form=form_code(code, on), superior=party_body(body.parent), issuer=upper(body.name),
        number=numbered(number), dated=dated(on), title="QUYẾT ĐỊNH", subtitle=subtitle,
        body=[Line("Căn cứ Điều lệ Đảng Cộng sản Việt Nam; căn cứ Quy định và Hướng dẫn của "
                   "Trung ương về thi hành Điều lệ Đảng;"),
              Line(grounds),
              Line(f"BAN THƯỜNG VỤ {upper(body.name)}", "center"),
              Line("QUYẾT ĐỊNH", "center"),
              *[Line(f"Điều {n}. {text}", "item") for n, text in enumerate(articles, 1)]],
        signature=Signature("T/M BAN THƯỜNG VỤ", "BÍ THƯ"),
        recipients=(f"Chi bộ {nfc(src.case.host_cell.name)};" if src.case.host_cell
                    else "Chi bộ;", "Như Điều 3;", "Lưu."))


def _proposer(case: Case, kind: VoteKind | None) -> str:
    """Whose proposal a decision answers: the committee's vote when there was one, else the
    cell's."""
    committee = case.latest_vote(kind) if kind else None
    if committee is not None:
        return (f"Xét đề nghị của {nfc(grassroots_committee(case).name)} (Nghị quyết số "
                f"{nfc(committee.resolution_no)}, {date_words(committee.held_on)}),")
    cell = nfc(case.host_cell.name) if case.host_cell else ""
    return f"Xét đề nghị của Chi bộ {cell},"


def admission_decision(src: Source) -> Sheet | None:
    case = src.case
    if case.decision_on is None:
        return None
    cell = nfc(case.host_cell.name) if case.host_cell else ""
    itself = committee_admits(case)       # an authorised committee decided, no proposal
    return _decision(
        src, admitting_body(case), "9-KNĐ", case.decision_no, case.decision_on,
        "Kết nạp đảng viên",
        [f"Kết nạp quần chúng {person(case.member)}, đơn vị {nfc(case.union_unit.name)}, "
         "vào Đảng Cộng sản Việt Nam.",
         f"Chi bộ {cell} tổ chức lễ kết nạp đảng viên theo quy định; thời gian dự bị là mười "
         "hai tháng, kể từ ngày chi bộ tổ chức lễ kết nạp.",
         "Các đồng chí cấp ủy, chi bộ có liên quan và đồng chí có tên tại Điều 1 thi hành "
         "Quyết định này."],
        _proposer(case, None if itself else VoteKind.committee))


def recognition_cell(src: Source) -> Sheet | None:
    case, cell = src.case, src.case.host_cell
    if cell is None:
        return None
    name = nfc(case.member.full_name)
    admitted = (f" (kết nạp theo Quyết định số {nfc(case.decision_no)}, "
                f"{date_words(case.decision_on)})" if case.decision_on else "")
    return _resolution(
        src, VoteKind.recognition_cell, "13-KNĐ", cell, "đảng viên chính thức",
        "Đề nghị công nhận đảng viên chính thức",
        f"Chi bộ {nfc(cell.name)} họp xét công nhận đảng viên chính thức cho đảng viên dự bị "
        f"{name}{admitted}.",
        f"Đề nghị cấp ủy cấp trên xem xét, công nhận đảng viên dự bị {person(case.member)} "
        f"là đảng viên chính thức, kể từ {date_words(case.probation_ends_on)}.")


def recognition_committee(src: Source) -> Sheet | None:
    case = src.case
    committee, name = grassroots_committee(case), nfc(case.member.full_name)
    return _resolution(
        src, VoteKind.recognition_committee, "15-KNĐ", committee, "cấp ủy viên",
        "Đề nghị công nhận đảng viên chính thức",
        f"{nfc(committee.name)} họp xét đề nghị công nhận đảng viên chính thức cho đảng viên "
        f"dự bị {name}.",
        f"Đề nghị {nfc(competent_body(case).name)} xem xét, công nhận đảng viên dự bị "
        f"{person(case.member)} là đảng viên chính thức.")


def recognition_decision(src: Source) -> Sheet | None:
    case, doc = src.case, src.case.latest_document("16-KNĐ")
    if doc is None:
        return None
    return _decision(
        src, competent_body(case), "16-KNĐ", doc.number, doc.issued_on,
        "Công nhận đảng viên chính thức",
        [f"Công nhận đảng viên dự bị {person(case.member)} là đảng viên chính thức, kể từ "
         f"{date_words(case.official_from)}.",
         "Tuổi đảng của đồng chí được tính từ " + date_words(case.decision_on) + ".",
         "Các đồng chí cấp ủy, chi bộ có liên quan và đồng chí có tên tại Điều 1 thi hành "
         "Quyết định này."],
        _proposer(case, VoteKind.recognition_committee))


def certificate_sheet(case: Case, klass: AwarenessClass | None, number: str | None,
                      on: date | None, issuer: Organisation | None,
                      issuer_name: str = "") -> Sheet:
    """An awareness-class certificate: of the class when known, else of the certificate
    recorded as already held (its issuer is then only a name)."""
    body = [Line(f"Chứng nhận: {person(case.member)}"),
            Line(f"Đơn vị: {nfc(case.union_unit.name)}")]
    if klass is not None:
        body.append(Line(f"Đã hoàn thành chương trình {nfc(klass.name)}, từ "
                         f"{date_words(klass.starts_on)} đến {date_words(klass.ends_on)}"
                         + (f", tại {nfc(klass.place)}." if klass.place else ".")))
        if klass.co_organiser:
            body.append(Line(f"Lớp học do {nfc(klass.organiser.name)} phối hợp với "
                             f"{nfc(klass.co_organiser)} tổ chức."))
    else:
        body.append(Line("Đã hoàn thành chương trình học lớp bồi dưỡng nhận thức về Đảng."))
    return Sheet(
        form="",            # a certificate is no numbered KNĐ form
        superior=party_body(issuer.parent) if issuer else "",
        issuer=upper(issuer.name if issuer else issuer_name), number=numbered(number),
        dated=dated(on), title="GIẤY CHỨNG NHẬN",
        subtitle="Học lớp bồi dưỡng nhận thức về Đảng", body=body,
        signature=on_behalf(issuer) if issuer else Signature("T/M BAN THƯỜNG VỤ", "BÍ THƯ"),
        recipients=())


def certificate(src: Source) -> Sheet | None:
    case = src.case
    passed = [e for e in enrolments_of(case) if e.result == EnrolmentResult.passed]
    if passed:
        e = passed[-1]
        klass = e.awareness_class
        return certificate_sheet(case, klass, e.certificate_no, e.certificate_on,
                                 klass.organiser)
    doc = case.latest_document("certificate")
    if doc is None:
        return None
    return certificate_sheet(case, None, doc.number, doc.issued_on, None, doc.issuer)


def enrolments_of(case: Case) -> list[Enrolment]:
    return list(db.session.scalars(select(Enrolment).where(Enrolment.case_id == case.id)
                                   .order_by(Enrolment.id)))


@dataclass(frozen=True)
class PaperSpec:
    key: str
    form: str                    # the code of 12-HD/BTCTW 2022 (form_code maps it)
    label: object                # the screens' name of the paper (translated)
    triggers: tuple[str, ...]    # the steps whose recorded figures it prints
    build: Callable[[Source], Sheet | None]
    template: str = "papers/document.html"
    # Whether the case's records hold the paper, read from its loaded rows without a query
    # per paper (the case page's queries stay constant); the builder has the last word.
    ready: Callable[[Case], bool] = lambda case: True


PAPERS: dict[str, PaperSpec] = {p.key: p for p in (
    PaperSpec("4a", "4A-KNĐ", _l("Union resolution (4A-KNĐ)"), ("submit",), union_resolution),
    PaperSpec("certificate", "GCN", _l("Awareness-class certificate"),
              ("pass_class", "skip_class"), certificate, "papers/certificate.html"),
    PaperSpec("5", "5-KNĐ", _l("Consolidated comments (5-KNĐ)"),
              ("send_to_cell", "open_dossier"), comments,
              ready=lambda case: case.host_cell_id is not None
              and case.latest_document("5-KNĐ") is not None),
    PaperSpec("6", "6-KNĐ", _l("Cell resolution (6-KNĐ)"), ("cell_approve",), cell_resolution),
    PaperSpec("8", "8-KNĐ", _l("Committee resolution (8-KNĐ)"), ("committee_approve",),
              committee_resolution),
    PaperSpec("9", "9-KNĐ", _l("Admission decision (9-KNĐ)"), ("admit", "committee_admit"),
              admission_decision),
    PaperSpec("13", "13-KNĐ", _l("Cell recognition resolution (13-KNĐ)"),
              ("open_recognition",), recognition_cell),
    PaperSpec("15", "15-KNĐ", _l("Committee recognition resolution (15-KNĐ)"),
              ("recognition_committee_approve",), recognition_committee,
              # the committee's own step, where the host cell is not itself grassroots
              ready=lambda case: case.latest_vote(VoteKind.recognition_committee) is not None),
    PaperSpec("16", "16-KNĐ", _l("Recognition decision (16-KNĐ)"), ("recognise",),
              recognition_decision),
)}


def offered(case: Case, events: list[AuditEvent]) -> dict[int, list[PaperSpec]]:
    """The papers the case page offers, by the id of the step event that produced their
    figures: the latest step of each paper that no correction took back, when the case's
    records hold what the paper prints (``ready``)."""
    corrected = {e.corrects_id for e in events if e.corrects_id}
    latest: dict[str, AuditEvent] = {}
    for event in events:
        if event.id in corrected or event.corrects_id:
            continue
        for spec in PAPERS.values():
            if event.trigger in spec.triggers:
                latest[spec.key] = event
    out: dict[int, list[PaperSpec]] = {}
    for key, event in latest.items():
        if PAPERS[key].ready(case):
            out.setdefault(event.id, []).append(PAPERS[key])
    return out


def case_paper(case: Case, key: str,
               events: list[AuditEvent]) -> tuple[PaperSpec, Paper] | None:
    """The paper ``key`` of the case as its page offers it, or None."""
    for event_id, specs in offered(case, events).items():
        for spec in specs:
            if spec.key == key:
                event = next(e for e in events if e.id == event_id)
                sheet = spec.build(Source(case, event))
                if sheet is None:
                    return None
                return spec, Paper(download_name(spec.form, case.member.full_name), [sheet],
                                   [case.member_id])
    return None


def class_paper(klass: AwarenessClass) -> Paper:
    """The certificates of a whole class in one file: a page per certified member, in the
    order of their certificate numbers."""
    passed = db.session.scalars(
        select(Enrolment).where(Enrolment.class_id == klass.id,
                                Enrolment.result == EnrolmentResult.passed)
        .order_by(Enrolment.certificate_no, Enrolment.id)).all()
    return Paper(download_name("giay-chung-nhan", klass.name),
                 [certificate_sheet(e.case, klass, e.certificate_no, e.certificate_on,
                                    klass.organiser) for e in passed],
                 [e.case.member_id for e in passed])
