"""The impact of a rule change: two schemes evaluated on the same records, and every result
whose scores, bands, ranks, rewards or actions change, with the money that moves.

`check_fit` refuses two schemes whose records are not the same (period kind, attributes,
items); `scheme_changes` lists what differs between the two schemes' rules (their labels,
sources and notes aside); `compare` lists each change of each result and sums the money.
Rendering (`to_table`, `to_csv`, `to_json`) is in the language in use.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, SchemeError
from ._expr import format_value
from ._i18n import _
from ._render import _width, dumps
from ._results import Evaluation, Outcome, Result
from ._words import Words

__all__ = ["Change", "Impact", "check_fit", "compare", "scheme_changes"]

_NOTES = frozenset(
    {"label", "source", "assumed", "description", "title", "reading", "field_labels"}
)
"""Keys of a scheme that explain it and never change a result."""


def check_fit(old: CompiledScheme, new: CompiledScheme) -> None:
    """Both schemes read the same records: the same period kind, the same attributes
    (names, types, enum values) and the same items (ids and types).

    Raises:
        SchemeError: naming each difference, against the new scheme's file.
    """
    problems = []

    def problem(path: str, message: str) -> None:
        problems.append(Diagnostic(new.file, 0, 0, "schemes-do-not-fit", message, path))

    if old.model.period != new.model.period:
        problem(
            "period",
            _("the old scheme has periods of kind {old}, the new one of kind {new}").format(
                old=old.model.period, new=new.model.period
            ),
        )
    olds, news = old.model.subject.attributes, new.model.subject.attributes
    for name in [*olds, *(n for n in news if n not in olds)]:
        if name not in news:
            problem(f"subject.attributes.{name}", _("only the old scheme has this attribute"))
        elif name not in olds:
            problem(f"subject.attributes.{name}", _("only the new scheme has this attribute"))
        else:
            a, b = olds[name], news[name]
            if (a.type, tuple(a.values or ())) != (b.type, tuple(b.values or ())):
                problem(
                    f"subject.attributes.{name}",
                    _("the attribute is {old} in the old scheme and {new} in the new one").format(
                        old=_attribute(a), new=_attribute(b)
                    ),
                )
    old_items, new_items = old.plan.items, new.plan.items
    for item in [*old_items, *(i for i in new_items if i not in old_items)]:
        if item not in new_items:
            problem(f"items.{item}", _("only the old scheme has this item"))
        elif item not in old_items:
            problem(f"items.{item}", _("only the new scheme has this item"))
        elif old_items[item].type != new_items[item].type:
            problem(
                f"items.{item}",
                _("the item is a {old} in the old scheme and a {new} in the new one").format(
                    old=old_items[item].type, new=new_items[item].type
                ),
            )
    if problems:
        raise SchemeError(problems)


def _attribute(attribute: Any) -> str:
    if attribute.values:
        return f"{attribute.type} ({', '.join(attribute.values)})"
    return str(attribute.type)


def scheme_changes(
    old: CompiledScheme, new: CompiledScheme
) -> list[tuple[str, str | None, str | None]]:
    """(key path, old value, new value; None where a scheme has no such setting) of every
    rule setting that differs, list entries named by their id
    (``bands[grade].bands[neither].above``); labels, sources and notes aside."""
    before, after = (_rules(s.model.model_dump(mode="json")) for s in (old, new))
    return list(_leaves("", before, after))


def _rules(data: Any) -> Any:
    """The scheme's data without what only explains it, lists of entries keyed by id."""
    if isinstance(data, Mapping):
        return {k: _rules(v) for k, v in data.items() if k not in _NOTES}
    if isinstance(data, list) and data and all(isinstance(v, Mapping) and "id" in v for v in data):
        return {f"[{v['id']}]": _rules(v) for v in data}
    if (
        isinstance(data, list)
        and data
        and all(isinstance(v, Mapping) and "rank" in v for v in data)
    ):
        return {f"[rank {v['rank']}]": _rules(v) for v in data}  # rank prizes
    if isinstance(data, list):
        return [_rules(v) for v in data]
    return data


def _leaves(path: str, old: Any, new: Any) -> Iterator[tuple[str, str | None, str | None]]:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*old, *new]):
            joiner = "" if key.startswith("[") or not path else "."
            yield from _leaves(f"{path}{joiner}{key}", old.get(key), new.get(key))
        return
    yield path, _text(old), _text(new)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return dumps(value).replace("\n", " ").replace("  ", "")


@dataclass(frozen=True)
class Change:
    """One change of one result: `what` is ``score``, ``band``, ``value``, ``rank``,
    ``reward``, ``withheld`` or ``action``; `rule` the id of the rule whose outcome changed;
    `old` and `new` the outcome as shown (None: none)."""

    subject: str
    period: str
    kind: str
    what: str
    rule: str
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "period": self.period,
            "kind": self.kind,
            "what": self.what,
            "rule": self.rule,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class Impact:
    """What a rule change does to the results of the same records."""

    old: CompiledScheme
    new: CompiledScheme
    rules: tuple[tuple[str, str | None, str | None], ...]
    changes: tuple[Change, ...]
    money: Mapping[str, Mapping[str, tuple[Decimal, Decimal]]] = field(default_factory=dict)
    """Per subject (in listing order), per currency: (old total, new total) of the money
    rewards granted, over every period and year end; only subjects whose money moves."""
    results: int = 0
    """The number of results compared (old and new together, each subject and period once)."""
    total: Mapping[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    """Per currency: (old total, new total) over every subject, whether its money moves or
    not."""

    def totals(self) -> Mapping[str, tuple[Decimal, Decimal]]:
        """Per currency: (old total, new total) over every subject."""
        return self.total

    def changed_results(self) -> int:
        """How many results (subject, period) change."""
        return len({(c.subject, c.period, c.kind) for c in self.changes})


Key = tuple[str, str, str]


def _key(result: Result) -> Key:
    return (result.subject, result.period, result.kind)


def compare(old: Evaluation, new: Evaluation, a: CompiledScheme, b: CompiledScheme) -> Impact:
    """Every change from `old` to `new` (the same records under schemes `a` and `b`)."""
    words = (Words(a.plan), Words(b.plan))
    before = {_key(r): r for r in old.results}
    after = {_key(r): r for r in new.results}
    keys = [*before, *(k for k in after if k not in before)]
    changes: list[Change] = []
    money: dict[str, dict[str, list[Decimal]]] = {}
    for key in keys:
        x, y = before.get(key), after.get(key)
        changes.extend(_result_changes(key, x, y, words))
        for index, r in enumerate((x, y)):
            if r is None:
                continue
            for o in r.rewards:
                if o.amount is not None and o.currency is not None:
                    pair = money.setdefault(r.subject, {}).setdefault(
                        o.currency, [Decimal(0), Decimal(0)]
                    )
                    pair[index] += o.amount
    places: dict[str, int] = {}  # each currency shown with the most places it has
    for by in money.values():
        for currency, pair in by.items():
            for amount in pair:
                exponent = amount.as_tuple().exponent
                if isinstance(exponent, int):
                    places[currency] = max(places.get(currency, 0), -exponent)

    def shown(amount: Decimal, currency: str) -> Decimal:
        return amount.quantize(Decimal(1).scaleb(-places.get(currency, 0)))

    total: dict[str, tuple[Decimal, Decimal]] = {}
    moved: dict[str, dict[str, tuple[Decimal, Decimal]]] = {}
    for subject, by in money.items():
        for currency, (was, now) in by.items():
            before_all, after_all = total.get(currency, (Decimal(0), Decimal(0)))
            total[currency] = (shown(before_all + was, currency), shown(after_all + now, currency))
            if was != now:
                moved.setdefault(subject, {})[currency] = (
                    shown(was, currency),
                    shown(now, currency),
                )
    return Impact(a, b, tuple(scheme_changes(a, b)), tuple(changes), moved, len(keys), total)


def _result_changes(
    key: Key, x: Result | None, y: Result | None, words: tuple[Words, Words]
) -> Iterator[Change]:
    """The changes of one result; the old outcomes named as the old scheme names them,
    the new ones as the new scheme does."""
    old_words, new_words = words
    subject, period, kind = key

    def change(what: str, rule: str, a: str | None, b: str | None) -> Change:
        return Change(subject, period, kind, what, rule, a, b)

    def mapping(name: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        return (getattr(x, name) if x else {}, getattr(y, name) if y else {})

    def numbers(what: str, name: str) -> Iterator[Change]:
        a, b = mapping(name)
        for k in dict.fromkeys([*a, *b]):
            shown = (_number(a.get(k)), _number(b.get(k)))
            if shown[0] != shown[1]:
                yield change(what, k, *shown)

    yield from numbers("score", "scores")
    a, b = mapping("bands")
    for k in dict.fromkeys([*a, *b]):
        if a.get(k) != b.get(k):
            yield change(
                "band",
                k,
                old_words.band(k, a[k]) if k in a else None,
                new_words.band(k, b[k]) if k in b else None,
            )
    yield from numbers("value", "values")
    a, b = mapping("ranks")
    for k in dict.fromkeys([*a, *b]):
        if a.get(k) != b.get(k):
            yield change("rank", k, _str(a.get(k)), _str(b.get(k)))
    for what, name in (("reward", "rewards"), ("withheld", "withheld"), ("action", "actions")):
        olds = _outcomes(getattr(x, name) if x else ())
        news = _outcomes(getattr(y, name) if y else ())
        for rule, outcome in dict.fromkeys([*olds, *news]):
            p, q = olds.get((rule, outcome)), news.get((rule, outcome))
            shown = (_outcome(p, old_words), _outcome(q, new_words))
            if shown[0] != shown[1]:
                yield change(what, rule, *shown)


def _outcomes(outcomes: tuple[Outcome, ...]) -> dict[tuple[str, str], Outcome]:
    return {(o.rule, o.id): o for o in outcomes}


def _outcome(outcome: Outcome | None, words: Words) -> str | None:
    if outcome is None:
        return None
    text = words.outcome(outcome)
    if outcome.amount is not None:
        text += " " + words.money(format_value(outcome.amount), outcome.currency)
    return text


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format_value(value)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------- rendering


def _signed(amount: Decimal) -> str:
    text = format_value(amount)
    return text if amount < 0 else "+" + text


def _what(what: str) -> str:
    words = {
        "score": _("score"),
        "band": _("band"),
        "value": _("value"),
        "rank": _("rank"),
        "reward": _("reward"),
        "withheld": _("withheld reward"),
        "action": _("action"),
    }
    return words[what]


def _scheme_name(scheme: CompiledScheme) -> str:
    return _("{id} version {version} ({file})").format(
        id=scheme.id, version=scheme.model.version, file=scheme.file
    )


def to_table(impact: Impact) -> str:
    """The impact as text for a terminal: the schemes, what differs in their rules, each
    change (subject, period, rule, old, new), then the money per subject and in total."""
    words = Words(impact.new.plan)
    old_words = Words(impact.old.plan)
    new_rules = {r.id for r in (*impact.new.plan.rules, *impact.new.plan.year_end)}

    def rule_name(rule: str) -> str:  # a rule only the old scheme has: its old name
        return (words if rule in new_rules else old_words).column(rule)

    none = "-"
    lines = [
        _("old: {scheme}").format(scheme=_scheme_name(impact.old)),
        _("new: {scheme}").format(scheme=_scheme_name(impact.new)),
    ]
    if impact.rules:
        lines.append(_("rules that differ:"))
        lines.extend(f"  {path}: {a or none} -> {b or none}" for path, a, b in impact.rules)
    else:
        lines.append(_("the rules do not differ (only labels, sources or notes)"))
    lines.append("")
    if not impact.changes:
        lines.append(_("no result changes ({count} results compared)").format(count=impact.results))
        return "\n".join(lines) + "\n"
    lines.append(
        _("{changed} of {count} results change:").format(
            changed=impact.changed_results(), count=impact.results
        )
    )
    header = [
        words.column("subject"),
        words.column("period"),
        _("what"),
        _("rule"),
        _("old"),
        _("new"),
    ]
    rows = [header]
    for c in impact.changes:
        period = c.period if c.kind == "period" else _("{year} (year end)").format(year=c.period)
        rows.append(
            [c.subject, period, _what(c.what), rule_name(c.rule), c.old or none, c.new or none]
        )
    lines.extend(_aligned(rows))
    if impact.money:
        lines.append("")
        lines.append(_("money that moves:"))
        money = [[words.column("subject"), _("old"), _("new"), _("change")]]
        for subject, by in impact.money.items():
            for currency, (a, b) in by.items():
                money.append(
                    [
                        subject,
                        words.money(format_value(a), currency),
                        words.money(format_value(b), currency),
                        words.money(_signed(b - a), currency),
                    ]
                )
        for currency, (a, b) in impact.totals().items():
            money.append(
                [
                    _("total"),
                    words.money(format_value(a), currency),
                    words.money(format_value(b), currency),
                    words.money(_signed(b - a), currency),
                ]
            )
        lines.extend(_aligned(money))
    else:
        lines.append("")
        lines.append(_("no money moves"))
    return "\n".join(lines) + "\n"


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for n, row in enumerate(rows):
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        out.append("  " + "  ".join(cells).rstrip())
        if n == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


def to_csv(impact: Impact) -> str:
    """One row per change: subject, period, kind, what, rule, old, new (empty: none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["subject", "period", "kind", "what", "rule", "old", "new"])
    for c in impact.changes:
        writer.writerow([c.subject, c.period, c.kind, c.what, c.rule, c.old or "", c.new or ""])
    return out.getvalue()


def to_json(impact: Impact) -> str:
    """The impact as JSON: both schemes (id, version, file, SHA-256), the rule settings
    that differ, every change, and the money per subject and in total (amounts as text)."""

    def scheme(s: CompiledScheme) -> dict[str, Any]:
        return {"id": s.id, "version": s.model.version, "file": s.file, "sha256": s.digest}

    def amounts(by: Mapping[str, tuple[Decimal, Decimal]]) -> dict[str, Any]:
        return {
            c: {"old": format_value(a), "new": format_value(b), "change": format_value(b - a)}
            for c, (a, b) in by.items()
        }

    data = {
        "old": scheme(impact.old),
        "new": scheme(impact.new),
        "rules": [{"path": p, "old": a, "new": b} for p, a, b in impact.rules],
        "results": impact.results,
        "changed_results": impact.changed_results(),
        "changes": [c.to_dict() for c in impact.changes],
        "money": {
            "subjects": {s: amounts(by) for s, by in impact.money.items()},
            "total": amounts(impact.totals()),
        },
    }
    return dumps(data) + "\n"
