"""The public notice (积分公示): the results of a period as one self-contained HTML file.

`report_html` writes, for one period or for every period of an evaluation (each starting a
new printed page): the scheme's title and the period, the listing in rank order per group
(the order of `listing`, with the table's and the CSV's results), a bar chart of the ranking
and a histogram of the scores (inline SVG drawn here: bins counted exactly with Decimal,
coordinates computed with Decimal and written to 0.01), the rules applied with the source
sentence each encodes, and how each result was reached, linked from its row. A year's
year-end results form a page of their own after its last period.

The file needs nothing outside itself: no script, no network, no external font, image or
stylesheet. It prints on A4 and names a Chinese font stack (Simplified or Traditional after
the language in use). Every text from a scheme or an input is escaped. The output depends
only on its inputs and the language (`partyscore.language`): no clock, no randomness.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any

from ._account import Entry, entries_of
from ._compile import CompiledScheme
from ._decision import DecisionRecord
from ._diagnostics import Diagnostic, RecordError
from ._expr import format_value
from ._i18n import _, current, label_text, pgettext
from ._plan import (
    BandingRule,
    EscalationRule,
    MoneyRule,
    Plan,
    RankPrizeRule,
    Rule,
    ScoreRule,
    SectionRule,
)
from ._render import dumps, listing, override_text
from ._results import Evaluation, Outcome, Result
from ._words import Words

__all__ = ["UnknownPeriod", "report_html"]

_FONTS = {
    "SC": '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", '
    '"PingFang SC", sans-serif',
    "TC": '"Noto Sans CJK TC", "Noto Sans TC", "Source Han Sans TC", "Microsoft JhengHei", '
    '"PingFang TC", sans-serif',
}
_LATIN = '"Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, '

# Characters HTML does not allow in text (C0 controls but tab, newline, form feed and
# carriage return; DEL; lone surrogates): shown as U+FFFD.
_NOT_HTML = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]")


class UnknownPeriod(RecordError):
    """`report_html` was asked for a period the evaluation has no results for."""


def _e(text: str) -> str:
    """Text (or an attribute value) escaped for HTML."""
    return html.escape(_NOT_HTML.sub("\ufffd", text), quote=True)


def _slug(text: str) -> str:
    """`text` as ASCII letters and digits, every other character as ``_<hex>_``: distinct
    texts give distinct slugs, usable in an id and a ``#`` link without further quoting."""
    return "".join(ch if ch.isascii() and ch.isalnum() else f"_{ord(ch):x}_" for ch in text)


def _anchor(prefix: str, result: Result) -> str:
    kind = "y" if result.kind == "year_end" else "p"
    return f"{prefix}-{kind}-{_slug(result.period)}-{_slug(result.subject)}"


def _width(text: str) -> int:
    """Display width in columns: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


# --------------------------------------------------------------------------- names


class _Names:
    """What the notice calls columns, bands, outcomes and rules: the scheme's labels in the
    language in use (in English too: a notice is read by people), else the id."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rules: dict[str, Rule] = {}
        self.bands: dict[tuple[str, str], Any] = {}
        for rule in (*plan.rules, *plan.year_end):
            self.rules.setdefault(rule.id, rule)
            if isinstance(rule, BandingRule):
                for band in (*rule.bands, *((rule.unbanded,) if rule.unbanded else ())):
                    self.bands[(rule.id, band.id)] = getattr(band.model, "label", None)

    def fixed(self, key: str) -> str:
        words = {
            "subject": pgettext("column", "subject"),
            "period": pgettext("column", "period"),
            "group": pgettext("column", "group"),
            "rewards": pgettext("column", "rewards"),
            "withheld": pgettext("column", "withheld"),
            "actions": pgettext("column", "actions"),
            "warnings": pgettext("column", "warnings"),
        }
        return words[key]

    def subject(self) -> str:
        label = self.plan.subject_label
        return label_text(label, self.fixed("subject")) if label else self.fixed("subject")

    def column(self, key: str) -> str:
        rule = self.rules.get(key)
        if rule is not None:
            return label_text(rule.label, key)
        item = self.plan.items.get(key)
        if item is not None:
            return label_text(item.model.label, key)
        return key

    def band(self, banding: str, band: str) -> str:
        return label_text(self.bands.get((banding, band)), band)

    def outcome(self, outcome: Outcome) -> str:
        return label_text(outcome.label, outcome.id)

    def veto(self, outcome: Outcome) -> str | None:
        """The id of the veto section that withholds a reward (`Outcome.blocked_by` reads
        ``veto <id>: <flags>``), if it names one of the scheme's."""
        found = re.match(r"veto (\S+):", outcome.blocked_by or "")
        rule = self.rules.get(found.group(1)) if found else None
        return rule.id if isinstance(rule, SectionRule) and rule.veto else None

    def group(self) -> str:
        name = self.plan.group
        if name is None:
            return self.fixed("group")
        attribute = self.plan.attributes.get(name)
        return label_text(getattr(attribute, "label", None), name)


# --------------------------------------------------------------------------- blocks


@dataclass
class _Block:
    """The results of one period (kind ``period``) or of one year end (``year_end``)."""

    period: str
    kind: str
    results: list[Result] = field(default_factory=list)


def _blocks(evaluation: Evaluation) -> list[_Block]:
    blocks: list[_Block] = []
    for result in listing(evaluation.results):
        if not blocks or (blocks[-1].period, blocks[-1].kind) != (result.period, result.kind):
            blocks.append(_Block(result.period, result.kind))
        blocks[-1].results.append(result)
    return blocks


def _in_year(period: str, year: str) -> bool:
    return period == year or period.startswith(year + "-")


def _select(blocks: list[_Block], period: str | None, evaluation: Evaluation) -> list[_Block]:
    """Every block, or those of `period`: its period and, after a year's last period, the
    year end that follows it; `period` may also name a year end (``2024``)."""
    if period is None:
        return blocks
    chosen: list[_Block] = []
    for index, block in enumerate(blocks):
        if block.period != period:
            continue
        chosen.append(block)
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        if (
            block.kind == "period"
            and after is not None
            and after.kind == "year_end"
            and _in_year(block.period, after.period)
        ):
            chosen.append(after)
    if not chosen:
        raise _unknown_period(period, blocks, evaluation)
    return list({id(b): b for b in chosen}.values())


def _input_files(evaluation: Evaluation) -> list[str]:
    files: dict[str, None] = {}
    for result in evaluation.results:
        for where in result.source.split(", "):
            file, _sep, line = where.rpartition(":")
            if file and line.isdigit():
                files.setdefault(file)
    return list(files)


def _unknown_period(period: str, blocks: list[_Block], evaluation: Evaluation) -> UnknownPeriod:
    known = list(dict.fromkeys(b.period for b in blocks))
    if known:
        message = _("unknown period {period}; the input has {periods}").format(
            period=period, periods=", ".join(known)
        )
    else:
        message = _("unknown period {period}; the input has no results").format(period=period)
    file = ", ".join(_input_files(evaluation)) or "<records>"
    return UnknownPeriod([Diagnostic(file, 0, 0, "unknown-period", message)])


# --------------------------------------------------------------------------- numbers


def _px(value: Decimal) -> str:
    """A coordinate: to 0.01 (half even), plain digits."""
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN).normalize():f}"
    return "0" if text in ("-0", "0") else text


def _nice(at_least: Decimal, smallest: Decimal = Decimal(1)) -> Decimal:
    """The smallest of ..., 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, ... (from `smallest` on)
    that is at least `at_least`."""
    step = smallest
    while True:
        for factor in (1, 2, 5):
            width = step * factor
            if width >= at_least:
                return width
        step *= 10


def _floor(value: Decimal, width: Decimal) -> Decimal:
    return (value / width).to_integral_value(rounding=ROUND_FLOOR) * width


@dataclass(frozen=True)
class Bin:
    """One bar of the histogram: the scores in [lo, hi), or [lo, hi] for the last bin of a
    declared range (its maximum counts in it)."""

    lo: Decimal
    hi: Decimal
    count: int
    closed: bool = False


def histogram(
    values: Sequence[Decimal], declared: tuple[Decimal, Decimal] | None = None
) -> list[Bin]:
    """Scores counted in bins [lo, lo + width), exactly (Decimal).

    The width is the smallest of 1, 2, 5, 10, 20, 50, ... that cuts the declared range of
    the score (e.g. 0 to 100) into at most 20 bins (5 points for 100), else the values'
    own range into at most 8 (0.1, 0.2, 0.5 too where they span less than 1). The bins
    run from the one holding the lowest value to the one holding the highest, empty ones
    included. A score at the declared maximum counts in the last bin, [95, 100]; no bin
    starts at the maximum."""
    if not values:
        return []
    with localcontext() as ctx:
        ctx.prec = 34
        low, high = min(values), max(values)
        span = high - low
        if declared is not None and declared[1] > declared[0]:
            width = _nice((declared[1] - declared[0]) / 20)
        else:
            smallest = Decimal("0.1") if 0 < span < 1 else Decimal(1)
            width = _nice(span / 8, smallest)
            while (_floor(high, width) - _floor(low, width)) / width + 1 > 8:
                width = _nice(width + width / 1000, smallest)
        top = declared[1] if declared is not None and declared[1] > declared[0] else None

        def floor(value: Decimal) -> Decimal:  # the start of the value's bin
            below = _floor(value, width)
            return below - width if value == top and below == value else below

        start = floor(low)

        def index(value: Decimal) -> int:
            return int((floor(value) - start) / width)

        count = index(high) + 1
        counts = [0] * count
        for value in values:
            counts[index(value)] += 1
        bins = [Bin(start + i * width, start + (i + 1) * width, n) for i, n in enumerate(counts)]
        if top is not None and bins[-1].hi == top:
            bins[-1] = Bin(bins[-1].lo, top, bins[-1].count, closed=True)
        return bins


def _interval(lo: Decimal, hi: Decimal, closed: bool = False) -> str:
    end = "]" if closed else ")"
    return f"[{format_value(lo.normalize())}, {format_value(hi.normalize())}{end}"


def _declared(plan: Plan, score: str) -> tuple[Decimal, Decimal] | None:
    """The range a score is declared to take, if the scheme says."""
    for rule in (*plan.rules, *plan.year_end):
        if rule.id != score:
            continue
        if isinstance(rule, ScoreRule) and rule.min is not None and rule.max is not None:
            return (rule.min, rule.max)
        if isinstance(rule, SectionRule) and rule.cap is not None and not rule.veto:
            return (Decimal(0), rule.cap)
    return None


# --------------------------------------------------------------------------- charts


def _bar_chart(
    rows: Sequence[tuple[str, Decimal, str]],
    declared: tuple[Decimal, Decimal] | None,
    title: str,
    size: int = 640,
) -> str:
    """Horizontal bars, one per subject in the order given (rank order): (subject, score,
    rank). The axis starts at 0 (or the lowest score, if below) and ends at the declared
    maximum (or the highest score, if above)."""
    values = [v for _s, v, _r in rows]
    lo = min([Decimal(0), *values])
    hi = max([*values, *((declared[1],) if declared else ())])
    if hi <= lo:
        hi = lo + 1
    if declared is None:  # end the axis on a round number
        step = _nice((hi - lo) / 5)
        hi = (hi / step).to_integral_value(rounding=ROUND_CEILING) * step
    names = [s if _width(s) <= 36 else s[:17] + "…" for s, _v, _r in rows]
    label_w = Decimal(min(240, max(60, 8 + 6 * max(_width(n) for n in names))))
    width, row_h, top = Decimal(size), Decimal(18), Decimal(6)
    plot_w = width - label_w - 70
    height = top + row_h * len(rows) + 24

    with localcontext() as ctx:
        ctx.prec = 34

        def x(value: Decimal) -> Decimal:
            return Decimal(label_w + (value - lo) * plot_w / (hi - lo))

        out = [
            f'<svg class="chart bar-chart" viewBox="0 0 {_px(width)} {_px(height)}" '
            f'width="{_px(width)}" height="{_px(height)}" role="img">',
            f"<title>{_e(title)}</title>",
        ]
        step = _nice((hi - lo) / 5)
        tick = (lo / step).to_integral_value(rounding=ROUND_CEILING) * step
        axis_y = top + row_h * len(rows) + 4
        while tick <= hi:
            tx = _px(x(tick))
            out.append(
                f'<line class="grid" x1="{tx}" y1="{_px(top)}" x2="{tx}" y2="{_px(axis_y)}"/>'
                f'<text class="tick" x="{tx}" y="{_px(axis_y + 14)}" text-anchor="middle">'
                f"{_e(format_value(tick.normalize()))}</text>"
            )
            tick += step
        zero = x(Decimal(0))
        for index, ((subject, value, rank), name) in enumerate(zip(rows, names, strict=True)):
            y = top + row_h * index
            left, right = (x(value), zero) if value < 0 else (zero, x(value))
            out.append(
                f'<g class="row"><text class="name" x="{_px(label_w - 6)}" '
                f'y="{_px(y + 13)}" text-anchor="end">{_e(name)}</text>'
                f'<rect class="bar" data-subject="{_e(subject)}" '
                f'data-value="{_e(format_value(value))}" '
                f'data-rank="{_e(rank)}" x="{_px(left)}" y="{_px(y + 3)}" '
                f'width="{_px(right - left)}" height="{_px(row_h - 5)}">'
                f"<title>{_e(subject)}: {_e(format_value(value))}</title></rect>"
                f'<text class="value" x="{_px(max(right, zero) + 4)}" y="{_px(y + 13)}">'
                f"{_e(format_value(value))}</text></g>"
            )
        out.append(
            f'<line class="axis" x1="{_px(zero)}" y1="{_px(top)}" x2="{_px(zero)}" '
            f'y2="{_px(axis_y)}"/></svg>'
        )
    return "".join(out)


def _histogram_chart(bins: Sequence[Bin], title: str, size: int = 640) -> str:
    """Vertical bars, one per bin, the count above each and the interval below (the lower
    bound alone where bars are narrow)."""
    width, height = Decimal(size), Decimal(150)
    left, right, top, bottom = Decimal(40), Decimal(10), Decimal(16), Decimal(30)
    plot_w, plot_h = width - left - right, height - top - bottom
    most = max(b.count for b in bins) or 1
    slot = plot_w / len(bins)
    out = [
        f'<svg class="chart histogram" viewBox="0 0 {_px(width)} {_px(height)}" '
        f'width="{_px(width)}" height="{_px(height)}" role="img">',
        f"<title>{_e(title)}</title>",
    ]
    with localcontext() as ctx:
        ctx.prec = 34
        step = max(Decimal(1), _nice(Decimal(most) / 5))
        tick = Decimal(0)
        while tick <= most:
            ty = top + plot_h - plot_h * tick / most
            out.append(
                f'<line class="grid" x1="{_px(left)}" y1="{_px(ty)}" x2="{_px(width - right)}" '
                f'y2="{_px(ty)}"/><text class="tick" x="{_px(left - 6)}" y="{_px(ty + 4)}" '
                f'text-anchor="end">{_e(format_value(tick))}</text>'
            )
            tick += step
        for index, b in enumerate(bins):
            bar_h = plot_h * b.count / most
            bx = left + slot * index
            mid = bx + slot / 2
            label = _interval(b.lo, b.hi, b.closed)
            shown = label if slot >= 64 else format_value(b.lo.normalize())
            out.append(
                f'<g class="bin-group"><rect class="bin" data-lo="{_e(format_value(b.lo))}" '
                f'data-hi="{_e(format_value(b.hi))}" data-count="{b.count}" '
                f'x="{_px(bx + 2)}" y="{_px(top + plot_h - bar_h)}" width="{_px(slot - 4)}" '
                f'height="{_px(bar_h)}"><title>{_e(label)}: {b.count}</title></rect>'
                f'<text class="count" x="{_px(mid)}" y="{_px(top + plot_h - bar_h - 4)}" '
                f'text-anchor="middle">{b.count}</text>'
                f'<text class="tick" x="{_px(mid)}" y="{_px(top + plot_h + 16)}" '
                f'text-anchor="middle">{_e(shown)}</text></g>'
            )
        out.append(
            f'<line class="axis" x1="{_px(left)}" y1="{_px(top + plot_h)}" '
            f'x2="{_px(width - right)}" y2="{_px(top + plot_h)}"/></svg>'
        )
    return "".join(out)


# --------------------------------------------------------------------------- the page


@dataclass
class _Columns:
    scores: list[str]
    bands: list[str]
    values: list[str]
    ranks: list[str]
    money: list[str]


def _columns(plan: Plan, block: _Block) -> _Columns:
    """The columns of a block's listing: the scheme's scores, bands, band fields and ranks
    any of its results has, and the money rewards of its kind of rules."""
    results = block.results
    year_end = block.kind == "year_end"
    rules = plan.year_end if year_end else plan.rules
    names = [r.id for r in rules if isinstance(r, ScoreRule | SectionRule)]
    names += [k for r in results for k in r.scores if k not in names]
    money = [r.id for r in rules if isinstance(r, MoneyRule | RankPrizeRule)]
    money += [
        o.id for r in results for o in r.rewards if o.amount is not None and o.id not in money
    ]

    def present(keys: Iterable[str], attr: str) -> list[str]:
        keys = list(dict.fromkeys(keys))
        return [k for k in keys if any(k in getattr(r, attr) for r in results)]

    return _Columns(
        present(names, "scores"),
        present([*(b.id for b in plan.bandings), *(k for r in results for k in r.bands)], "bands"),
        present([*plan.field_names, *(k for r in results for k in r.values)], "values"),
        present([*(r.id for r in plan.rankings), *(k for r in results for k in r.ranks)], "ranks"),
        list(dict.fromkeys(money)),
    )


def _chart_score(plan: Plan, block: _Block, columns: _Columns) -> str | None:
    """The score the charts show: the first ranking's, else the first banding's, else the
    last score of the listing."""
    for ranking in plan.rankings:
        if ranking.id in columns.ranks and ranking.score in columns.scores:
            return ranking.score
    for banding in plan.bandings:
        if banding.id in columns.bands and banding.score in columns.scores:
            return banding.score
    return columns.scores[-1] if columns.scores else None


def _currency(code: str) -> str:
    """A currency as the notice writes it: the ISO code, or the catalogue's word (元)."""
    # TRANSLATORS: the currency after an amount in the public notice (Chinese: 元)
    words = {"CNY": pgettext("currency", "CNY")}
    return words.get(code, code)


def _money(amount: Decimal, currency: str | None) -> str:
    """An amount with its currency: ``600.00 CNY`` (the catalogue may write 600.00元)."""
    if not currency:
        return format_value(amount)
    # TRANSLATORS: an amount and its currency, e.g. "600.00 CNY" (Chinese: "{amount}{currency}")
    return _("{amount} {currency}").format(
        amount=format_value(amount), currency=_currency(currency)
    )


class _Page:
    """One period's (or one year end's) notice."""

    def __init__(
        self,
        scheme: CompiledScheme,
        block: _Block,
        names: _Names,
        entries: Mapping[tuple[str, str, str], tuple[Entry, ...]] | None = None,
    ) -> None:
        self.scheme = scheme
        self.entries = entries or {}
        self.plan = scheme.plan
        self.block = block
        self.names = names
        self.columns = _columns(self.plan, block)
        self.out: list[str] = []
        self.flagged = False
        # A withheld column where a veto can withhold (or, built by hand, something was).
        self.vetoes = any(isinstance(r, SectionRule) and r.veto for r in self.plan.rules) or any(
            r.withheld for r in block.results
        )

    def write(self) -> str:
        block = self.block
        year_end = block.kind == "year_end"
        kind = "year-end" if year_end else "period"
        self.out.append(
            f'<section class="page {kind}" id="{_e("page-" + kind + "-" + _slug(block.period))}" '
            f'data-period="{_e(block.period)}" data-kind="{_e(block.kind)}">'
        )
        self.header()
        self.listing()
        self.charts()
        self.rules()
        self.explanations()
        self.out.append("</section>")
        return "\n".join(self.out)

    # -- header

    def header(self) -> None:
        names, block, model = self.names, self.block, self.scheme.model
        kicker = _("Public notice of scores")
        what = ""
        if block.kind == "year_end":
            year_end = model.year_end
            label = label_text(year_end.label if year_end else None, _("year end"))
            what = f' <span class="what">{_e(label)}</span>'
        title = label_text(model.title, model.id)
        count = len(block.results)
        self.out.append(
            '<header class="head">'
            f'<p class="kicker">{_e(kicker)}</p>'
            f'<h1 class="title">{_e(title)}</h1>'
            f'<p class="period"><span class="key">{_e(names.fixed("period"))}</span> '
            f'<strong class="period-label">{_e(block.period)}</strong>{what}</p>'
            f'<p class="meta">{_e(names.subject())}: {count} · '
            + _e(_("scheme {id}, version {version}").format(id=model.id, version=model.version))
            + "</p></header>"
        )

    # -- listing

    def listing(self) -> None:
        names, columns = self.names, self.columns
        heading = _("Listing")
        self.out.append(f'<section class="listing"><h2>{_e(heading)}</h2>')
        groups: dict[str | None, list[Result]] = {}
        for result in self.block.results:
            groups.setdefault(result.group, []).append(result)
        head = [
            *(
                f'<th class="rank" data-key="{_e(k)}">{_e(names.column(k))}</th>'
                for k in columns.ranks
            ),
            f'<th class="subject">{_e(names.subject())}</th>',
            *(
                f'<th class="score" data-key="{_e(k)}">{_e(names.column(k))}</th>'
                for k in columns.scores
            ),
            *(
                f'<th class="band" data-key="{_e(k)}">{_e(names.column(k))}</th>'
                for k in columns.bands
            ),
            *(
                f'<th class="value" data-key="{_e(k)}">{_e(names.column(k))}</th>'
                for k in columns.values
            ),
            *(
                f'<th class="money" data-key="{_e(k)}">{_e(names.column(k))}</th>'
                for k in columns.money
            ),
            f'<th class="rewards">{_e(names.fixed("rewards"))}</th>',
            f'<th class="actions">{_e(names.fixed("actions"))}</th>',
        ]
        if self.vetoes:
            head.insert(-1, f'<th class="withheld">{_e(names.fixed("withheld"))}</th>')
        self.flagged = any(r.warnings for r in self.block.results)
        if self.flagged:
            head.append(f'<th class="flag">{_e(names.fixed("warnings"))}</th>')
        for group, results in groups.items():
            if group is not None:
                self.out.append(
                    f'<h3 class="group" data-group="{_e(group)}">'
                    f"{_e(names.group())}: {_e(group)}</h3>"
                )
            group_attr = f' data-group="{_e(group)}"' if group is not None else ""
            wide = " wide" if len(head) > 9 else ""
            self.out.append(
                f'<table class="listing{wide}"{group_attr}><thead><tr>'
                + "".join(head)
                + "</tr></thead><tbody>"
            )
            for result in results:
                self.out.append(self.row(result))
            self.out.append("</tbody>" + self.totals(results, len(head)) + "</table>")
        if self.flagged:
            self.out.append(
                '<p class="legend"><span class="warn">[!]</span> '
                + _e(_("this result may not be final: see why in its explanation below"))
                + "</p>"
            )
        self.out.append("</section>")

    def row(self, r: Result) -> str:
        names, columns = self.names, self.columns
        cells: list[str] = []
        for key in columns.ranks:
            rank = str(r.ranks[key]) if key in r.ranks else ""
            cells.append(f'<td class="rank num" data-key="{_e(key)}">{_e(rank)}</td>')
        cells.append(f'<td class="subject"><a href="#{_anchor("x", r)}">{_e(r.subject)}</a></td>')
        for key in columns.scores:
            text = format_value(r.scores[key]) if key in r.scores else ""
            cells.append(f'<td class="score num" data-key="{_e(key)}">{_e(text)}</td>')
        for key in columns.bands:
            band = r.bands.get(key)
            text = names.band(key, band) if band is not None else ""
            data = f' data-band="{_e(band)}"' if band is not None else ""
            cells.append(f'<td class="band" data-key="{_e(key)}"{data}>{_e(text)}</td>')
        for key in columns.values:
            text = format_value(r.values[key]) if key in r.values else ""
            cells.append(f'<td class="value num" data-key="{_e(key)}">{_e(text)}</td>')
        paid = {o.id: o for o in r.rewards if o.amount is not None}
        for key in columns.money:
            outcome = paid.get(key)
            if outcome is None or outcome.amount is None:
                cells.append(f'<td class="money num" data-key="{_e(key)}"></td>')
                continue
            cells.append(
                f'<td class="money num" data-key="{_e(key)}" '
                f'data-amount="{_e(format_value(outcome.amount))}" '
                f'data-currency="{_e(outcome.currency or "")}">'
                f"{_e(_money(outcome.amount, outcome.currency))}</td>"
            )
        others = [o for o in r.rewards if o.id not in paid or o.id not in columns.money]
        cells.append(f'<td class="rewards">{self.outcomes(others, "reward")}</td>')
        if self.vetoes:
            cells.append(f'<td class="withheld">{self.outcomes(r.withheld, "withheld")}</td>')
        cells.append(f'<td class="actions">{self.outcomes(r.actions, "action")}</td>')
        if self.flagged:
            flag = ""
            if r.warnings:
                flag = f'<span class="warn" title="{_e(chr(10).join(r.warnings))}">[!]</span>'
            cells.append(f'<td class="flag">{flag}</td>')
        warned = ' class="has-warning"' if r.warnings else ""
        return (
            f'<tr id="{_anchor("r", r)}"{warned} data-subject="{_e(r.subject)}">'
            + "".join(cells)
            + "</tr>"
        )

    def outcomes(self, outcomes: Iterable[Outcome], kind: str) -> str:
        """Outcomes by label (money with its amount), each once; withheld rewards followed
        by the veto that withholds them."""
        shown: list[str] = []
        seen: set[str] = set()
        vetoes: dict[str, None] = {}
        for o in outcomes:
            text = self.names.outcome(o)
            if o.amount is not None:
                text += " " + _money(o.amount, o.currency)
            veto = self.names.veto(o)
            if veto is not None:
                vetoes.setdefault(self.names.column(veto))
            if text in seen:
                continue
            seen.add(text)
            step = f' data-step="{o.step}"' if o.step is not None else ""
            title = f' title="{_e(o.blocked_by)}"' if o.blocked_by else ""
            shown.append(
                f'<span class="outcome {kind}" data-id="{_e(o.id)}" '
                f'data-rule="{_e(o.rule)}"{step}{title}>{_e(text)}</span>'
            )
        joined = ", ".join(shown) if current() == "en" else "、".join(shown)
        if kind == "withheld" and vetoes:
            by = _("withheld by {veto}").format(veto=", ".join(vetoes))
            joined += f' <span class="veto">({_e(by)})</span>'
        return joined

    def totals(self, results: list[Result], width: int) -> str:
        """A footer row with the sum of each money column (per currency), where any is paid."""
        columns = self.columns
        sums: dict[str, dict[str, Decimal]] = {}
        for r in results:
            for o in r.rewards:
                if o.amount is not None and o.id in columns.money:
                    per = sums.setdefault(o.id, {})
                    per[o.currency or ""] = per.get(o.currency or "", Decimal(0)) + o.amount
        if not sums:
            return ""
        before = len(columns.ranks) + 1 + len(columns.scores) + len(columns.bands)
        before += len(columns.values)
        total = _("Total")
        cells = [f'<th class="total-label" colspan="{before}">{_e(total)}</th>']
        for key in columns.money:
            per = sums.get(key, {})
            text = ", ".join(_money(amount, currency) for currency, amount in per.items())
            data = ""
            if len(per) == 1:
                ((currency, amount),) = per.items()
                data = f' data-amount="{_e(format_value(amount))}" data-currency="{_e(currency)}"'
            cells.append(f'<td class="money num total" data-key="{_e(key)}"{data}>{_e(text)}</td>')
        rest = width - before - len(columns.money)
        cells.append(f'<td colspan="{rest}"></td>')
        return "<tfoot><tr>" + "".join(cells) + "</tr></tfoot>"

    # -- charts

    def charts(self) -> None:
        score = _chart_score(self.plan, self.block, self.columns)
        if score is None:
            return
        label = self.names.column(score)
        declared = _declared(self.plan, score)
        rank_key = self.columns.ranks[0] if self.columns.ranks else None
        groups: dict[str | None, list[Result]] = {}
        for result in self.block.results:
            if score in result.scores:
                groups.setdefault(result.group, []).append(result)
        # A short ranking (one group, a dozen subjects) and the histogram share a row.
        small = len(groups) == 1 and sum(len(g) for g in groups.values()) <= 12
        size = 320 if small else 640
        heading = _("Charts")
        self.out.append(
            f'<section class="charts{" side-by-side" if small else ""}">'
            f'<h2>{_e(heading)}</h2><div class="figures">'
        )
        ranked = self.block.kind == "period" and rank_key is not None
        for group, results in groups.items():
            if ranked:
                title = _("Ranking by {score}").format(score=label)
            else:
                title = _("{score} by subject").format(score=label)
            if group is not None:
                title += f" · {self.names.group()}: {group}"
            rows = [
                (
                    r.subject,
                    r.scores[score],
                    str(r.ranks[rank_key]) if rank_key and rank_key in r.ranks else "",
                )
                for r in results
            ]
            group_attr = f' data-group="{_e(group)}"' if group is not None else ""
            self.out.append(
                f'<figure class="ranking"{group_attr} data-score="{_e(score)}">'
                f"{_bar_chart(rows, declared, title, size)}"
                f"<figcaption>{_e(title)}</figcaption></figure>"
            )
        values = [r.scores[score] for r in self.block.results if score in r.scores]
        bins = histogram(values, declared)
        if bins:
            bin_width = format_value((bins[0].hi - bins[0].lo).normalize())
            title = _("Distribution of {score} ({width}-point bins)").format(
                score=label, width=bin_width
            )
            self.out.append(
                f'<figure class="distribution" data-score="{_e(score)}" '
                f'data-width="{_e(bin_width)}">{_histogram_chart(bins, title, size)}'
                f"<figcaption>{_e(title)}</figcaption></figure>"
            )
        self.out.append("</div></section>")

    # -- rules applied

    def rules(self) -> None:
        plan, names, columns = self.plan, self.names, self.columns
        wanted: dict[str, set[int]] = {}  # rule id -> escalation steps applied
        for key in (*columns.scores, *columns.bands, *columns.ranks):
            wanted.setdefault(key, set())
        for r in self.block.results:
            for outcome in (*r.rewards, *r.withheld, *r.actions):
                for o in (outcome, *outcome.also):
                    steps = wanted.setdefault(o.rule, set())
                    if o.step is not None:
                        steps.add(o.step)
                    veto = names.veto(o)
                    if veto is not None:
                        wanted.setdefault(veto, set())
        order: list[Rule] = [*plan.rules, *plan.year_end]
        if self.block.kind == "year_end":
            order = [*plan.year_end, *plan.rules]
        rules: list[Rule] = []
        for rule in order:
            if rule.id in wanted and all(rule.id != seen.id for seen in rules):
                rules.append(rule)
        if not rules:
            return
        heading, rule_word, id_word, source_word = (
            _("Rules applied"),
            _("Rule"),
            _("Id"),
            _("Source"),
        )
        intro = _(
            "Each rule that decided a column or an outcome of this listing, with the "
            "sentence of the source it encodes."
        )
        self.out.append(
            f'<section class="rules"><h2>{_e(heading)}</h2>'
            f'<p class="intro">{_e(intro)}</p>'
            '<table class="rules"><thead><tr>'
            f"<th>{_e(rule_word)}</th><th>{_e(id_word)}</th><th>{_e(source_word)}</th>"
            "</tr></thead><tbody>"
        )
        for rule in rules:
            source = getattr(rule.model, "source", None)
            cited = (
                f'<q class="source">{_e(source)}</q>' if source else '<span class="none">—</span>'
            )
            if isinstance(rule, EscalationRule):
                for number in sorted(wanted[rule.id]):
                    if not 1 <= number <= len(rule.steps):
                        continue
                    step = rule.steps[number - 1]
                    step_source = _step_source(rule, number)
                    text = _("step {n}: {label}").format(
                        n=number, label=label_text(step.label, step.action)
                    )
                    cited += f'<br><span class="step" data-step="{number}">{_e(text)}'
                    if step_source:
                        cited += f' <q class="source">{_e(step_source)}</q>'
                    cited += "</span>"
            self.out.append(
                f'<tr data-rule="{_e(rule.id)}"><td class="label">{_e(names.column(rule.id))}</td>'
                f'<td class="id"><code>{_e(rule.id)}</code></td><td>{cited}</td></tr>'
            )
        self.out.append("</tbody></table></section>")

    # -- explanations

    def explanations(self) -> None:
        names = self.names
        heading = _("How each result was reached")
        self.out.append(f'<section class="explanations"><h2>{_e(heading)}</h2>')
        for r in self.block.results:
            parts = [
                f'<article class="explain" id="{_anchor("x", r)}" data-subject="{_e(r.subject)}">'
                f'<h3><a class="back" href="#{_anchor("r", r)}">{_e(r.subject)}</a>'
            ]
            if r.group is not None:
                parts.append(f' <span class="group">{_e(names.group())}: {_e(r.group)}</span>')
            if r.source:
                source = _("input: {where}").format(where=r.source)
                parts.append(f' <span class="where">{_e(source)}</span>')
            parts.append("</h3><dl>")
            entries = self.entries.get((r.subject, r.period, r.kind))
            if entries is None:  # results built by hand: their own explanations
                for key, line in r.explain.items():
                    label = names.column(key)
                    shown = label if label == key else f"{label} ({key})"
                    parts.append(f"<dt>{_e(shown)}</dt><dd>{_e(line)}</dd>")
                for outcome in (*r.rewards, *r.withheld, *r.actions):
                    parts.append(
                        f'<dt class="outcome">{_e(names.outcome(outcome))} '
                        f"({_e(outcome.id)})</dt><dd>{_e(outcome.because)}</dd>"
                    )
            else:
                parts.extend(_entry_html(e) for e in entries)
            for warning in r.warnings:
                parts.append(
                    f'<dt class="warn">[!] {_e(names.fixed("warnings"))}</dt>'
                    f'<dd class="warn">{_e(warning)}</dd>'
                )
            parts.append("</dl></article>")
            self.out.append("".join(parts))
        self.out.append("</section>")


def _entry_html(entry: Entry) -> str:
    """One rule's part in a result, as `partyscore explain` writes it: the rule and what it
    gave, then how (with the values it read) and what the account adds (the distance to
    the bands above and below, the subjects tied, the periods counted, an override)."""
    label = entry.name if entry.name == entry.rule else f"{entry.name} ({entry.rule})"
    if entry.kind == "not_applied":
        shown = _("{rule}: not applied").format(rule=label)
    elif entry.kind == "overridden":
        shown = _("{rule}: removed by an override").format(rule=label)
    else:
        shown = _("{name}: {value}").format(name=label, value=entry.value)
    kind = {"reward": "outcome", "action": "outcome", "withheld": "outcome"}.get(entry.kind, "")
    kind = kind or ("not-applied" if entry.kind in ("not_applied", "overridden") else "")
    css = f' class="{kind}"' if kind else ""
    notes = "".join(f'<br><span class="note">{_e(n)}</span>' for n in entry.notes)
    return (
        f'<dt{css} data-rule="{_e(entry.rule)}">{_e(shown)}</dt>'
        f"<dd{css}>{_e(entry.how)}{notes}</dd>"
    )


def _step_source(rule: EscalationRule, number: int) -> str | None:
    step = rule.steps[number - 1]
    for model in getattr(rule.model, "steps", ()):
        if model.at == step.at and model.action == step.action:
            source = getattr(model, "source", None)
            return source if isinstance(source, str) else None
    return None


# --------------------------------------------------------------------------- document

_CSS = """\
@page { size: A4; margin: 12mm 13mm 13mm; }
* { box-sizing: border-box; }
html { font-family: FONTS; color: #111; background: #fff;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 184mm; padding: 6mm 0 12mm; font-size: 10pt;
  line-height: 1.35; }
.page + .page { break-before: page; page-break-before: always; }
.head { border-bottom: 2px solid #b3141b; margin-bottom: 4mm; text-align: center; }
.kicker { color: #b3141b; font-size: 11pt; letter-spacing: 0.2em; margin: 0; }
h1 { font-size: 16pt; margin: 1mm 0; }
h2 { font-size: 12pt; border-left: 4px solid #b3141b; padding-left: 2mm; margin: 4mm 0 1.5mm; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; }
.period, .meta { margin: 0.5mm 0; }
.meta { color: #555; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 0.5pt solid #777; padding: 1px 4px; vertical-align: top; }
th { background: #f3e3e3; font-weight: bold; text-align: center; }
html[lang="en"] th::first-letter, html[lang="en"] .key::first-letter {
  text-transform: uppercase; }
.key { display: inline-block; }
th.score, th.value, th.rank, th.money, th.band { min-width: 3.6em; }
th { overflow-wrap: break-word; hyphens: auto; }
td.rewards, td.withheld, td.actions { min-width: 6em; }
table.listing.wide { font-size: 7.5pt; }
table.listing.wide th, table.listing.wide td { overflow-wrap: anywhere; }
.veto { color: #666; }
thead { display: table-header-group; }
tfoot { display: table-row-group; }
tr, figure, article.explain, .legend { break-inside: avoid; page-break-inside: avoid; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.subject { white-space: nowrap; }
.outcome.reward { color: #b3141b; font-weight: bold; }
.outcome.withheld { color: #666; text-decoration: line-through; }
.outcome.action { color: #7a4b00; }
.warn { color: #c00; font-weight: bold; }
tr.has-warning td { background: #fff0f0; }
a { color: inherit; }
figure { margin: 1mm 0 2mm; }
.side-by-side .figures { display: grid; grid-template-columns: 1fr 1fr; column-gap: 5mm;
  align-items: end; }
.rules .intro { margin: 0 0 1mm; font-size: 9pt; color: #444; }
figcaption { font-size: 9pt; color: #444; text-align: center; }
svg.chart { display: block; width: 100%; height: auto; font-family: inherit; }
svg text { font-size: 11px; fill: #111; }
svg .tick { font-size: 10px; fill: #444; }
svg .grid { stroke: #ddd; stroke-width: 0.5; }
svg .axis { stroke: #333; stroke-width: 1; }
rect.bar { fill: #c8161d; }
rect.bin { fill: #d9534f; }
table.rules td.id { white-space: nowrap; }
q.source { quotes: "「" "」"; }
.step { color: #444; }
.explanations { font-size: 8.5pt; line-height: 1.3; }
article.explain { border-top: 0.5pt solid #bbb; padding: 1mm 0; }
article.explain h3 { margin: 0; font-size: 9.5pt; }
article.explain h3 .group, article.explain h3 .where { font-weight: normal; color: #666;
  font-size: 8pt; margin-left: 2mm; }
article.explain dl { margin: 0; display: grid; grid-template-columns: max-content 1fr;
  column-gap: 3mm; }
article.explain dt { color: #555; }
article.explain dd { margin: 0; overflow-wrap: anywhere; }
article.explain .not-applied { color: #888; }
article.explain .note { color: #333; font-style: italic; }
.notes { font-size: 9pt; }
.foot { margin-top: 6mm; font-size: 8pt; color: #777; text-align: center; }
.record { margin-top: 6mm; font-size: 8pt; color: #555; break-inside: avoid; }
.record h2 { font-size: 10pt; }
.record th { text-align: left; font-weight: normal; padding-right: 4mm; }
.record code { word-break: break-all; }
@media print {
  body { max-width: none; padding: 0; }
  a { text-decoration: none; }
}
"""


def _font_stack(scheme: CompiledScheme) -> str:
    lang = current()
    if lang == "zh-Hans":
        return _FONTS["SC"]
    if lang == "zh-Hant":
        return _FONTS["TC"]
    title = scheme.model.title
    script = "TC" if title.zh_hant is not None and title.zh_hans is None else "SC"
    return _LATIN + _FONTS[script]


def _notes(evaluation: Evaluation) -> str:
    """The evaluation's warnings that are not a result's own (those its row flags), and
    every decision made by people after the rules ran (overrides)."""
    own = {f"{r.subject} {r.period}: {w}" for r in evaluation.results for w in r.warnings}
    notes = [w for w in evaluation.warnings if w not in own]
    words = Words(evaluation.plan)
    overridden = [
        f"{r.subject} {r.period}: {override_text(a, words)}"
        for r in listing(evaluation.results)
        for a in r.overrides or ()
    ]
    if not notes and not overridden:
        return ""
    parts = []
    if notes:
        items = "".join(f"<li>{_e(w)}</li>" for w in notes)
        heading = _("Notes on the evaluation")
        parts.append(f"<h2>{_e(heading)}</h2><ul>{items}</ul>")
    if overridden:
        items = "".join(f"<li>{_e(w)}</li>" for w in overridden)
        heading = _("Decisions made after the rules ran (overrides)")
        parts.append(f'<h2>{_e(heading)}</h2><ul class="overrides">{items}</ul>')
    return '<section class="notes">' + "".join(parts) + "</section>"


def report_html(
    scheme: CompiledScheme,
    evaluation: Evaluation,
    period: str | None = None,
    *,
    record: DecisionRecord | None = None,
) -> str:
    """The public notice (公示) of `evaluation` as one self-contained HTML document, in the
    language in use (`partyscore.language`): for `period` (a period label such as
    ``2024-Q1``, or a year such as ``2024`` for its year-end results) or, without one, for
    every period, each on its own printed page.

    A page holds the scheme's title and the period; the listing in rank order per group
    with scores, bands (by label), ranks, money with its currency, rewards, withheld rewards
    and actions (by label), results with warnings flagged ``[!]``; a bar chart of the
    ranking and a histogram of the scores (inline SVG); the rules applied, each with the
    source sentence it encodes; and each result's explanation, linked from its row. The
    year-end results of a year follow its last period (or stand alone for ``2024``).

    Raises:
        UnknownPeriod: (a `RecordError`) when `period` is not among the evaluation's, with
            one diagnostic ``unknown-period`` naming the input file(s) and the periods the
            input has.
    """
    plan = scheme.plan
    names = _Names(plan)
    blocks = _blocks(evaluation)
    chosen = _select(blocks, period, evaluation)
    model = scheme.model
    title = label_text(model.title, model.id)
    lang = current()
    entries = entries_of(scheme, evaluation)
    heading = _("Public notice of scores")
    doc_title = " · ".join([title, heading, *(b.period for b in chosen)])
    from . import __version__

    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="partyscore {_e(__version__)}">',
        f"<title>{_e(doc_title)}</title>",
        "<style>\n" + _CSS.replace("FONTS", _font_stack(scheme)) + "</style>",
        "</head>",
        "<body>",
    ]
    for block in chosen:
        parts.append(_Page(scheme, block, names, entries).write())
    if not chosen:
        empty = _("The input has no results.")
        parts.append(
            '<section class="page empty"><header class="head">'
            f'<p class="kicker">{_e(heading)}</p><h1 class="title">{_e(title)}</h1></header>'
            f"<p>{_e(empty)}</p></section>"
        )
    parts.append(_notes(evaluation))
    if record is not None:
        parts.append(_record(record))
    parts.append(
        '<footer class="foot">'
        + _e(
            _(
                "Written by partyscore {version} from scheme {id}, version {version_of_scheme}."
            ).format(version=__version__, id=model.id, version_of_scheme=model.version)
        )
        + "</footer>"
    )
    parts.append("</body>\n</html>\n")
    return "\n".join(p for p in parts if p)


def _record(record: DecisionRecord) -> str:
    """The decision record: a small table a reader can check the files against, and the
    record as JSON (``<script type="application/json" id="decision-record">``) for tools."""
    rows = "".join(
        f"<tr><th>{_e(name)}</th><td><code>{_e(value)}</code></td></tr>"
        for name, value in record.rows()
    )
    data = dumps(record.to_dict(), 0).replace("</", "<\\/")
    heading = _("Decision record")
    return (
        f'<section class="record"><h2>{_e(heading)}</h2>'
        f'<table class="record">{rows}</table>'
        f'<script type="application/json" id="decision-record">{data}</script></section>'
    )
