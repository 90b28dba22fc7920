"""Bulk synthetic history: organisation trees, members, cases with every step's event,
records, classes and targets, written set-based (Core executemany in batches).

The demo's public example year and the province-scale benchmark both use it. What it
writes is what the real workflow (``services.transitions.fire``) would have written for
the same steps: the same key dates, step data, votes, documents, enrolments and one
hash-chained audit event per step, dated on the step's working day. Cases whose path
would end after ``today`` stop in the state they had reached, so old years are closed
and recent ones still open.
"""
from __future__ import annotations

import heapq
import pickle
import random
import tempfile
from bisect import bisect_left, bisect_right
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import bindparam, func, select, text

from . import clock
from .demo_people import GIVEN_F, GIVEN_M, JOBS, MIDDLE_F, MIDDLE_M, SURNAMES, roster_person
from .demo_steps import (RESIDENCE_CELL, RESIDENCE_SUMMARY, STANDING_COMMITTEE, VERIFIED_BY,
                         dossier_documents, recognition_documents, vote_data)
from .extensions import db
from .models import (Answer, AuditEvent, AwarenessClass, Case, CaseHelper, Document,
                     EnrolmentResult, Enrolment, EnterpriseKind, Member, Organisation, PartyKind,
                     PartyMember, PartyStatus, Relation, Relative, ResidenceOpinion, Target, Tree,
                     UnionKind, VerificationRequest, Vote, VoteKind)
from .models.audit import audit_key, canonical, digest, step_date
from .models.classes import certificate_number
from .models.member import Education, Gender
from .models.bulk import insert_rows
from .services import kept_facts, tallies
from .services.audit import json_safe, lock_chain
from .text import fold, normalise_name
from .workflow.calendar import add_months, load_calendar
from .workflow.rulesets import rule_book
from .workflow.steps import STEP

CASE_BATCH = 5000              # cases generated between two writes
EVENT_BATCH = 50_000
SPILL_CHUNK = 200                # events per pickle in a spilled run (the merge holds one per run)
OPENED = date(2015, 1, 1)
CLASS_CAPACITY = 60
CLASS_PLACE = "Trường Chính trị tỉnh"     # the provincial political school
LARGE, MEDIUM = 8, 3                 # case weights of a large and a medium CĐCS
CELL_KINDS = (PartyKind.cell.value, PartyKind.grassroots_cell.value)
# Tables in foreign-key order: rows are written parents first.
TABLES = [Organisation, Member, PartyMember, Case, AwarenessClass, Enrolment, Vote, Document,
          CaseHelper, Relative, VerificationRequest, ResidenceOpinion, AuditEvent, Target]
DIRECT_JOBS = [j for j in JOBS if j[1]]
OFFICE_JOBS = [j for j in JOBS if j[0] in {"Nhân viên kế toán", "Kỹ sư", "Nhân viên hành chính"}]
PUBLIC_JOBS = [j for j in JOBS if not j[1]]
REASONS = {
    "withdraw": "Đoàn viên chuyển công tác, công đoàn rút đề nghị.",
    "cell_reject": "Chi bộ biểu quyết không đạt 2/3.",
    "committee_reject": "Đảng ủy biểu quyết không đạt 2/3.",
    "decline": "Cấp có thẩm quyền chưa đồng ý kết nạp sau thẩm định lý lịch.",
    "extend_decision": "Chờ kết quả thẩm tra lý lịch ở địa phương khác.",
    "remove": "Không hoàn thành nhiệm vụ trong thời gian dự bị.",
    "extend_recognition": "Chờ ý kiến của tổ chức đảng nơi cư trú về đảng viên dự bị.",
}
# Invented or common place names: none points at one real province.
PLACES = ["Đông Hòa", "Tân Lâm", "Lâm Sơn", "Phú Lâm", "Hòa Xuân", "Thanh Lâm", "An Lạc",
          "Bình Minh", "Tân Phong", "Đông Sơn", "Hưng Lâm", "Vĩnh Lâm", "Xuân Hòa", "Kim Sơn",
          "Trung Lâm", "Phúc Lâm", "Nam Hòa", "Bắc Lâm", "Hòa Phú", "Tây Lâm", "Hòa Thịnh",
          "Lâm Phong", "Đại Lâm", "Sơn Hòa", "Lạc Lâm", "Thái Hòa", "Mỹ Lâm", "Yên Lâm"]
BRANDS = ["Minh Phát", "Hoàng Long", "Thành Đạt", "An Phú", "Hưng Thịnh", "Phú Cường",
          "Tân Việt", "Đại Dương", "Kim Long", "Sao Mai", "Hòa Bình", "Trường Sơn", "Nam Việt",
          "Đông Á", "Thái Bình Dương", "Việt Tiến", "Quang Minh", "Bảo Ngọc"]
FOREIGN = ["Seojin", "Hosiden", "Daeduck", "Nidec", "Luxshare", "Yokowo", "Samil", "Kyocera",
           "Sumitomo", "Crucialtec", "Intops", "Wintek", "Mitac", "Jufeng", "Sindoh", "Orion"]
SECTORS = ["May mặc", "Cơ khí", "Bao bì", "Thực phẩm", "Đồ gỗ", "Xây dựng", "Điện tử",
           "Nhựa", "Dược phẩm", "Vật liệu"]
STATE_SECTORS = ["Cấp nước", "Điện lực", "Môi trường đô thị", "Khai thác thủy lợi",
                 "Xổ số kiến thiết", "Quản lý đường bộ"]
PUBLIC_KINDS = ["Trường Mầm non", "Trường Tiểu học", "Trường THCS", "Trường THPT", "Trạm Y tế",
                "Trung tâm Y tế", "Ủy ban nhân dân"]
# Share of each kind among CĐCS, and the chance that such an enterprise has a Party org.
KIND_MIX = [(EnterpriseKind.public, 0.30, 0.95), (EnterpriseKind.state, 0.06, 1.0),
            (EnterpriseKind.non_state, 0.46, 0.2), (EnterpriseKind.fdi, 0.18, 0.1)]


# --- working days, ids and buffered rows --------------------------------------------------

class Days:
    """Working days of a span, precomputed once: adding n of them is a bisect, not a loop
    over the holiday calendar for every step of every case."""

    def __init__(self, first: date, last: date):
        calendar = load_calendar()
        span = (last - first).days + 1
        self.days = [d for d in (first + timedelta(i) for i in range(span))
                     if calendar.is_working_day(d)]
        self.ordinals = [d.toordinal() for d in self.days]

    def add(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n >= 1)."""
        return self.days[bisect_right(self.ordinals, day.toordinal()) + n - 1]

    def sub(self, day: date, n: int) -> date:
        return self.days[bisect_left(self.ordinals, day.toordinal()) - n]

    def on_or_after(self, day: date) -> date:
        return self.days[bisect_left(self.ordinals, day.toordinal())]

    def pick(self, rng: random.Random, first: date, last: date) -> date:
        lo = bisect_left(self.ordinals, first.toordinal())
        hi = bisect_right(self.ordinals, last.toordinal())
        return self.days[rng.randrange(lo, hi)]


class Rows:
    """Rows buffered per table with ids assigned above the current maximum, written in
    foreign-key order by ``write`` (COPY on PostgreSQL, Core executemany on SQLite) and then
    forgotten, so that memory holds one batch, not the data set; the id sequences are moved
    past them. A row must be complete when it is written: callers write between cases."""

    def __init__(self):
        self.conn = db.session.connection()
        self.next_id = {m: (self.conn.scalar(select(func.max(m.id))) or 0) + 1 for m in TABLES}
        self.rows: dict[type, list[dict]] = defaultdict(list)
        self.written: dict[type, int] = defaultdict(int)

    def add(self, model, **row) -> dict:
        row["id"] = self.next_id[model]
        self.next_id[model] += 1
        self.rows[model].append(row)
        return row

    def count(self, model) -> int:
        return self.written[model] + len(self.rows[model])

    def write(self) -> None:
        for model in TABLES:
            rows = self.rows.pop(model, [])
            if not rows:
                continue
            self.insert(model.__table__, rows)
            self.written[model] += len(rows)
            if self.conn.dialect.name == "postgresql":
                table = model.__tablename__
                self.conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"))

    def insert(self, table, rows: list[dict]) -> None:
        insert_rows(self.conn, table, rows)


class EventRuns:
    """Audit events spilled to disk in runs sorted by time, merged back in one ordered
    stream when the chain is written: memory holds one run, not the history."""

    def __init__(self):
        self.buffer: list[tuple] = []
        self.files = ExitStack()
        self.runs: list = []

    def append(self, event: tuple) -> None:
        self.buffer.append(event)

    def spill(self) -> None:
        if not self.buffer:
            return
        run = self.files.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        ordered = sorted(self.buffer, key=_event_order)
        for i in range(0, len(ordered), SPILL_CHUNK):
            pickle.dump(ordered[i:i + SPILL_CHUNK], run, protocol=pickle.HIGHEST_PROTOCOL)
        run.seek(0)
        self.runs.append(run)
        self.buffer = []

    def ordered(self) -> Iterator[tuple]:
        """Every event by (time, case, step), the runs closed at the end."""
        with self.files:
            streams = [_read_run(run) for run in self.runs]
            streams.append(iter(sorted(self.buffer, key=_event_order)))
            yield from heapq.merge(*streams, key=_event_order)
        self.runs, self.buffer = [], []


def _event_order(event: tuple) -> tuple:
    return event[0], event[1], event[2]


def _read_run(run) -> Iterator[tuple]:
    while True:
        try:
            chunk = pickle.load(run)
        except EOFError:
            return
        yield from chunk


# --- organisation trees --------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    id: int
    path: str
    name: str

    @classmethod
    def of(cls, organisation: Organisation) -> Node:
        return cls(organisation.id, organisation.path, organisation.name)


def org(rows: Rows, code: str, tree: Tree, kind: str, name: str, parent: Node | None,
        **kw) -> Node:
    """One organisation row; its materialised path needs only the pre-assigned id."""
    row = rows.add(Organisation, code="", tree=tree, kind=kind, name=name[:200],
                   parent_id=parent.id if parent else None, path="", opened_on=OPENED,
                   closed_on=None, enterprise_kind=None, has_party_org=None,
                   has_youth_union=False, receiving_party_id=None, runs_classes=False,
                   competent_body=False, grassroots_committee=False, official_members=None,
                   committee_members=None, roster_kept=False)
    row.update(kw, code=code or f"ORG-{row['id']}",
               path=f"{parent.path if parent else '/'}{row['id']}/")
    return Node(row["id"], row["path"], row["name"])


def cell(rows: Rows, kind: str, name: str, parent: Node, members: int) -> Node:
    """A cell with its kept roster of ``members`` official members (drawn from the cell's
    own random stream, so that the trees drawn around it stay the same)."""
    node = org(rows, "", Tree.party, kind, name, parent, official_members=members,
               roster_kept=True)
    draws = random.Random(node.id)
    for _ in range(members):
        person = roster_person(draws)
        name = normalise_name(person.pop("full_name"))
        rows.add(PartyMember, cell_id=node.id, full_name=name, search_key=fold(name), email="",
                 status=PartyStatus.official, left_on=None, member_id=None, **person)
    return node


@dataclass(frozen=True)
class Upper:
    """A union directly above grassroots, with where its CĐCS's referrals go."""
    node: Node
    commune: Node            # receives the referrals of its units without a Party org
    public_only: bool = False
    zone: bool = False       # an industrial-zone union: enterprises only


def _enterprise(rng: random.Random, kind: EnterpriseKind) -> str:
    if kind == EnterpriseKind.public:
        return f"{rng.choice(PUBLIC_KINDS)} {rng.choice(PLACES)}"
    if kind == EnterpriseKind.state:
        return f"Công ty TNHH MTV {rng.choice(STATE_SECTORS)} {rng.choice(PLACES)}"
    if kind == EnterpriseKind.fdi:
        return f"Công ty TNHH {rng.choice(SECTORS)} {rng.choice(FOREIGN)} Vina"
    return f"Công ty {rng.choice(['TNHH', 'CP'])} {rng.choice(SECTORS)} {rng.choice(BRANDS)}"


def _kind(rng: random.Random, upper: Upper) -> tuple[EnterpriseKind, bool]:
    mix = [k for k in KIND_MIX if (k[0] == EnterpriseKind.public) == upper.public_only
           or not (upper.public_only or upper.zone)]
    kind, _share, party_chance = rng.choices(mix, weights=[k[1] for k in mix])[0]
    return kind, rng.random() < party_chance


def add_units(rows: Rows, rng: random.Random, uppers: list[Upper], blocs: dict[str, Node],
              n: int) -> int:
    """``n`` CĐCS spread over ``uppers``, with a grassroots Party organisation (committee
    with cells, or a grassroots cell) under the bloc for those that have one; the others
    refer to their upper union's commune. ``blocs``: "public" and "enterprise"."""
    for _ in range(n):
        upper = rng.choice(uppers)
        kind, has_party = _kind(rng, upper)
        name = _enterprise(rng, kind)
        receiver = upper.commune
        if has_party:
            bloc = blocs["public" if kind == EnterpriseKind.public else "enterprise"]
            receiver = _grassroots_party(rows, rng, bloc, name, kind)
        org(rows, "", Tree.union, UnionKind.grassroots.value, f"Công đoàn cơ sở {name}",
            upper.node, enterprise_kind=kind, has_party_org=has_party,
            receiving_party_id=receiver.id)
    return n


def _grassroots_party(rows: Rows, rng: random.Random, bloc: Node, name: str,
                      kind: EnterpriseKind) -> Node:
    if rng.random() < 0.4:
        return cell(rows, PartyKind.grassroots_cell.value, f"Chi bộ {name}", bloc,
                    rng.randint(5, 15))
    committee = org(rows, "", Tree.party, PartyKind.grassroots_committee.value,
                    f"Đảng ủy {name}", bloc, grassroots_committee=True,
                    committee_members=rng.choice([7, 9, 11]))
    part = "Khoa" if kind == EnterpriseKind.public else "Phân xưởng"
    for j in range(1, rng.randint(2, 4)):
        cell(rows, PartyKind.cell.value, f"Chi bộ {part} {j} – {name}", committee,
             rng.randint(6, 25))
    return committee


def build_province(rows: Rows, rng: random.Random, *, code: str, name: str, units: int,
                   uppers: int, nation: Node | None = None) -> tuple[Node, Node]:
    """Both trees of a province: the provincial Party committee with two blocs and one
    commune committee (with three neighbourhood cells) per upper union; the federation
    (under ``nation``, the national union, if given) with an industrial-zone union, a
    public-servants' union and commune unions."""
    top = org(rows, f"TU-{code}", Tree.party, PartyKind.provincial.value, f"Tỉnh ủy {name}",
              None, competent_body=True)
    blocs = {key: org(rows, f"DUK-{key.upper()[:2]}-{code}", Tree.party, PartyKind.bloc.value,
                      title, top, competent_body=True, runs_classes=True, committee_members=15)
             for key, title in (("enterprise", "Đảng ủy Khối Doanh nghiệp tỉnh"),
                                ("public", "Đảng ủy Khối các cơ quan tỉnh"))}
    fed = org(rows, f"LDLD-{code}", Tree.union, UnionKind.federation.value,
              f"Liên đoàn Lao động tỉnh {name}", nation)
    ups = []
    for i in range(uppers):
        place = PLACES[i % len(PLACES)] + (f" {i // len(PLACES) + 1}" if i >= len(PLACES) else "")
        commune = org(rows, f"DU-{code}-{i + 1}", Tree.party, PartyKind.commune.value,
                      f"Đảng ủy xã {place}", top, competent_body=True, grassroots_committee=True,
                      runs_classes=True, committee_members=rng.choice([9, 11, 13]))
        for j in range(1, 4):
            cell(rows, PartyKind.cell.value, f"Chi bộ thôn {j} (Đảng ủy xã {place})", commune,
                 rng.randint(10, 30))
        title = ("Công đoàn các Khu công nghiệp tỉnh" if i == 0 else
                 "Công đoàn Viên chức tỉnh" if i == 1 else f"Công đoàn xã {place}")
        ups.append(Upper(org(rows, f"CD-{code}-{i + 1}", Tree.union, UnionKind.upper.value,
                             title, fed), commune, public_only=i == 1, zone=i == 0))
    add_units(rows, rng, ups, blocs, units)
    return fed, top


# --- the units cases are generated for ------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    id: int
    official_members: int
    grassroots: bool
    helpers: tuple[tuple[int, str], ...]     # (party_member id, name) of its official members


@dataclass(frozen=True)
class Unit:
    """A CĐCS as the case generator needs it: who receives, hosts and trains its referrals."""
    id: int
    name: str
    kind: EnterpriseKind | None
    has_party_org: bool
    party_id: int
    committee_members: int
    cells: tuple[Cell, ...]
    runner: Node
    body_members: int           # the competent body's committee (it votes on recognition)


def load_units(federation_id: int, exclude: Iterable[int] = ()) -> list[Unit]:
    """The open CĐCS under the federation whose receiving Party organisation has a host
    cell able to vote, with official members on its roster to help (three queries,
    whatever the size)."""
    minimum = rule_book()(clock.today())["min_cell_official_members"]
    fed_path = db.session.scalar(select(Organisation.path).where(
        Organisation.id == federation_id))
    o = Organisation
    units = db.session.execute(select(
        o.id, o.name, o.enterprise_kind, o.has_party_org, o.receiving_party_id).where(
        o.tree == Tree.union, o.kind == UnionKind.grassroots.value, o.closed_on.is_(None),
        o.path.startswith(fed_path, autoescape=True), o.receiving_party_id.is_not(None))
        .order_by(o.id)).all()
    party = {r.id: r for r in db.session.execute(select(
        o.id, o.name, o.path, o.kind, o.runs_classes, o.official_members, o.committee_members,
        o.competent_body).where(o.tree == Tree.party, o.closed_on.is_(None)).order_by(o.id))}
    helpers = defaultdict(list)
    for person in db.session.execute(select(
            PartyMember.cell_id, PartyMember.id, PartyMember.full_name).where(
            PartyMember.status == PartyStatus.official, PartyMember.left_on.is_(None))
            .order_by(PartyMember.id)):
        helpers[person.cell_id].append((person.id, person.full_name))
    cells = defaultdict(list)
    for r in party.values():
        if r.kind in CELL_KINDS and (r.official_members or 0) >= minimum and helpers[r.id]:
            one = Cell(r.id, r.official_members, r.kind == PartyKind.grassroots_cell.value,
                       tuple(helpers.pop(r.id)))
            for ancestor in _ids(r.path):
                cells[ancestor].append(one)
    skip = set(exclude)
    return [Unit(u.id, u.name, u.enterprise_kind, bool(u.has_party_org), u.receiving_party_id,
                 party[u.receiving_party_id].committee_members or 9,
                 tuple(cells[u.receiving_party_id]), _runner(party, u.receiving_party_id),
                 _body_members(party, u.receiving_party_id))
            for u in units if u.id not in skip and cells[u.receiving_party_id]]


def _ids(path: str) -> list[int]:
    return [int(i) for i in path.strip("/").split("/") if i]


def _body_members(party: dict, node_id: int) -> int:
    """As ``guards.competent_body_of``: the committee size of the nearest competent node."""
    found = next((i for i in reversed(_ids(party[node_id].path))
                  if i in party and party[i].competent_body), None)
    return (party[found].committee_members if found else None) or 9


def _runner(party: dict, node_id: int) -> Node:
    """As ``demo_steps.class_runner``: the nearest node at or above that runs classes."""
    ids = _ids(party[node_id].path)
    found = next((i for i in reversed(ids) if party[i].runs_classes), ids[0])
    return Node(found, party[found].path, party[found].name)


# --- classes ---------------------------------------------------------------------------------

@dataclass
class ClassSlot:
    row: dict
    taken: int = 0
    written_seq: int | None = None        # certificate_seq as last written


@dataclass(frozen=True)
class JointClass:
    """A class run jointly for chosen candidates, e.g. the federation and the bloc
    committee for members of non-state enterprises without a Party organisation."""
    organiser_id: int
    name: str
    co_organiser: str
    starts_on: date
    ends_on: date
    size: int
    place: str = ""
    certificate_prefix: str = ""
    eligible: Callable[[Unit], bool] = lambda unit: True


class Classes:
    """Each runner holds a short class twice a quarter; a candidate joins the next one that
    starts after the enrolment, a second class opens when one is full."""

    def __init__(self, rows: Rows, days: Days):
        self.rows, self.days = rows, days
        self.open: dict[tuple[int, date], ClassSlot] = {}
        self.count: dict[tuple[int, date], int] = defaultdict(int)
        self.live: list[ClassSlot] = []       # classes whose certificates may still change

    def session_after(self, day: date) -> tuple[date, date]:
        """(starts_on, ends_on) of the first session starting after ``day``."""
        quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        for k in range(3):
            first = add_months(quarter, 3 * k)
            for offset in (20, 65):
                starts = self.days.on_or_after(first + timedelta(days=offset))
                if starts > day:
                    return starts, self.days.add(starts, 4)
        raise AssertionError("unreachable")

    def seat(self, runner: Node, starts: date, ends: date, now: datetime) -> ClassSlot:
        key = (runner.id, starts)
        slot = self.open.get(key)
        if slot is None or slot.taken >= slot.row["capacity"]:
            self.count[key] += 1
            n = self.count[key]
            suffix = f" (lớp {n})" if n > 1 else ""
            slot = self.open[key] = ClassSlot(self.rows.add(
                AwarenessClass,
                name=f"Lớp bồi dưỡng nhận thức về Đảng tháng {starts:%m/%Y}{suffix} – "
                     f"{runner.name}"[:200],
                organiser_id=runner.id, co_organiser="", starts_on=starts, ends_on=ends,
                place=CLASS_PLACE, capacity=CLASS_CAPACITY,
                certificate_prefix=f"GCN-{runner.id}-{starts:%y%m}-{n}-", certificate_seq=0,
                created_at=now))
            self.live.append(slot)
        slot.taken += 1
        return slot

    def written(self, day: date) -> None:
        """After ``Rows.write``: bring the certificate counters of classes written before
        up to date, and forget the classes that start before ``day`` (the next nomination):
        nobody nominated from then on can sit them."""
        table = AwarenessClass.__table__
        changed = [{"class_id": s.row["id"], "seq": s.row["certificate_seq"]}
                   for s in self.live
                   if s.written_seq is not None and s.written_seq != s.row["certificate_seq"]]
        if changed:
            self.rows.conn.execute(table.update().where(table.c.id == bindparam("class_id"))
                                   .values(certificate_seq=bindparam("seq")), changed)
        for slot in self.live:
            slot.written_seq = slot.row["certificate_seq"]
        self.live = [s for s in self.live if s.row["starts_on"] >= day]
        self.open = {k: v for k, v in self.open.items() if k[1] >= day}
        self.count = defaultdict(int, {k: n for k, n in self.count.items() if k[1] >= day})

    def joint(self, spec: JointClass, now: datetime) -> ClassSlot:
        slot = ClassSlot(self.rows.add(
            AwarenessClass, name=spec.name, organiser_id=spec.organiser_id,
            co_organiser=spec.co_organiser, starts_on=spec.starts_on, ends_on=spec.ends_on,
            place=spec.place, capacity=spec.size, certificate_prefix=spec.certificate_prefix,
            certificate_seq=0, created_at=now))
        self.live.append(slot)
        return slot


# --- one case's walk ---------------------------------------------------------------------------

@dataclass
class Step:
    trigger: str
    to_state: str
    on: date
    data: dict
    comment: str = ""
    sets: dict = field(default_factory=dict)        # key dates written on the case
    records: list = field(default_factory=list)     # (model, row) written with the step


class _Stop(Exception):
    """The next step would fall after ``today``: the case waits in its current state."""


def _outcome(rng: random.Random) -> str:
    r = rng.random()
    for outcome, share in (("withdraw", 0.04), ("cell_reject", 0.03), ("committee_reject", 0.01),
                           ("decline", 0.01), ("remove", 0.01)):
        if r < share:
            return outcome
        r -= share
    return "official"


class Walk:
    """The steps of one case, from its nomination to its end or to ``today``, with the data
    the guards require and the records the effects write (``workflow.effects``)."""

    def __init__(self, g: Generator, case: dict, unit: Unit, member: dict, nominated: date,
                 joint: ClassSlot | None):
        self.g, self.rng, self.days, self.nominated = g, g.rng, g.days, nominated
        self.case, self.unit, self.member, self.joint = case, unit, member, joint
        self.cell = self.rng.choice(unit.cells)
        self.helper: tuple[int, str] | None = None
        self.outcome = "official" if joint else _outcome(self.rng)
        if self.outcome == "committee_reject" and self.cell.grassroots:
            self.outcome = "cell_reject"
        self.quit_after = self.rng.choice(["submit", "accept", "certify", "open_dossier"])
        self.cell_on: date | None = None
        self.steps: list[Step] = []

    def gap(self, day: date, lo: int, hi: int) -> date:
        return self.days.add(day, self.rng.randint(lo, hi))

    def pace(self, day: date, state: str) -> date:
        """The day a case that entered ``state`` on ``day`` moves on (the step's pace)."""
        return self.gap(day, *STEP[state].pace)

    def emit(self, step: Step) -> None:
        if step.on > self.g.today:
            raise _Stop
        self.steps.append(step)

    def run(self) -> list[Step]:
        try:
            self._walk()
        except _Stop:
            pass
        return self.steps

    def _quit(self, after: str, on: date) -> bool:
        if self.outcome != "withdraw" or self.quit_after != after:
            return False
        on = self.gap(on, 5, 20)
        self.emit(Step("withdraw", "withdrawn", on, {}, REASONS["withdraw"],
                       _closed(on, self.steps[-1].to_state, REASONS["withdraw"])))
        return True

    def _walk(self) -> None:
        on = self.nominated
        self.emit(self._submit(on))
        if self._quit("submit", on):
            return
        on = self.pace(on, "nominated")
        self.helper = self.rng.choice(self.cell.helpers)
        helper_id, helper = self.helper
        self.emit(Step("accept", "accepted", on, {"host_cell_id": self.cell.id,
                                                  "helpers": [helper_id]},
                       sets={"accepted_on": on, "host_cell_id": self.cell.id},
                       records=[(CaseHelper, {"full_name": helper,
                                              "party_member_id": helper_id})]))
        if self._quit("accept", on):
            return
        on = self._certificate(on)
        if self._quit("certify", on):
            return
        on = self.pace(on, "certified")
        self.emit(Step("open_dossier", "dossier", on, {"documents": dossier_documents(on)},
                       records=self.g.documents(dossier_documents(on), on)))
        if self._quit("open_dossier", on):
            return
        on = self.pace(on, "dossier")
        self.emit(Step("send_to_cell", "cell_review", on, {}))
        self.g.background_check(self.case, on)
        on = self._cell(self.pace(on, "cell_review"))
        if on is None:
            return
        on = self._decision(on)
        if on is None:
            return
        self._probation(on)

    def _submit(self, on: date) -> Step:
        eligible = self.rng.choice([5, 7, 9, 11, 13])
        vote = vote_data(on, eligible, eligible - self.rng.randint(0, 1), number="NQ/CĐ")
        months = self.g.rules(on)["document_validity_months"].get("4A-KNĐ")
        return Step("submit", "nominated", on, vote, sets={"nominated_on": on}, records=[
            (Vote, _vote(VoteKind.union_committee, vote)),
            (Document, _document("4A-KNĐ", on, vote["resolution_no"], self.unit.name,
                                 add_months(on, months) if months else None))])

    def _certificate(self, on: date) -> date:
        """Through the class (or, for a few, an earlier certificate still valid)."""
        validity = self.g.rules(on)["certificate_validity_months"]
        if self.joint is None and self.rng.random() < 0.05:
            on = self.gap(on, 3, 15)
            # held long enough before, still valid at the cell's meeting months later
            issued = on - timedelta(days=self.rng.randint(60, 30 * (validity - 12)))
            number = f"GCN-{self.rng.randint(1000, 99999)}"
            self.emit(self._certified("skip_class", on, number, issued, validity))
            return on
        enrol = self.pace(on, "accepted")
        if self.joint is not None:
            enrol = min(enrol, self.days.sub(self.joint.row["starts_on"], 1))
            starts, ends = self.joint.row["starts_on"], self.joint.row["ends_on"]
        else:
            starts, ends = self.g.classes.session_after(enrol)
        if enrol > self.g.today:
            raise _Stop
        slot = self.joint or self.g.classes.seat(self.unit.runner, starts, ends,
                                                 _at(enrol, 8))
        enrolment = self.g.rows.add(Enrolment, class_id=slot.row["id"], case_id=self.case["id"],
                                    result=EnrolmentResult.pending, enrolled_on=enrol,
                                    certificate_no=None, certificate_on=None, reason=None,
                                    created_at=_at(enrol, 9))
        self.emit(Step("enroll", "in_class", enrol, {"class_id": slot.row["id"],
                                                     "class_name": slot.row["name"]}))
        # Certificates are handed out at the end of the class, recorded then or days later.
        passed = ends if self.joint or self.rng.random() < 0.3 else self.gap(ends, 1, 5)
        if passed > self.g.today:
            raise _Stop
        slot.row["certificate_seq"] += 1
        number = certificate_number(slot.row["certificate_prefix"], slot.row["certificate_seq"])
        enrolment.update(result=EnrolmentResult.passed, certificate_no=number,
                         certificate_on=ends)
        self.emit(self._certified("pass_class", passed, number, ends, validity))
        return passed

    def _certified(self, trigger: str, on: date, number: str, issued: date,
                   validity: int) -> Step:
        issuer = CLASS_PLACE
        return Step(trigger, "certified", on, {"certificate_no": number,
                                               "certificate_issuer": issuer,
                                               "certificate_on": issued},
                    sets={"certified_on": issued},
                    records=[(Document, _document("certificate", issued, number, issuer,
                                                  add_months(issued, validity)))])

    def _cell(self, on: date) -> date | None:
        """The cell's resolution and, under a grassroots committee, the committee's."""
        eligible = self.cell.official_members
        if self.outcome == "cell_reject":
            vote = vote_data(on, eligible, eligible // 2, number="NQ/CB")
            self.emit(Step("cell_reject", "rejected", on, vote, REASONS["cell_reject"],
                           _closed(on, "cell_review", REASONS["cell_reject"]),
                           [(Vote, _vote(VoteKind.cell, vote))]))
            return None
        vote = vote_data(on, eligible, eligible - self.rng.randint(0, eligible // 4),
                         number="NQ/CB")
        self.cell_on = on
        self.emit(Step("cell_approve", "decision_pending" if self.cell.grassroots
                       else "committee_review", on, vote, sets={"cell_resolution_on": on},
                       records=self._resolution(VoteKind.cell, "6-KNĐ", vote)))
        if self.cell.grassroots:
            return on
        on = self.pace(on, "committee_review")
        members = self.unit.committee_members
        if self.outcome == "committee_reject":
            vote = vote_data(on, members, members // 2, number="NQ/ĐU")
            self.emit(Step("committee_reject", "rejected", on, vote, REASONS["committee_reject"],
                           _closed(on, "committee_review", REASONS["committee_reject"]),
                           [(Vote, _vote(VoteKind.committee, vote))]))
            return None
        vote = vote_data(on, members, members - self.rng.randint(0, 2), number="NQ/ĐU")
        self.emit(Step("committee_approve", "decision_pending", on, vote,
                       sets={"committee_resolution_on": on},
                       records=self._resolution(VoteKind.committee, "8-KNĐ", vote)))
        return on

    def _resolution(self, kind: VoteKind, form: str, vote: dict) -> list:
        return [(Vote, _vote(kind, vote)),
                (Document, _document(form, vote["held_on"], vote["resolution_no"]))]

    def _decision(self, last: date) -> date | None:
        """Mostly within the 60 working days after the cell's resolution; some extended,
        a few late without an extension."""
        cell_on, r = self.cell_on, self.rng.random()
        if self.outcome == "decline":
            on = max(self.gap(cell_on, 20, 55), self.gap(last, 1, 5))
            # the standing committee's vote, short of 2/3
            standing = vote_data(on, STANDING_COMMITTEE, STANDING_COMMITTEE // 2 + 1,
                                 prefix="standing_", number="NQ/BTV")
            self.emit(Step("decline", "rejected", on, standing, REASONS["decline"],
                           _closed(on, "decision_pending", REASONS["decline"]),
                           [(Vote, _vote(VoteKind.standing_committee, standing, "standing_"))]))
            return None
        if r < 0.07:
            extended = max(self.days.add(cell_on, self.rng.randint(45, 59)), self.gap(last, 1, 3))
            self.emit(Step("extend_decision", "decision_pending", extended, {},
                           REASONS["extend_decision"], {"decision_extended": True}))
            decided = max(self.days.add(cell_on, self.rng.randint(61, 88)), extended)
        elif r < 0.11:
            decided = self.days.add(cell_on, self.rng.randint(61, 75))
        else:
            decided = self.days.add(cell_on, self.rng.randint(10, 55))
        decided = max(decided, self.gap(last, 3, 10))
        received = self.gap(decided, 0, 5) if self.rng.random() < 0.8 else decided
        number = f"QĐ-{self.case['id']:05d}"
        # The standing committee's vote on the decision, held the day it is signed.
        standing = vote_data(decided, STANDING_COMMITTEE,
                             STANDING_COMMITTEE - self.rng.randint(0, 1), prefix="standing_",
                             number="NQ/BTV")
        self.emit(Step("admit", "admitted", received,
                       {"decision_no": number, "decision_on": decided, "received_on": received}
                       | standing,
                       sets={"decision_no": number, "decision_on": decided,
                             "decision_received_on": received},
                       records=[(Document, _document("9-KNĐ", decided, number)),
                                (Vote, _vote(VoteKind.standing_committee, standing,
                                             "standing_"))]))
        return received

    def _probation(self, received: date) -> None:
        late = self.rng.random() < 0.02
        ceremony = self.gap(received, 31, 40) if late else self.gap(received, 3, 28)
        data = {"ceremony_on": ceremony} | (
            {"late_approval": "Công văn đồng ý của Đảng ủy cấp trên"} if late else {}) | {
            "roster": {"cell_id": self.cell.id, "status": PartyStatus.probationary.value}}
        ends = add_months(ceremony, self.g.rules(ceremony)["probation_months"])
        self.emit(Step("hold_ceremony", "probation", ceremony, data,
                       sets={"ceremony_on": ceremony, "probation_ends_on": ends}))
        if self.outcome == "remove":
            self._removal(ends)
            return
        held = self.gap(ends, 31, 45) if self.rng.random() < 0.05 else self.gap(ends, 1, 25)
        self._recognition(held, ends)

    def _removal(self, ends: date) -> None:
        """The cell's resolution proposing removal (2/3 of its official members), then the
        competent body's removal."""
        held = self.gap(ends, 1, 25)
        eligible = self.cell.official_members
        vote = vote_data(held, eligible, eligible - self.rng.randint(0, eligible // 4),
                         number="NQ/CB-XT")
        self.emit(Step("propose_removal", "removal_review", held, vote, REASONS["remove"],
                       sets={"recognition_cell_on": held},
                       records=[(Vote, _vote(VoteKind.removal_cell, vote))]))
        on = self.pace(held, "removal_review")
        body = self._competent_vote(on, "NQ/BTV-XT")
        self.emit(Step("remove", "removed", on,
                       body | {"roster": {"cell_id": self.cell.id, "left_on": on}},
                       REASONS["remove"], _closed(on, "removal_review", REASONS["remove"]),
                       [(Vote, _vote(VoteKind.removal_decision, body, "committee_"))]))

    def _competent_vote(self, on: date, number: str) -> dict:
        """The competent body's committee vote at the end of probation (2/3 or more)."""
        members = self.unit.body_members
        return vote_data(on, members, members - self.rng.randint(0, members // 4),
                         prefix="committee_", number=number)

    def _recognition(self, held: date, ends: date) -> None:
        """The cell's resolution (13-KNĐ) with the recognition dossier; under a grassroots
        committee, its resolution (15-KNĐ); then the competent body's vote and decision
        (16-KNĐ), some after an extension."""
        documents = recognition_documents(held, self.member["full_name"], self.helper[1],
                                          f"GCN-ĐVM-{self.case['id']:05d}")
        eligible = self.cell.official_members
        vote = vote_data(held, eligible, eligible - self.rng.randint(0, eligible // 4),
                         number="NQ/CB-CT")
        self.emit(Step("open_recognition", "recognition_review" if self.cell.grassroots
                       else "recognition_committee", held,
                       vote | {"documents": documents}, sets={"recognition_cell_on": held},
                       records=self.g.documents(documents, held)
                       + self._resolution(VoteKind.recognition_cell, "13-KNĐ", vote)))
        last = held
        if not self.cell.grassroots:
            last = self.pace(held, "recognition_committee")
            members = self.unit.committee_members
            committee = vote_data(last, members, members - self.rng.randint(0, members // 4),
                                  number="NQ/ĐU-CT")
            self.emit(Step("recognition_committee_approve", "recognition_review", last,
                           committee, records=self._resolution(
                               VoteKind.recognition_committee, "15-KNĐ", committee)))
        on = self.pace(last, "recognition_review")
        if self.rng.random() < 0.05:
            extended = self.gap(last, 1, 5)
            self.emit(Step("extend_recognition", "recognition_review", extended, {},
                           REASONS["extend_recognition"],
                           {"recognition_decision_extended": True}))
            on = max(on, self.days.add(held, self.rng.randint(31, 55)))
        number = f"QĐ-CT-{self.case['id']:05d}"
        body = self._competent_vote(on, "NQ/BTV-CT")
        data = {"decision_no": number, "decision_on": on, "received_on": on} | body
        data["roster"] = {"cell_id": self.cell.id, "status": PartyStatus.official.value}
        self.emit(Step("recognise", "official", on, data,
                       sets={"official_from": ends, "closed_on": on},
                       records=[(Vote, _vote(VoteKind.recognition_decision, body,
                                             "committee_")),
                                (Document, _document("16-KNĐ", on, number))]))


def _closed(on: date, state: str, reason: str) -> dict:
    return {"closed_on": on, "closed_at_state": state, "close_reason": reason}


def _vote(kind: VoteKind, vote: dict, prefix: str = "") -> dict:
    return {"kind": kind} | {name: vote[prefix + name] for name in (
        "held_on", "eligible", "present", "votes_for", "votes_against", "resolution_no")}


def _document(form: str, issued_on: date, number: str = "", issuer: str = "",
              valid_until: date | None = None, verified: bool = False,
              detail: dict | None = None) -> dict:
    return {"form_code": form, "number": number, "issued_on": issued_on, "issuer": issuer[:200],
            "valid_until": valid_until, "verified": verified, "detail": detail or {}}


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


# --- the generator -------------------------------------------------------------------------------

@dataclass
class Counts:
    cases: int = 0
    members: int = 0
    events: int = 0
    classes: int = 0
    enrolments: int = 0
    targets: int = 0
    target_total: dict[int, int] = field(default_factory=dict)
    joint_class_id: int | None = None


CASE_DATES = ("nominated_on", "accepted_on", "certified_on", "cell_resolution_on",
              "committee_resolution_on", "decision_on", "decision_received_on", "ceremony_on",
              "probation_ends_on", "recognition_cell_on", "official_from", "closed_on")


class Generator:
    def __init__(self, rows: Rows, rng: random.Random, today: date, first_year: int):
        self.rows, self.rng, self.today = rows, rng, today
        self.rules = rule_book()
        self.days = Days(date(first_year - 1, 1, 1), date(today.year + 4, 12, 31))
        self.classes = Classes(rows, self.days)
        self.citizen_ids = set(db.session.scalars(select(Member.citizen_id)))
        self.events = EventRuns()
        self.on_roster: dict[int, dict] = {}                      # member id -> roster row
        self.recognised: dict[int, int] = defaultdict(int)        # cell id -> new officials

    @staticmethod
    def name(rng: random.Random, female: bool | None = None) -> str:
        female = rng.random() < 0.5 if female is None else female
        return " ".join([rng.choice(SURNAMES), rng.choice(MIDDLE_F if female else MIDDLE_M),
                         rng.choice(GIVEN_F if female else GIVEN_M)])

    def documents(self, raw: list[dict], on: date) -> list:
        """Documents recorded with a step, as ``effects.record_documents`` stores them."""
        validity = self.rules(on)["document_validity_months"]
        out = []
        for doc in raw:
            months = validity.get(doc["form_code"])
            detail = ({"official": doc["official"], "months_together": doc["months_together"]}
                      if doc["form_code"] == "3-KNĐ" else {})
            out.append((Document, _document(
                doc["form_code"], doc["issued_on"], doc.get("number", ""), doc.get("issuer", ""),
                add_months(doc["issued_on"], months) if months else None,
                bool(doc.get("verified")), detail)))
        return out

    def background_check(self, case: dict, on: date) -> None:
        """The background verification answered before the case went to the cell on ``on``:
        the candidate's parents and the residence area's opinion, as services.verification
        records them (its audit events are left out: they do not move the case)."""
        asked, answered = self.days.sub(on, 8), self.days.sub(on, 2)
        for female in (False, True):
            relative = self.rows.add(Relative, case_id=case["id"], relation=Relation.parent,
                                     full_name=self.name(self.rng, female), abroad=False,
                                     country="", exempt=False, added_on=asked)
            self.rows.add(VerificationRequest, case_id=case["id"], relative_id=relative["id"],
                          check_id=None, sent_to=VERIFIED_BY, sent_on=asked,
                          answered_on=answered, result=Answer.clear, answer_note="")
        self.rows.add(ResidenceOpinion, case_id=case["id"], residence_cell=RESIDENCE_CELL,
                      requested_on=asked, received_on=answered,
                      summary=RESIDENCE_SUMMARY)

    def member(self, unit: Unit, nominated: date) -> dict:
        rng = self.rng
        female = rng.random() < 0.5
        name = normalise_name(self.name(rng, female))
        born = date(nominated.year - rng.randint(20, 45), rng.randint(1, 12), rng.randint(1, 28))
        century = (3 if female else 2) if born.year >= 2000 else (1 if female else 0)
        while True:
            cid = f"027{century}{born.year % 100:02d}{rng.randrange(10**6):06d}"
            if cid not in self.citizen_ids:
                self.citizen_ids.add(cid)
                break
        # ~60% of the members referred by enterprises work directly in production.
        job, direct = rng.choice(PUBLIC_JOBS if unit.kind == EnterpriseKind.public
                                 else DIRECT_JOBS if rng.random() < 0.6 else OFFICE_JOBS)
        since = max(date(born.year + 18, born.month, born.day),
                    nominated - timedelta(days=365 * rng.randint(1, 10)))
        return self.rows.add(Member, full_name=name, search_key=fold(name), date_of_birth=born,
                             gender=Gender.female if female else Gender.male, citizen_id=cid,
                             unit_id=unit.id, job=job, direct_production=direct,
                             phone=f"09{rng.randint(10**7, 10**8 - 1)}", email="",
                             union_member_since=since, education_exception="",
                             education=Education.upper_secondary if direct
                             else Education.higher)

    def case(self, unit: Unit, year: int, nominated: date, joint: ClassSlot | None) -> None:
        member = self.member(unit, nominated)
        drafted = self.days.sub(nominated, self.rng.randint(2, 10))
        case = self.rows.add(Case, member_id=member["id"], union_unit_id=unit.id,
                             party_org_id=unit.party_id, host_cell_id=None, referral_year=year,
                             state="draft", version=1, created_at=_at(drafted, 8),
                             state_since=drafted, decision_extended=False, decision_no=None,
                             recognition_decision_extended=False,
                             closed_at_state=None, close_reason=None,
                             **dict.fromkeys(CASE_DATES))
        self.events.append((_at(drafted, 8), case["id"], 0, "create", None, "draft", "",
                            {"on": drafted, "year": year}, None))
        walk = Walk(self, case, unit, member, nominated, joint)
        steps = walk.run()
        for i, step in enumerate(steps, 1):
            self.events.append((_at(step.on, 8 + min(i, 9)), case["id"], i, step.trigger,
                                case["state"], step.to_state, step.comment,
                                {"on": step.on, **step.data, "comment_visible": False},
                                self.rules(step.on).code))
            case.update(step.sets, state=step.to_state, state_since=step.on)
            for model, row in step.records:
                self.rows.add(model, case_id=case["id"], **row)
            self.roster(step, member, walk.cell)
        case["version"] = 1 + len(steps)

    def roster(self, step: Step, member: dict, cell: Cell) -> None:
        """The candidate's row on his cell's roster, as ``services.party_members`` writes it
        at the ceremony, the recognition and the removal."""
        if step.trigger == "hold_ceremony":
            self.on_roster[member["id"]] = self.rows.add(
                PartyMember, cell_id=cell.id, full_name=member["full_name"],
                search_key=member["search_key"], phone=member["phone"], email=member["email"],
                status=PartyStatus.probationary, official_since=None, left_on=None,
                member_id=member["id"])
        elif step.trigger == "recognise":
            self.on_roster[member["id"]].update(status=PartyStatus.official,
                                                 official_since=step.sets["official_from"])
            self.recognised[cell.id] += 1
        elif step.trigger == "remove":
            self.on_roster[member["id"]]["left_on"] = step.on

    def recount(self) -> None:
        """Kept rosters count their new official members (after ``Rows.write``)."""
        organisation = Organisation.__table__
        if self.recognised:
            self.rows.conn.execute(
                organisation.update().where(organisation.c.id == bindparam("cell"),
                                            organisation.c.roster_kept.is_(True))
                .values(official_members=organisation.c.official_members + bindparam("n")),
                [{"cell": cell_id, "n": n} for cell_id, n in self.recognised.items()])

    def flush(self, day: date) -> None:
        """Write what the cases so far made (the next case is nominated on ``day``) and
        spill their events: memory then holds one batch of cases, whatever the data set."""
        self.rows.write()
        self.classes.written(day)
        self.events.spill()
        self.on_roster.clear()

    def write_events(self) -> int:
        """Events in date order continue the chain from its current last hash."""
        prev, key = lock_chain(), audit_key()
        n = 0
        for at, case_id, _i, trigger, source, dest, comment, data, rule_set in \
                self.events.ordered():
            step_on = step_date(dest, data)
            data = json_safe(data)
            digest_of = digest(canonical(at, None, case_id, "case", trigger, source, dest,
                                         comment, data, rule_set, prev), key)
            self.rows.add(AuditEvent, at=at, actor_id=None, case_id=case_id, subject="case",
                          trigger=trigger, from_state=source, to_state=dest, comment=comment,
                          data=data, rule_set=rule_set, step_on=step_on, prev_hash=prev,
                          hash=digest_of)
            prev = digest_of
            n += 1
            if n % EVENT_BATCH == 0:
                self.rows.write()
        self.rows.write()
        return n


def _weights(rng: random.Random, units: list[Unit]) -> list[int]:
    """Relative size of each CĐCS: most are small, a few large enterprises refer many."""
    return [rng.choices([1, MEDIUM, LARGE], weights=[60, 30, 10])[0] for _ in units]


def _targets(weights: list[int], total: int | None) -> list[int]:
    """At least 1 per CĐCS; by default 2 for large units, else ``total`` shared by size."""
    if total is None:
        return [2 if w >= LARGE else 1 for w in weights]
    share = [max(1.0, total * w / sum(weights)) for w in weights]
    floor = [int(s) for s in share]
    order = sorted(range(len(share)), key=lambda i: floor[i] - share[i])
    for i in order[:max(total - sum(floor), 0)]:
        floor[i] += 1
    return floor


def generate_cases(units: list[Unit], per_year: dict[int, int], *, today: date | None = None,
                   seed: int = 0, joint: tuple[int, JointClass] | None = None,
                   referring: Callable[[Unit], bool] = lambda unit: True,
                   target_totals: dict[int, int | None] | None = None) -> Counts:
    """Cases nominated in each year of ``per_year`` (exactly that many, referral year =
    nomination year), moved on as far as ``today``. ``joint``: (year, class), whose
    candidates come from its eligible units, the year's other cases from the ``referring``
    units; ``target_totals``: year -> total target of ``units`` (None: 1 per CĐCS, 2 for
    large ones). Flushes the session first; writes in its transaction; never commits."""
    today = today or clock.today()
    db.session.flush()
    rng = random.Random(seed)
    rows = Rows()
    gen = Generator(rows, rng, today, min(per_year))
    weights = _weights(rng, units)
    counts = Counts()
    first = (db.session.scalar(select(func.max(Case.id))) or 0) + 1
    with tallies.counting_in_bulk():
        for year, how_many in sorted(per_year.items()):
            spec = joint[1] if joint and joint[0] == year else None
            for unit, on, slot in _plan_year(gen, units, weights, year, how_many, spec,
                                             referring):
                if len(rows.rows[Case]) >= CASE_BATCH:
                    gen.flush(on)
                gen.case(unit, year, on, slot)
                if slot is not None:
                    counts.joint_class_id = slot.row["id"]
            if target_totals is not None and year in target_totals:
                _write_targets(rows, units, weights, year, target_totals[year], counts)
        counts.cases, counts.members = rows.count(Case), rows.count(Member)
        counts.classes, counts.enrolments = rows.count(AwarenessClass), rows.count(Enrolment)
        gen.flush(date.max)
    counts.events = gen.write_events()
    gen.recount()
    kept_facts.count_new(db.session.connection(), first)
    return counts


def _plan_year(gen: Generator, units: list[Unit], weights: list[int], year: int, how_many: int,
               joint: JointClass | None, referring: Callable[[Unit], bool]) -> list[tuple]:
    """(unit, nomination day, joint class or None) of each case of ``year``, by date; the
    joint class's candidates are nominated early enough to be enrolled before it starts."""
    rng = gen.rng

    def pick(keep: Callable[[Unit], bool], k: int) -> list[Unit]:
        pool = [(u, w) for u, w in zip(units, weights, strict=True) if keep(u)]
        if k and not pool:
            raise ValueError(f"no unit to draw {k} cases of {year} from")
        return rng.choices([u for u, _w in pool], weights=[w for _u, w in pool], k=k)

    plan = []
    if joint is not None:
        slot = gen.classes.joint(joint, _at(joint.starts_on - timedelta(days=60), 8))
        window = (max(joint.starts_on - timedelta(days=140), date(year, 1, 2)),
                  joint.starts_on - timedelta(days=60))
        plan = [(u, gen.days.pick(rng, *window), slot) for u in pick(joint.eligible, joint.size)]
    last = min(date(year, 12, 31), gen.today)
    plan += [(u, gen.days.pick(rng, date(year, 1, 2), last), None)
             for u in pick(referring, how_many - len(plan))]
    return sorted(plan, key=lambda p: p[1])


def _write_targets(rows: Rows, units: list[Unit], weights: list[int], year: int,
                   total: int | None, counts: Counts) -> None:
    taken = set(db.session.scalars(select(Target.node_id).where(Target.year == year)))
    now = datetime.combine(date(year - 1, 12, 15), time(9))
    values = _targets(weights, total)
    for unit, value in zip(units, values, strict=True):
        if unit.id not in taken:
            rows.add(Target, node_id=unit.id, year=year, target=value, updated_at=now,
                     updated_by=None)
            counts.targets += 1
            counts.target_total[year] = counts.target_total.get(year, 0) + value


# --- a whole province ------------------------------------------------------------------------

@dataclass
class Province:
    federation_id: int
    party_root_id: int
    units: int
    counts: Counts


def generate_province(*, units: int = 3500, uppers: int = 30, years: Iterable[int] | None = None,
                      cases_per_year: int = 3000, today: date | None = None, seed: int = 1,
                      code: str = "BENCH", name: str = "Lâm Giang (hư cấu)") -> Province:
    """Both trees of a province, ``cases_per_year`` cases in each of ``years`` (default: the
    five years up to ``today``'s) and targets for each year; never commits."""
    today = today or clock.today()
    years = list(years or range(today.year - 4, today.year + 1))
    rng = random.Random(seed)
    rows = Rows()
    fed, top = build_province(rows, rng, code=code, name=name, units=units, uppers=uppers)
    rows.write()
    found = load_units(fed.id)
    counts = generate_cases(found, {y: cases_per_year for y in years}, today=today,
                            seed=seed + 1, target_totals=dict.fromkeys(years))
    return Province(fed.id, top.id, len(found), counts)


def generate_nation(*, provinces: int = 34, units: int = 3650, uppers: int = 30,
                    years: Iterable[int] | None = None, cases_per_year: int = 160_000,
                    today: date | None = None, seed: int = 1) -> Province:
    """The federation's national tier: ``provinces`` provinces of ``units`` CĐCS each
    (each province's Party committee a root of its own), ``cases_per_year`` cases over the
    nation in each of ``years`` (default: the ten years up to ``today``'s); written a
    province at a time; never commits. ``federation_id`` is the national union."""
    today = today or clock.today()
    years = list(years or range(today.year - 9, today.year + 1))
    rng = random.Random(seed)
    rows = Rows()
    nation = org(rows, "TLD-BENCH", Tree.union, UnionKind.national.value,
                 "Tổng Liên đoàn Lao động (hư cấu)", None)
    first_party = None
    for i in range(provinces):
        place = f"{PLACES[i % len(PLACES)]} {i + 1}"
        _fed, top = build_province(rows, rng, code=f"P{i + 1:02d}", name=place, units=units,
                                   uppers=uppers, nation=nation)
        first_party = first_party or top
        rows.write()
    found = load_units(nation.id)
    counts = generate_cases(found, dict.fromkeys(years, cases_per_year), today=today,
                            seed=seed + 1, target_totals=dict.fromkeys(years))
    return Province(nation.id, first_party.id, len(found), counts)
