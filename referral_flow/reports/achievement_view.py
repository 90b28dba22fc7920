"""The achievement dashboard (PROCESS.md §4): for a union node in the user's scope, the
year's or a quarter's referrals against the target, down the tree, with charts, the
figures as a provincial report states them, and their export.

A node outside the user's union grants is a 404. Figures count the user's scoped cases.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import abort, render_template, request
from flask_babel import gettext as _, ngettext, pgettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select

from .. import clock
from ..labels import ENTERPRISE_LABELS
from ..charts import column_chart, percent_bars
from ..exports import Table, download_name
from ..extensions import db
from ..i18n import format_number, format_percentage, shown, vn_date
from ..models import Organisation, Tree
from ..demo import MARKER as DEMO_MARKER
from ..paging import pager
from ..security.grants import granted_nodes, is_admin
from ..security.scope import UNION_SIDE, union_node_in
from . import achievement as a
from ..exports import report_export
from ..replica import from_replica
from .routes import bp, report_year

SILENT_PER_PAGE = 50
# The row of the "By unit" table for the workers a union above grassroots introduces itself.
DIRECT = _l("Introduced directly (enterprises without a CĐCS)")
CHILDREN_CHARTED = 40
NAMED_CLASSES = 3          # the summary names the dedicated classes, up to this many
CLASSES_SHOWN = 50         # dedicated classes listed on the page (the export lists them all)
SORTS = ("name", "achievement")


def roots() -> list[Organisation]:
    """The union nodes the user reports on: an administrator the tops of the tree, others
    their union grants (the highest of nested ones)."""
    if is_admin(current_user):
        return list(db.session.scalars(select(Organisation).where(
            Organisation.tree == Tree.union, Organisation.parent_id.is_(None))
            .order_by(Organisation.name)))
    nodes = [n for n in granted_nodes(current_user, UNION_SIDE) if n.tree == Tree.union]
    return sorted({n.id: n for n in nodes if not any(o.contains(n) and o.id != n.id
                                                       for o in nodes)}.values(),
                  key=lambda n: n.path)


def chosen_period(today: date) -> a.Period:
    year = report_year(today)
    quarter = request.args.get("quarter", type=int)
    return a.Period(year, quarter if quarter in a.QUARTERS else None)


@dataclass
class Report:
    node: Organisation
    period: a.Period
    trail: list[Organisation]
    total: a.Figures
    children: list[tuple[Organisation, a.Figures]]
    direct: a.Figures | None        # introduced by the node itself (no CĐCS), if any
    enterprise: list[tuple[str, a.Figures, a.Figures]]   # (label, all, without Party org)
    party_split: list[tuple[str, a.Figures]]
    months: dict[str, list[int]]
    quarters: list[tuple[int, a.Figures, int]]           # (quarter, figures, cumulative)
    silent_total: int
    classes: list[a.ClassRow]


def gather(node: Organisation, period: a.Period, tops: list[Organisation]) -> Report:
    """Every table of the dashboard for ``node`` and ``period``: a bounded number of
    aggregate statements (about fifteen), whatever the number of cases and units."""
    today, user = clock.today(), current_user
    ancestor_ids = [int(p) for p in node.path.strip("/").split("/") if p]
    trail = sorted((o for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(ancestor_ids)))
        if any(t.contains(o) for t in tops)), key=lambda o: len(o.path))
    children = a.children_of(node, period)
    day = min(period.end, today)
    targets = a.targets_of(children + [node], period.year, day)
    figures = a.by_child(user, today, node, period, children)
    direct = figures.pop(node.id, None)
    rows = []
    for child in children:
        row = figures.get(child.id, a.Figures())
        row.target = targets.get(child.id)
        rows.append((child, row))
    split = a.by_enterprise(user, today, node, period)
    total = a.Figures(target=targets.get(node.id))
    for fig in split.values():
        a.add(total, fig)
    enterprise, party = [], {True: a.Figures(), False: a.Figures(), None: a.Figures()}
    for kind in list(ENTERPRISE_LABELS) + [None]:
        every, without = a.Figures(), a.Figures()
        for (k, has_party), fig in split.items():
            if k == kind:
                a.add(every, fig)
                a.add(party[has_party], fig)
                if has_party is False:
                    a.add(without, fig)
        if every.introduced or every.in_class or every.admitted:
            label = str(ENTERPRISE_LABELS[kind]) if kind else _("Not recorded")
            enterprise.append((label, every, without))
    party_split = [(label, party[key]) for key, label in (
        (True, _("Enterprise has a Party organisation")),
        (False, _("Enterprise has no Party organisation")),
        (None, _("Not recorded"))) if key is not None or party[None].introduced]
    months = a.by_month(user, today, node, period.year)
    quarters, running = [], 0
    for q in a.QUARTERS:
        fig = a.Figures(**{name: sum(months[name][3 * q - 3:3 * q]) for name in
                           ("introduced", "in_class", "admitted")})
        running += fig.introduced
        quarters.append((q, fig, running))
    silent_total = db.session.scalar(
        a.silent_units(user, today, node, period.year).with_only_columns(
            func.count(Organisation.id)).order_by(None)) or 0
    classes = a.classes_without_party(user, today, node, period)
    return Report(node, period, trail, total, rows, direct, enterprise, party_split, months,
                  quarters, silent_total, classes)


def class_phrase(name: str) -> str:
    """The class named ``name`` in a sentence: “Lớp bồi dưỡng…”, not lớp “Lớp bồi dưỡng…”
    (the word for a class is not repeated when the name begins with it)."""
    word = pgettext("the common noun a class name may begin with", "class")
    if name.split(" ", 1)[0].casefold() == word.casefold():
        return f"“{name}”"
    return _("the class “%(name)s”", name=name)


def _headline(report: Report) -> str:
    t, p = report.total, report.period
    when = (_("quarter %(q)d of %(y)d", q=p.quarter, y=p.year) if p.quarter
            else _("the year %(y)d", y=p.year))
    facts = dict(when=when, node=report.node.name, n=format_number(t.introduced))
    if t.target:
        return ngettext(
            "In %(when)s, the unions of %(node)s introduced %(n)s outstanding member to the "
            "Party, %(pct)s of the year's target (%(target)s).",
            "In %(when)s, the unions of %(node)s introduced %(n)s outstanding members to the "
            "Party, %(pct)s of the year's target (%(target)s).", t.introduced,
            pct=format_percentage(t.achievement), target=format_number(t.target), **facts)
    return ngettext(
        "In %(when)s, the unions of %(node)s introduced %(n)s outstanding member to the "
        "Party (no target is set).",
        "In %(when)s, the unions of %(node)s introduced %(n)s outstanding members to the "
        "Party (no target is set).", t.introduced, **facts)


def _classes_and_admissions(t: a.Figures) -> str:
    """Sent to classes, admitted, of whom direct production workers: a zero leaves its
    sentence or clause out."""
    n = format_number
    said = []
    if t.in_class:
        said.append(ngettext("%(n)s member was sent to an awareness class.",
                             "%(n)s members were sent to awareness classes.", t.in_class,
                             n=n(t.in_class)))
    if t.admitted and t.admitted_dp:
        said.append(ngettext(
            "%(n)s member was admitted to the Party, including %(dp)s working in direct "
            "production.",
            "%(n)s members were admitted to the Party, including %(dp)s working in direct "
            "production.", t.admitted, n=n(t.admitted), dp=n(t.admitted_dp)))
    elif t.admitted:
        said.append(ngettext("%(n)s member was admitted to the Party.",
                             "%(n)s members were admitted to the Party.", t.admitted,
                             n=n(t.admitted)))
    return " ".join(said)


def _dedicated_class(row: a.ClassRow) -> str:
    """A class held only for members of enterprises without a Party organisation, as a
    provincial report states its joint class."""
    k, n = row.klass, format_number
    who = (_("%(co)s and %(org)s jointly", org=k.organiser.name, co=k.co_organiser)
           if k.co_organiser else k.organiser.name)
    facts = dict(who=who, klass=class_phrase(k.name), start=vn_date(k.starts_on),
                 end=vn_date(k.ends_on), m=n(row.members))
    said = [_("%(who)s ran %(klass)s (%(start)s – %(end)s) for members from enterprises "
              "without a Party organisation (%(m)s, of whom %(ns)s from non-state "
              "enterprises).", ns=n(row.non_state), **facts) if row.non_state else
            _("%(who)s ran %(klass)s (%(start)s – %(end)s) for members from enterprises "
              "without a Party organisation (%(m)s).", **facts)]
    if row.certified:
        said.append(_("Certificates were issued to %(cert)s of them.", cert=n(row.certified)))
    return " ".join(said)


def summary(report: Report) -> list[str]:
    """The figures as a provincial report states them, one paragraph per line; a count of
    zero leaves its clause out."""
    lines = [_headline(report), _classes_and_admissions(report.total)]
    # Classes whose members all came from enterprises without a Party organisation,
    # largest first: the first few described, the others named.
    dedicated = sorted((c for c in report.classes if c.only_without_party),
                       key=lambda c: (-c.members, c.klass.starts_on, c.klass.id))
    lines += [_dedicated_class(row) for row in dedicated[:NAMED_CLASSES]]
    rest = dedicated[NAMED_CLASSES:]
    if rest:
        lines.append(ngettext(
            "%(num)d more class was held only for members from enterprises without a Party "
            "organisation: %(names)s (members: %(m)s).",
            "%(num)d more classes were held only for members from enterprises without a "
            "Party organisation: %(names)s (%(m)s members in all).", len(rest),
            names=", ".join(f"“{c.klass.name}”" for c in rest),
            m=format_number(sum(c.members for c in rest))))
    return [line for line in lines if line]


def _children_sorted(report: Report, sort: str):
    if sort == "achievement":
        return sorted(report.children, key=lambda r: (
            r[1].achievement is None, r[1].achievement or 0.0, r[0].name))
    return report.children


def holds_demo_data() -> bool:
    """Has ``flask demo load`` written the demo province (its federation's code) here?"""
    return db.session.scalar(select(Organisation.id).where(
        Organisation.code == DEMO_MARKER)) is not None


@bp.get("/achievement")
@login_required
@from_replica
def achievement():
    tops = roots()
    today = clock.today()
    if not tops:
        return render_template("reports/achievement.html", report=None)
    node, period = union_node_in(tops, request.args.get("node")), chosen_period(today)
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "name"
    report = gather(node, period, tops)
    paging = pager(report.silent_total, SILENT_PER_PAGE)
    page, pages = paging.page, paging.pages
    silent = db.session.execute(paging.slice(
        a.silent_units(current_user, today, node, period.year))).all()
    children = _children_sorted(report, sort)
    months = [_("Month %(m)d", m=m) for m in range(1, 13)]
    trend = column_chart([str(m) for m in range(1, 13)], [
        ("introduced", _("Introduced"), report.months["introduced"]),
        ("admitted", _("Admitted"), report.months["admitted"])],
        width=560, height=280, x_title=_("Month"), y_title=_("Number of members"))
    bars = percent_bars([(c.name, f.achievement) for c, f in children[:CHILDREN_CHARTED]],
                        width=960, label_width=340)
    return render_template(
        "reports/achievement.html", report=report, summary=summary(report), node=node,
        period=period, children=children, direct=report.direct, direct_label=DIRECT, sort=sort,
        silent=silent, page=page, pages=pages, trend=trend, bars=bars, months=months,
        charted=CHILDREN_CHARTED, classes_shown=CLASSES_SHOWN,
        years=range(today.year + 1, 2014, -1), tops=tops, demo=holds_demo_data())


def export_tables(report: Report, silent_rows) -> list[Table]:
    """The dashboard's tables for the spreadsheet (all the silent CĐCS, not one page); each
    with a worksheet name that fits Excel's 31 characters."""
    def figures(f: a.Figures) -> list:
        return [f.target, f.introduced, shown(f.achievement), f.in_class, f.admitted,
                f.admitted_dp]
    heads = [_("Target"), _("Introduced"), _("Achievement (%(sign)s)", sign="%"),
             _("Sent to awareness classes"), _("Admitted"),
             _("of whom direct production workers")]
    year = report.period.year
    return [
        Table(_("Summary"), [_("Report")], [[line] for line in summary(report)]),
        Table(_("Totals"), [_("Union organisation")] + heads,
              [[report.node.name] + figures(report.total)]),
        Table(_("By unit"), [_("Unit")] + heads,
              [[child.name] + figures(f) for child, f in report.children]
              + ([[str(DIRECT)] + figures(report.direct)] if report.direct else [])),
        Table(_("By month"), [_("Month"), _("Introduced"), _("Sent to awareness classes"),
                              _("Admitted")],
              [[m + 1, report.months["introduced"][m], report.months["in_class"][m],
                report.months["admitted"][m]] for m in range(12)]),
        Table(_("By kind of enterprise"),
              [_("Enterprise kind"), _("Introduced"),
               _("of which without a Party organisation"), _("Sent to awareness classes"),
               _("Admitted"), _("of whom direct production workers")],
              [[label, f.introduced, w.introduced, f.in_class, f.admitted, f.admitted_dp]
               for label, f, w in report.enterprise]),
        Table(_("By Party organisation in the enterprise"),
              [_("Enterprise"), _("Introduced"), _("Sent to awareness classes"),
               _("Admitted"), _("of whom direct production workers")],
              [[label, f.introduced, f.in_class, f.admitted, f.admitted_dp]
               for label, f in report.party_split],
              sheet=_("By Party organisation")),
        Table(_("Classes for enterprises without a Party organisation"),
              [_("Class"), _("Organised by"), _("Jointly with"), _("Starts"), _("Ends"),
               _("Members of this organisation"),
               _("from enterprises without a Party organisation"), _("of which non-state"),
               _("Certified")],
              [[r.klass.name, r.klass.organiser.name, r.klass.co_organiser, r.klass.starts_on,
                r.klass.ends_on, r.members, r.without_party, r.non_state, r.certified]
               for r in report.classes],
              sheet=_("Classes, no Party organisation")),
        Table(_("CĐCS with no introduction in %(y)d", y=year), [_("CĐCS"), _("Target")],
              ([unit.name, target] for unit, target in silent_rows),
              sheet=_("CĐCS, none introduced %(y)d", y=year)),
    ]


def export_name(node: Organisation, period: a.Period, tops: list[Organisation]) -> str:
    """ket-qua-chi-tieu-2024, ket-qua-chi-tieu-2024-quy-2; a unit below the user's own
    adds its name (ket-qua-chi-tieu-2024-cong-doan-vien-chuc-tinh)."""
    return download_name("ket-qua-chi-tieu", period.year,
                         f"quy-{period.quarter}" if period.quarter else None,
                         None if node in tops else node.name)


@bp.get("/achievement/export")
@login_required
@from_replica
def achievement_export():
    tops = roots()
    if not tops:
        abort(403)
    today = clock.today()
    node, period = union_node_in(tops, request.args.get("node")), chosen_period(today)
    report = gather(node, period, tops)
    silent_rows = db.session.execute(
        a.silent_units(current_user, today, node, period.year)
        .execution_options(yield_per=500))
    return report_export("achievement", export_name(node, period, tops),
                         export_tables(report, silent_rows),
                         {"node": node.id, "year": period.year, "quarter": period.quarter})
