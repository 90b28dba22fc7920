"""The demo province (fictional): its two organisation trees as they stood before
1 July 2025, and the 2025 reorganisation that gave them their present shape.

Before: a provincial Party committee and its bloc committee (Đảng ủy Khối các cơ quan và
doanh nghiệp tỉnh), which held the Party organisations of enterprises and agencies and
received the referrals of enterprises without one; a city and a district labour federation
above the CĐCS of their area. From 1 July 2025 (294-QĐ/TW; the district level abolished):
the bloc closed, its organisations under the ward and commune Party committees, which
receive and decide; the district federations closed, their CĐCS under the ward and commune
unions. ``reorganise_2025`` applies that change through the reorganisation service
(issue 10, item 4): the organisations that go on keep their codes, members and people.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from .extensions import db
from .models import EnterpriseKind, Organisation, PartyKind, Tree, UnionKind, User
from .services import reorganisation

MARKER = "LDLD-DEMO"        # the demo federation's code: how the app knows it holds demo data
PROVINCE = "Hòa Lâm (hư cấu)"           # no such province: "hư cấu" says it is invented
FEDERATION_NAME = f"Liên đoàn Lao động tỉnh {PROVINCE}"
PARTY_COMMITTEE_NAME = f"Tỉnh ủy {PROVINCE}"
BLOC_CODE = "DUK-DEMO"
BLOC_NAME = "Đảng ủy Khối các cơ quan và doanh nghiệp tỉnh"
OPENED = date(2015, 1, 1)
# 294-QĐ/TW in force, district level abolished, commune and ward unions and committees.
CUTOVER = date(2025, 7, 1)


def _org(code, tree, kind, name, parent=None, opened_on=OPENED, **kw) -> Organisation:
    org = Organisation(code=code, tree=tree, kind=kind, name=name, opened_on=opened_on, **kw)
    db.session.add(org)
    db.session.flush()
    org.place_under(parent)
    return org


def _party(code, kind, name, parent, **kw):
    return _org(code, Tree.party, kind.value, name, parent, **kw)


def _union(code, kind, name, parent, **kw):
    return _org(code, Tree.union, kind.value, name, parent, **kw)


# The areas of the demo province: before 1 July 2025 a city and a district with their
# labour federations; from then on a ward and a commune, each with its union and its Party
# committee (the directly superior, competent body of the organisations in its area).
AREAS = {"DH": ("LDLD-TP-HL", "Liên đoàn Lao động thành phố Hòa Lâm",
                "CD-P-DH", "Công đoàn phường Đông Hòa",
                "DU-P-DH", "Đảng ủy phường Đông Hòa", "khu phố", 11),
         "TL": ("LDLD-H-LS", "Liên đoàn Lao động huyện Lâm Sơn",
                "CD-X-TL", "Công đoàn xã Tân Lâm",
                "DU-X-TL", "Đảng ủy xã Tân Lâm", "thôn", 9)}


def build_party_tree() -> dict[str, Organisation]:
    """The provincial committee and, until 1 July 2025, the bloc committee that received the
    referrals of enterprises and agencies; the ward and commune committees (with their
    residence cells) that receive them from that day (``reorganise_2025``)."""
    p = {}
    p["TU"] = _party("TU-DEMO", PartyKind.provincial, PARTY_COMMITTEE_NAME, None,
                     competent_body=True)
    p["KHOI"] = _party(BLOC_CODE, PartyKind.bloc, BLOC_NAME, p["TU"], competent_body=True,
                       runs_classes=True, committee_members=15)
    # The bloc's own cell hosted the candidates of enterprises without a Party organisation.
    p["KHOI-CB"] = _party("CB-KHOI", PartyKind.cell, f"Chi bộ Cơ quan {BLOC_NAME}", p["KHOI"],
                          official_members=9)
    for key, (*_u, code, name, quarter, members) in AREAS.items():
        p[key] = _party(code, PartyKind.commune, name, p["TU"], opened_on=CUTOVER,
                        competent_body=True, grassroots_committee=True, runs_classes=True,
                        committee_members=members)
        for i in range(1, 4):
            p[f"{key}-KP{i}"] = _party(f"CB-{key}-KP{i}", PartyKind.cell,
                                       f"Chi bộ {quarter} {i} ({name})", p[key],
                                       opened_on=CUTOVER, official_members=12 + i)
    return p


# (code, name, enterprise kind, upper union, has a Party organisation); the upper union is
# the industrial-zone union (KCN), the public servants' union (VC), or the area's (AREAS).
UNITS = [
    ("THEP", "Công ty CP Thép Kinh Bắc", EnterpriseKind.state, "KCN", True),
    ("DIEN", "Công ty Điện lực Hòa Lâm", EnterpriseKind.state, "KCN", True),
    ("CAPNUOC", "Công ty TNHH MTV Cấp nước Hòa Lâm", EnterpriseKind.state, "DH", True),
    ("MOITRUONG", "Công ty CP Môi trường đô thị", EnterpriseKind.state, "DH", True),
    ("SAMSUNG", "Công ty TNHH Điện tử Quang Minh Việt Nam", EnterpriseKind.fdi, "KCN", True),
    ("CANON", "Công ty TNHH Quang học Tiên Sơn", EnterpriseKind.fdi, "KCN", True),
    ("FOXCONN", "Công ty TNHH Chính xác Hồng Hải", EnterpriseKind.fdi, "KCN", True),
    ("HANWHA", "Công ty TNHH Hàn Việt Aero", EnterpriseKind.fdi, "KCN", False),
    ("GOERTEK", "Công ty TNHH Âm thanh Vinh Quang", EnterpriseKind.fdi, "KCN", False),
    ("VIGLACERA", "Công ty CP Gạch men Đông Hòa", EnterpriseKind.non_state, "KCN", True),
    ("DABACO", "Công ty CP Thức ăn chăn nuôi Lạc Vệ", EnterpriseKind.non_state, "TL", True),
    ("MAY10", "Công ty CP May Đình Sơn", EnterpriseKind.non_state, "DH", True),
    ("GOMSU", "Công ty TNHH Gốm sứ Phù Lâm", EnterpriseKind.non_state, "TL", False),
    ("GOPHUONG", "Công ty TNHH Đồ gỗ Đồng Kỳ", EnterpriseKind.non_state, "DH", False),
    ("BAOBI", "Công ty TNHH Bao bì Tân Lâm", EnterpriseKind.non_state, "TL", False),
    ("CODIEN", "Công ty TNHH Cơ điện Việt Hàn", EnterpriseKind.non_state, "KCN", False),
    ("THUCPHAM", "Công ty CP Thực phẩm Hòa Lâm", EnterpriseKind.non_state, "DH", False),
    ("XAYDUNG", "Công ty TNHH Xây dựng Lâm Sơn", EnterpriseKind.non_state, "TL", False),
    ("VANTAI", "Hợp tác xã Vận tải Hòa Lâm", EnterpriseKind.non_state, "DH", False),
    ("INAN", "Công ty TNHH In ấn Đông Hòa", EnterpriseKind.non_state, "DH", False),
    ("BVTINH", "Bệnh viện Đa khoa tỉnh", EnterpriseKind.public, "VC", True),
    ("BVSAN", "Bệnh viện Sản - Nhi tỉnh", EnterpriseKind.public, "VC", True),
    ("THPTHAN", "Trường THPT Chuyên Hòa Lâm", EnterpriseKind.public, "VC", True),
    ("THPTLTT", "Trường THPT Lý Thái Tổ", EnterpriseKind.public, "VC", True),
    ("THCSKB", "Trường THCS Đông Hòa", EnterpriseKind.public, "VC", True),
    ("CDNGHE", "Trường Cao đẳng Công nghiệp Hòa Lâm", EnterpriseKind.public, "VC", True),
    ("SOTNMT", "Văn phòng Sở Nông nghiệp và Môi trường", EnterpriseKind.public, "VC", True),
    ("KHOBAC", "Kho bạc Nhà nước khu vực", EnterpriseKind.public, "VC", True),
    ("TTYT", "Trung tâm Y tế Lâm Sơn", EnterpriseKind.public, "VC", True),
    ("BAOTANG", "Bảo tàng tỉnh Hòa Lâm", EnterpriseKind.public, "VC", True),
]
PROVINCIAL_UPPER = {"KCN": ("CD-KCN", "Công đoàn các Khu công nghiệp tỉnh"),
                    "VC": ("CD-VC", "Công đoàn Viên chức tỉnh")}
# The ward or commune whose Party committee receives a unit's referrals from 1 July 2025;
# the ward's committee succeeds the bloc committee (the provincial seat is in the ward).
AREA_OF = {"KCN": "DH", "VC": "DH", "DH": "DH", "TL": "TL"}
WARD = "DH"


@dataclass
class Unions:
    federation: Organisation
    provincial: dict[str, Organisation]      # industrial zones, public servants (all along)
    district: dict[str, Organisation]        # area -> district federation (until 1/7/2025)
    commune: dict[str, Organisation]         # area -> commune or ward union (from 1/7/2025)
    units: list[Organisation]
    area: dict[int, str]                     # unit id -> its area


def build_units(party: dict[str, Organisation]) -> tuple[Unions, list[Organisation]]:
    """The union tree as it stood before 1 July 2025 (the commune and ward unions open that
    day, empty until ``reorganise_2025`` moves their CĐCS in), each CĐCS with its
    Party organisation under the bloc committee or, without one, referring to the bloc."""
    fed = _union(MARKER, UnionKind.federation, FEDERATION_NAME, None)
    provincial = {k: _union(code, UnionKind.upper, name, fed)
                  for k, (code, name) in PROVINCIAL_UPPER.items()}
    district, commune = {}, {}
    for key, (dcode, dname, ccode, cname, *_p) in AREAS.items():
        district[key] = _union(dcode, UnionKind.upper, dname, fed)
        commune[key] = _union(ccode, UnionKind.upper, cname, fed, opened_on=CUTOVER)
    uppers = provincial | district
    units, cells, area = [], [], {}
    committees = 0
    for i, (code, name, kind, upper, has_party) in enumerate(UNITS):
        if has_party:
            big = i % 3 != 1
            pkind = PartyKind.grassroots_committee if big else PartyKind.grassroots_cell
            prefix = "Đảng ủy" if big else "Chi bộ"
            # The second enterprise committee (not the demo accounts') is authorised to admit
            # (06-HD/TW §3.7a): its cases are decided by it, without the competent body.
            receiver = _party(f"P-{code}", pkind, f"{prefix} {name}", party["KHOI"],
                              grassroots_committee=big, committee_members=9 if big else None,
                              official_members=None if big else 7 + i % 5,
                              authorised_to_admit=big and committees == 1)
            committees += big
            if big:
                workshop = "Phân xưởng" if kind != EnterpriseKind.public else "Khoa"
                for j in (1, 2):
                    cells.append(_party(f"CB-{code}-{j}", PartyKind.cell,
                                        f"Chi bộ {workshop} {j} – {name}",
                                        receiver, official_members=9 + (i + j) % 6))
            else:
                cells.append(receiver)
        else:
            receiver = party["KHOI"]
        unit = _union(f"CDCS-{code}", UnionKind.grassroots, f"Công đoàn cơ sở {name}",
                      uppers[upper], enterprise_kind=kind, has_party_org=has_party,
                      receiving_party=receiver, has_youth_union=False)
        units.append(unit)
        area[unit.id] = upper
    cells += [party["KHOI-CB"]] + [o for k, o in party.items() if "-KP" in k]
    return Unions(fed, provincial, district, commune, units, area), cells



# The reasons the 2025 reorganisation records (invented decisions, like every name here).
PARTY_REASON = (f"{BLOC_NAME} kết thúc hoạt động; các tổ chức đảng trực thuộc chuyển về đảng "
                "ủy phường, xã nơi đặt trụ sở từ ngày 01/7/2025 (Quyết định giả lập).")
UNION_REASON = ("Kết thúc hoạt động công đoàn cấp huyện; công đoàn cơ sở chuyển về công đoàn "
                "phường, xã từ ngày 01/7/2025 (Quyết định giả lập).")


def reorganise_2025(party: dict[str, Organisation], unions: Unions, actor: User,
                    today: date) -> None:
    """The demo province on 1 July 2025 (``CUTOVER``), through the reorganisation service;
    flushes, never commits. Every organisation that goes on stays the same organisation.

    - in each area other than the ward's, the Party organisations of the bloc's enterprises
      move under the area's committee, and the CĐCS without one refer to it (their open
      cases with them, hosted by its first residence cell);
    - the bloc's own cell closes into the ward's first residence cell (the cases it hosted
      follow), then the bloc closes into the ward committee: its other Party organisations
      go under it, the CĐCS that referred to the bloc refer to it, its open cases and
      grants follow it;
    - the district federations close into the ward and commune unions, which take their
      CĐCS.
    """
    bloc, ward = party["KHOI"], WARD
    kw = {"on": CUTOVER, "today": today, "actor": actor}
    o = Organisation
    area_of_upper = {node.id: key for key, node in (unions.provincial | unions.district).items()}
    referring = db.session.execute(select(o, o.parent_id).where(
        o.tree == Tree.union, o.kind == UnionKind.grassroots.value,
        or_(o.receiving_party_id == bloc.id,
            o.receiving_party_id.in_(select(o.id).where(o.parent_id == bloc.id))))
        .order_by(o.id)).all()
    for key in AREAS:
        if key == ward:
            continue
        here = [unit for unit, upper in referring if AREA_OF[area_of_upper[upper]] == key]
        for unit in here:
            if unit.receiving_party_id != bloc.id:
                reorganisation.move_node(unit.receiving_party, party[key].code,
                                         reason=PARTY_REASON, **kw)
        direct = [u for u in here if u.receiving_party_id == bloc.id]
        if direct:
            reorganisation.refer_to(direct, party[key].code,
                                    host_cell_code=party[f"{key}-KP1"].code,
                                    reason=PARTY_REASON, **kw)
    reorganisation.close_with_successor(party["KHOI-CB"], party[f"{ward}-KP1"].code,
                                        reason=PARTY_REASON, **kw)
    reorganisation.close_with_successor(bloc, party[ward].code, reason=PARTY_REASON, **kw)
    for key, district in unions.district.items():
        reorganisation.close_with_successor(district, unions.commune[key].code,
                                            reason=UNION_REASON, **kw)
