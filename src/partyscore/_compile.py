"""Meaning: resolve names, compile every expression once, check bands and references.

`load_scheme` runs YAML parsing, model validation and compilation; each stage collects every
problem it finds and the whole set is raised once as a `SchemeError`.
"""

from __future__ import annotations

import decimal
import hashlib
import heapq
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import models as m
from ._bands import interval, is_empty, lower, lower_key, overlaps, upper, upper_key
from ._codegen import Program
from ._diagnostics import Diagnostic, SchemeError, sort_diagnostics
from ._expr import (
    ARITHMETIC,
    BOOL,
    BOOL_SERIES,
    NUMBER,
    NUMBER_SERIES,
    Compiled,
    Evaluator,
    ExprError,
    Type,
    compile_expr,
    divides_by_zero,
    enum,
    suggest,
)
from ._i18n import N_, _
from ._lint import Linter
from ._loader import Document, PathKey, parse_yaml, read_text
from ._locate import Locator, pydantic_diagnostics
from ._partial import WellFormed, well_formed
from ._plan import (
    BandingRule,
    BandPlan,
    ConditionRule,
    EscalationRule,
    HonourRule,
    ItemPlan,
    MoneyRule,
    ParameterPlan,
    PathT,
    PeriodRule,
    Plan,
    RankingRule,
    RankPrizeRule,
    Rule,
    ScoreRule,
    SectionRule,
    StepPlan,
    TopRule,
    YearEndRule,
)

MAX_SCHEME_BYTES = 2_000_000
"""Largest scheme file accepted, in bytes."""


# --------------------------------------------------------------------------- compiled form


@dataclass(frozen=True)
class CompiledScheme:
    """A validated scheme with every name resolved and every expression compiled.

    Build one with `load_scheme`, `load_scheme_text` or `compile_scheme`; pass it to
    `evaluate`. `model` is the validated `partyscore.models.Scheme`; `plan` its compiled
    rules (`partyscore.plan`); `warnings` what the linter found.
    """

    model: m.Scheme
    file: str
    plan: Plan
    warnings: tuple[Diagnostic, ...] = ()
    program: Any = field(default=None, repr=False, compare=False)
    """The generated evaluator (built once per scheme; private)."""

    @property
    def id(self) -> str:
        """The scheme id."""
        return self.model.id

    @property
    def digest(self) -> str:
        """The SHA-256 (hex) of the scheme as loaded, in a canonical form: its validated
        model as JSON with sorted keys, so that comments, layout and key order do not change
        it and a changed number or sentence does. Decision records carry it."""
        canonical = json.dumps(
            self.model.model_dump(mode="json"),
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def attributes(self) -> dict[str, m.Attribute]:
        """The subject attributes, by name."""
        return self.model.subject.attributes

    @property
    def items(self) -> Mapping[str, ItemPlan]:
        """The input items, by id, in scheme order."""
        return self.plan.items

    @property
    def types(self) -> Mapping[str, Type]:
        """The static type of every name usable in period expressions."""
        return self.plan.types


class _Compiler:
    def __init__(self, scheme: m.Scheme, locator: Locator) -> None:
        self.s = scheme
        self.loc = locator
        self.problems: list[Diagnostic] = []
        self.types: dict[str, Type] = {}
        self.defined_at: dict[str, tuple[str, dict[str, str]]] = {}
        """What defines each name: a message marked with `N_` and its fields."""
        self.items: dict[str, ItemPlan] = {}
        self.planned: list[PeriodRule] = []
        self.built: dict[str, Rule] = {}

    def error(self, path: PathT, code: str, message: str, **kw: Any) -> None:
        self.problems.append(self.loc.diag(path, code, message, **kw))

    def define(self, name: str, type_: Type, path: PathT, what: str) -> None:
        """Define `name`; `what` says what it is, a message marked with `N_` with
        ``{place}`` for its key path."""
        if name in self.types or name in self.defined_at:
            message, fields = self.defined_at[name]
            self.error(
                (*path, "id") if path and isinstance(path[-1], int) else path,
                "duplicate-name",
                # TRANSLATORS: {definition} says what uses the name and where, as in
                # "item at sections[a].items[a1]"
                _("the name {name!r} is already used by {definition}").format(
                    name=name, definition=_(message).format(**fields)
                ),
            )
            return
        self.types[name] = type_
        self.defined_at[name] = (what, {"place": self.loc.label(path) or name})

    def expr(
        self,
        text: str,
        path: PathT,
        want: Type,
        *,
        names: dict[str, Type] | None = None,
        series: bool = False,
    ) -> Compiled | None:
        self.comment_after(path)
        try:
            return compile_expr(
                text, names if names is not None else self.types, want, series=series
            )
        except ExprError as exc:
            lead = len(text) - len(text.lstrip())  # the column counts from the stripped text
            self.error(path, exc.code, exc.message, offset=exc.column + lead, about=exc.about)
            return None

    def comment_after(self, path: PathT) -> None:
        """Warn when an unquoted expression is followed by a comment on its line: YAML ends
        a plain scalar at `` #``, so ``total < 70 #or annual < 40`` is read as ``total < 70``."""
        document = self.loc.document
        span = document.scalars.get(path) if document is not None else None
        if document is None or span is None or span.style is not None:
            return
        if not 0 < span.end_line <= len(document.lines):
            return
        rest = document.lines[span.end_line - 1][span.end_column - 1 :].lstrip(" \t")
        if rest.startswith("#"):
            self.warn(
                path,
                "expr-comment",
                _(
                    "the expression is followed by the comment {comment!r}, which YAML does not "
                    "read as part of it; quote the expression if '#' belongs to it, or put the "
                    "comment on a line of its own"
                ).format(comment=rest.strip()),
            )

    def warn(self, path: PathT, code: str, message: str) -> None:
        self.problems.append(self.loc.diag(path, code, message, severity="warning"))

    # -- declarations -------------------------------------------------------------------

    def effective(self) -> None:
        window = self.s.effective
        if window.end is not None and window.end <= window.start:
            self.error(
                ("effective", "end"),
                "empty-window",
                _(
                    "the scheme ends on {end} before it starts on {start}: no period would be "
                    "evaluated ('end' is the first day it no longer applies)"
                ).format(end=window.end, start=window.start),
            )

    def input(self) -> None:
        """`input.columns` name the scheme's columns; ignored columns are not its names."""
        given = self.s.input
        if given is None:
            return
        names = ["subject", "period", *self.s.subject.attributes]
        names += [item.id for section in self.s.sections for item in section.items]
        for header, name in given.columns.items():
            if name not in names:
                self.error(
                    ("input", "columns", header),
                    "unknown-name",
                    _(
                        "the column {header!r} is mapped to {name!r}, which is not subject, "
                        "period, an attribute or an item"
                    ).format(header=header, name=name)
                    + suggest(name, names),
                )
        for index, header in enumerate(given.ignore_columns):
            if header in names:
                self.error(
                    ("input", "ignore_columns", index),
                    "ignored-name",
                    _("{header!r} is one of the scheme's columns; it cannot be ignored").format(
                        header=header
                    ),
                )

    def attributes(self) -> None:
        subject = self.s.subject
        for name, attr in subject.attributes.items():
            path: PathT = ("subject", "attributes", name)
            if attr.type == "enum":
                if not attr.values:
                    self.error(path, "enum-values", _("an enum attribute needs 'values'"))
                    continue
                if len(set(attr.values)) != len(attr.values):
                    self.error((*path, "values"), "duplicate-value", _("enum values repeat"))
                self.define(name, enum(attr.values), path, N_("attribute at {place}"))
            elif attr.values is not None:
                message = _("only enum attributes take 'values'")
                self.error((*path, "values"), "enum-values", message)
            elif attr.type == "bool":
                self.define(name, BOOL, path, N_("attribute at {place}"))
            elif attr.type == "number":
                self.define(name, NUMBER, path, N_("attribute at {place}"))
            else:
                self.defined_at[name] = (
                    N_("text attribute {name!r} (not usable in expressions)"),
                    {"name": name},
                )
            self.check_default(name, attr, path)
            if (attr.min is not None or attr.max is not None) and attr.type != "number":
                self.error(
                    (*path, "min" if attr.min is not None else "max"),
                    "bad-range",
                    _("only number attributes take min and max"),
                )
            elif attr.min is not None and attr.max is not None and attr.min > attr.max:
                self.error((*path, "min"), "bad-range", _min_above_max(attr.min, attr.max))
        if subject.group is not None and subject.group not in subject.attributes:
            self.error(
                ("subject", "group"),
                "unknown-attribute",
                _("the group key {group!r} is not an attribute").format(group=subject.group)
                + suggest(subject.group, list(subject.attributes)),
                about=subject.group,
            )

    def check_default(self, name: str, attr: m.Attribute, path: PathT) -> None:
        default = attr.default
        if default is None:
            return
        ok = {
            "enum": isinstance(default, str) and default in (attr.values or []),
            "bool": isinstance(default, bool),
            "number": isinstance(default, Decimal),
            "text": isinstance(default, str),
        }[attr.type]
        if not ok:
            self.error(
                (*path, "default"),
                "bad-default",
                # TRANSLATORS: {type} is the attribute's type: enum, bool, number or text
                _("the default {default!r} is not a valid {type} value for {name!r}").format(
                    default=default, type=attr.type, name=name
                ),
            )

    def parameters(self) -> None:
        for name, param in self.s.parameters.items():
            path: PathT = ("parameters", name)
            if (param.value is None) == (param.by is None):
                self.error(
                    path,
                    "parameter-shape",
                    _("give either 'value' or 'by' with 'values'"),
                    missing="value" if param.value is None else None,
                )
            elif param.by is not None:
                attr = self.s.subject.attributes.get(param.by)
                if attr is None or attr.type != "enum":
                    self.error(
                        (*path, "by"), "unknown-attribute", self.not_enum(param.by), about=param.by
                    )
                else:
                    given = set(param.values or {})
                    wanted = set(attr.values or [])
                    for missing in sorted(wanted - given):
                        self.error(
                            (*path, "values"),
                            "parameter-missing-value",
                            _("no value for {attribute} = {value!r}").format(
                                attribute=param.by, value=missing
                            ),
                        )
                    for extra in sorted(given - wanted):
                        self.error(
                            (*path, "values", extra),
                            "unknown-value",
                            _not_a_value(extra, param.by) + suggest(extra, sorted(wanted)),
                            key=True,
                        )
            elif param.values is not None:
                self.error((*path, "values"), "parameter-shape", _("'values' needs 'by'"))
            self.define(name, NUMBER, path, N_("parameter at {place}"))

    def sections(self) -> None:
        reward_ids = {r.id for r in self.s.rewards}
        for si, section in enumerate(self.s.sections):
            path: PathT = ("sections", si)
            scored = section.kind != "unscored"
            for ii, item in enumerate(section.items):
                ipath = (*path, "items", ii)
                self.check_item(section, item, ipath)
                if item.id in self.items:
                    self.error(
                        (*ipath, "id"),
                        "duplicate-name",
                        _("the item {item!r} is already defined").format(item=item.id),
                    )
                    continue
                self.items[item.id] = ItemPlan(
                    id=item.id,
                    section=section.id,
                    type=item.type,
                    min=item.min,
                    max=item.max,
                    applies_to=tuple(
                        (name, frozenset(allowed))
                        for name, allowed in (item.applies_to or {}).items()
                    ),
                    path=ipath,
                    model=item,
                )
                if scored:
                    self.define(
                        item.id,
                        BOOL if item.type == "flag" else NUMBER,
                        ipath,
                        N_("item at {place}"),
                    )
                else:
                    place = self.loc.label(ipath)
                    self.defined_at[item.id] = (N_("unscored item at {place}"), {"place": place})
            if section.kind == "veto":
                if section.blocks is None:
                    message = _("a veto section must say what it 'blocks'")
                    self.error(path, "veto-blocks", message)
                elif isinstance(section.blocks, list):
                    for bi, rid in enumerate(section.blocks):
                        if rid not in reward_ids:
                            self.error(
                                (*path, "blocks", bi),
                                "unknown-reward",
                                _("unknown reward {reward!r}").format(reward=rid)
                                + suggest(rid, sorted(reward_ids)),
                                about=rid,
                            )
                if section.cap is not None:
                    self.error((*path, "cap"), "veto-cap", _("a veto section has no cap"))
            elif section.blocks is not None:
                message = _("only veto sections block rewards")
                self.error((*path, "blocks"), "veto-blocks", message)
            if section.cap is not None and section.cap <= 0:
                self.error((*path, "cap"), "bad-cap", _("a cap must be positive"))
            if section.kind == "unscored":
                place = self.loc.label(path)
                self.defined_at[section.id] = (N_("unscored section at {place}"), {"place": place})
                continue
            type_ = BOOL if section.kind == "veto" else NUMBER
            self.define(section.id, type_, path, N_("section at {place}"))
            if section.blocks == "all":
                blocks: tuple[str, ...] = tuple(r.id for r in self.s.rewards)
            else:
                blocks = tuple(section.blocks or ())
            self.add(
                SectionRule(
                    id=section.id,
                    path=path,
                    model=section,
                    reads=frozenset(i.id for i in section.items),
                    kind=section.kind,
                    items=tuple(self.items[i.id] for i in section.items if i.id in self.items),
                    cap=section.cap,
                    blocks=blocks,
                )
            )

    def not_enum(self, name: str) -> str:
        """Why `name` cannot select values: it is no attribute, or not an enum one."""
        attributes = self.s.subject.attributes
        if name in attributes:
            # TRANSLATORS: {type} is the attribute's type: bool, number or text
            return _("{name!r} is a {type} attribute; this needs an enum attribute").format(
                name=name, type=attributes[name].type
            )
        return _("unknown attribute {name!r}").format(name=name) + suggest(name, list(attributes))

    def check_item(self, section: m.Section, item: m.Item, path: PathT) -> None:
        if section.kind == "veto" and item.type != "flag":
            self.error((*path, "type"), "veto-item", _("veto items are flags: set type: flag"))
            return
        if item.type == "points":
            if item.max is None:
                self.error(
                    path,
                    "missing-key",
                    _("missing required key 'max' (points items need one)"),
                    missing="max",
                )
            elif item.max <= item.min:
                message = _("max {max} is not above min {min}").format(max=item.max, min=item.min)
                self.error((*path, "max"), "bad-range", message)
        elif item.max is not None:
            message = _("flag items take true/false and have no max")
            self.error((*path, "max"), "flag-max", message)
        for attr_name, values in (item.applies_to or {}).items():
            attr = self.s.subject.attributes.get(attr_name)
            if attr is None or attr.type != "enum":
                self.error(
                    (*path, "applies_to", attr_name),
                    "unknown-attribute",
                    self.not_enum(attr_name),
                    key=True,
                    about=attr_name,
                )
                continue
            for vi, value in enumerate(values):
                if value not in (attr.values or []):
                    self.error(
                        (*path, "applies_to", attr_name, vi),
                        "unknown-value",
                        _not_a_value(value, attr_name) + suggest(value, attr.values or []),
                    )

    def scores(self) -> None:
        for i, score in enumerate(self.s.scores):
            self.define(score.id, NUMBER, ("scores", i), N_("score at {place}"))
        for band_i, banding in enumerate(self.s.bands):
            path: PathT = ("bands", band_i)
            ids = [b.id for b in banding.bands]
            if isinstance(banding.unbanded, m.Unbanded):
                ids.append(banding.unbanded.id)
            self.define(banding.id, enum(ids), path, N_("banding at {place}"))
            for fi, name in enumerate(banding.fields):
                self.define(name, NUMBER, (*path, "fields", fi), N_("band field at {place}"))
            for name in banding.field_labels:
                if name not in banding.fields:
                    self.error(
                        (*path, "field_labels", name),
                        "unknown-name",
                        _("a label for {name!r}, which is not one of the fields {fields}").format(
                            name=name, fields=", ".join(banding.fields) or _("(none)")
                        ),
                        key=True,
                    )
        for i, ranking in enumerate(self.s.rankings):
            path = ("rankings", i)
            self.define(ranking.id, NUMBER, path, N_("ranking at {place}"))
            self.define(f"{ranking.id}_size", NUMBER, path, N_("ranking size at {place}"))
            self.define(f"{ranking.id}_last", BOOL, path, N_("ranking last place at {place}"))
        for i, reward in enumerate(self.s.rewards):
            self.define(reward.id, BOOL, ("rewards", i), N_("reward at {place}"))
        for i, action in enumerate(self.s.actions):
            self.define(
                action.id,
                NUMBER if action.kind == "escalation" else BOOL,
                ("actions", i),
                N_("action rule at {place}"),
            )

    # -- rules --------------------------------------------------------------------------

    def rules(self) -> None:
        for i, score in enumerate(self.s.scores):
            path: PathT = ("scores", i)
            compiled = self.expr(score.expr, (*path, "expr"), NUMBER)
            if score.min is not None and score.max is not None and score.min > score.max:
                self.error((*path, "min"), "bad-range", _min_above_max(score.min, score.max))
            if compiled is not None:
                self.add(self.score_rule(score, path, compiled))
        for i, banding in enumerate(self.s.bands):
            self.banding(banding, ("bands", i))
        for i, ranking in enumerate(self.s.rankings):
            path = ("rankings", i)
            self.numeric_name(ranking.score, (*path, "score"))
            if ranking.within == "group" and self.s.subject.group is None:
                self.error(
                    (*path, "within"), "no-group", _("ranking within a group needs subject.group")
                )
            self.add(
                RankingRule(
                    id=ranking.id,
                    path=path,
                    model=ranking,
                    reads=frozenset({ranking.score}),
                    score=ranking.score,
                    descending=ranking.order == "descending",
                    by_group=ranking.within == "group",
                    dense=ranking.ties == "dense",
                    last_when_all_tied=ranking.last_when_all_tied,
                )
            )
        for i, reward in enumerate(self.s.rewards):
            self.reward(reward, ("rewards", i))
        for i, action in enumerate(self.s.actions):
            self.action(action, ("actions", i))

    def add(self, rule: PeriodRule) -> None:
        self.planned.append(rule)
        self.built[rule.id] = rule

    def score_rule(
        self, score: m.Score, path: PathT, compiled: Compiled, *, year_end: bool = False
    ) -> ScoreRule:
        return ScoreRule(
            id=score.id,
            path=path,
            model=score,
            reads=frozenset(compiled.names),
            expr=compiled,
            rounding=None if score.rounding == "none" else score.rounding or self.s.rounding,
            min=score.min,
            max=score.max,
            year_end=year_end,
        )

    @staticmethod
    def reads(*exprs: Compiled | None, extra: Sequence[str] = ()) -> frozenset[str]:
        names = set(extra)
        for expr in exprs:
            if expr is not None:
                names.update(expr.names)
        return frozenset(names)

    def numeric_name(self, name: str, path: PathT) -> None:
        if name not in self.types:
            self.error(
                path,
                "unknown-name",
                _("unknown name {name!r}").format(name=name) + suggest(name, list(self.types)),
                about=name,
            )
        elif self.types[name] != NUMBER:
            # TRANSLATORS: {type} is a type of the expression language: bool, enum, ...
            message = _("{name!r} is a {type}, not a number").format(
                name=name, type=self.types[name]
            )
            self.error(path, "expr-type", message)

    def banding(self, banding: m.Banding, path: PathT) -> None:
        self.numeric_name(banding.score, (*path, "score"))
        wanted = set(banding.fields)
        seen: set[str] = set()
        bands: list[tuple[m.Band, PathT]] = []
        for bi, band in enumerate(banding.bands):
            bpath = (*path, "bands", bi)
            if band.id in seen:
                self.error((*bpath, "id"), "duplicate-name", _band_repeats(band.id))
            seen.add(band.id)
            if band.at_least is not None and band.above is not None:
                self.error(bpath, "band-bounds", _("give 'at_least' or 'above', not both"))
            elif band.at_most is not None and band.below is not None:
                self.error(bpath, "band-bounds", _("give 'at_most' or 'below', not both"))
            elif is_empty(band):
                # TRANSLATORS: {interval} is a band's interval, as in [60, 50)
                message = _("the band {interval} contains no score").format(interval=interval(band))
                self.error(bpath, "band-empty", message)
            else:
                bands.append((band, bpath))
            self.payload(band.values, wanted, bpath)
        if isinstance(banding.unbanded, m.Unbanded):
            upath = (*path, "unbanded")
            if banding.unbanded.id in seen:
                self.error((*upath, "id"), "duplicate-name", _band_repeats(banding.unbanded.id))
            self.payload(banding.unbanded.values, wanted, upath)
        ordered = sorted(bands, key=lambda b: lower_key(b[0]))
        # One sweep: each band is compared with the earlier band that reaches highest, so
        # every overlapping band is reported once, in O(n log n) however many bands there are.
        reaching: m.Band | None = None
        for band, bpath in ordered:
            if reaching is not None and overlaps(reaching, band):
                self.error(
                    bpath,
                    "band-overlap",
                    # TRANSLATORS: {band} and {other} are band ids, each followed by its
                    # interval, as in [60, 80)
                    _("{band} {interval} overlaps {other} {other_interval}").format(
                        band=band.id,
                        interval=interval(band),
                        other=reaching.id,
                        other_interval=interval(reaching),
                    ),
                )
            if reaching is None or upper_key(band) > upper_key(reaching):
                reaching = band
        plans = {id(band): _band_plan(band, bpath) for band, bpath in bands}
        unbanded = None
        if isinstance(banding.unbanded, m.Unbanded):
            unbanded = BandPlan(
                id=banding.unbanded.id,
                lo=-_INF,
                lo_in=False,
                hi=_INF,
                hi_in=False,
                values=banding.unbanded.values,
                path=(*path, "unbanded"),
                model=banding.unbanded,
                unbanded=True,
            )
        self.add(
            BandingRule(
                id=banding.id,
                path=path,
                model=banding,
                reads=frozenset({banding.score}),
                score=banding.score,
                fields=tuple(banding.fields),
                bands=tuple(plans[id(b)] for b in banding.bands if id(b) in plans),
                ordered=tuple(plans[id(b)] for b, _ in ordered),
                unbanded=unbanded,
                monotone=banding.monotone,
            )
        )

    def payload(self, values: dict[str, Decimal], wanted: set[str], path: PathT) -> None:
        for name in sorted(wanted - set(values)):
            message = _("missing value for field {field!r}").format(field=name)
            self.error(path, "band-payload", message)
        for name in sorted(set(values) - wanted):
            self.error(
                (*path, "values", name),
                "band-payload",
                _("{field!r} is not a field of this banding").format(field=name)
                + suggest(name, sorted(wanted)),
                key=True,
            )

    def constant(self, text: str, path: PathT) -> tuple[Compiled, Decimal] | None:
        """A `count`/`share`: an expression over parameters with one value for every subject,
        worked out now."""
        compiled = self.expr(text, path, NUMBER, names=dict.fromkeys(self.s.parameters, NUMBER))
        for name in compiled.names if compiled else ():
            by = self.s.parameters[name].by
            if by is not None:
                self.error(
                    path,
                    "not-constant",
                    # TRANSLATORS: {parameter} is a parameter, {attribute} the attribute
                    # its values depend on
                    _(
                        "{parameter!r} differs by {attribute}; a count or share needs one value"
                    ).format(parameter=name, attribute=by),
                )
                return None
        if compiled is None:
            return None
        # Constant: work it out now, so a bad count is a load error, not an evaluation one.
        values = {n: p.value for n, p in self.s.parameters.items() if p.value is not None}
        if not set(compiled.names) <= set(values):
            return None  # a parameter without a value is reported where it is declared
        try:
            with decimal.localcontext(ARITHMETIC):
                value = Evaluator()(compiled, values)
        except decimal.DecimalException as exc:
            if divides_by_zero(exc):
                message = _("{expression} divides by zero").format(expression=text)
                self.error(path, "division-by-zero", message)
            else:
                # TRANSLATORS: {error} is Python's description of the arithmetic failure
                message = _("{expression} cannot be worked out: {error!r}").format(
                    expression=text, error=exc
                )
                self.error(path, "not-constant", message)
            return None
        key = path[-1]
        if key == "count" and (value < 0 or value != value.to_integral_value()):
            message = _("the count {expression} = {value} is not a whole number >= 0").format(
                expression=text, value=value
            )
            self.error(path, "bad-count", message)
            return None
        if key == "share" and not 0 <= value <= 1:
            message = _("the share {expression} = {value} is not between 0 and 1").format(
                expression=text, value=value
            )
            self.error(path, "bad-count", message)
            return None
        return compiled, value

    def reward(self, reward: m.Reward, path: PathT) -> None:
        when = None if reward.when is None else self.expr(reward.when, (*path, "when"), BOOL)
        failed = reward.when is not None and when is None
        common: dict[str, Any] = {"id": reward.id, "path": path, "model": reward, "when": when}
        if isinstance(reward, m.Honour):
            if not failed:
                self.add(HonourRule(reads=self.reads(when), **common))
        elif isinstance(reward, m.Money):
            amount = self.expr(reward.amount, (*path, "amount"), NUMBER)
            if amount is not None and not failed:
                self.add(
                    MoneyRule(
                        reads=self.reads(when, amount),
                        amount=amount,
                        currency=reward.currency,
                        rounding=reward.rounding,
                        **common,
                    )
                )
        elif isinstance(reward, m.Top):
            ranking = self.ranking_ref(reward.ranking, (*path, "ranking"))
            worked: tuple[Compiled, Decimal] | None = None
            if (reward.count is None) == (reward.share is None):
                self.error(path, "top-shape", _("give either 'count' or 'share'"))
            elif reward.share is not None:
                worked = self.constant(reward.share, (*path, "share"))
                if reward.share_rounding is None:
                    self.error(
                        path,
                        "missing-key",
                        _(
                            "missing required key 'share_rounding' (how share x size becomes a "
                            "count)"
                        ),
                        missing="share_rounding",
                    )
            else:
                assert reward.count is not None
                worked = self.constant(reward.count, (*path, "count"))
            if ranking is not None and worked is not None and not failed:
                compiled, value = worked
                self.add(
                    TopRule(
                        reads=self.reads(when, compiled, extra=[ranking.id]),
                        ranking=ranking,
                        count=value if reward.count is not None else None,
                        share=value if reward.share is not None else None,
                        constant=compiled,
                        count_text=reward.count or reward.share or "",
                        share_rounding=reward.share_rounding,
                        include_ties=reward.ties == "include",
                        **common,
                    )
                )
        else:
            self.rank_prize(reward, path, when, failed, common)

    def rank_prize(
        self,
        reward: m.RankPrize,
        path: PathT,
        when: Compiled | None,
        failed: bool,
        common: dict[str, Any],
    ) -> None:
        ranking = self.ranking_ref(reward.ranking, (*path, "ranking"))
        banding = self.built.get(reward.banding)
        ok = True
        if not isinstance(banding, BandingRule):
            ok = False
            if not any(b.id == reward.banding for b in self.s.bands):
                self.error(
                    (*path, "banding"),
                    "unknown-banding",
                    _("unknown banding {banding!r}").format(banding=reward.banding)
                    + suggest(reward.banding, [b.id for b in self.s.bands]),
                    about=reward.banding,
                )
        else:
            band_ids = list(banding.band_ids)
            for pi, prize in enumerate(reward.prizes):
                for band_id in prize.amounts:
                    if band_id not in band_ids:
                        ok = False
                        self.error(
                            (*path, "prizes", pi, "amounts", band_id),
                            "unknown-band",
                            _("{band!r} is not a band of {banding}").format(
                                band=band_id, banding=banding.id
                            )
                            + suggest(band_id, band_ids),
                            key=True,
                            about=band_id,
                        )
        ranks = [p.rank for p in reward.prizes]
        if len(set(ranks)) != len(ranks):
            ok = False
            self.error((*path, "prizes"), "duplicate-rank", _("a rank appears twice in prizes"))
        if reward.ties == "split" and reward.rounding.mode not in NEVER_UP:
            ok = False
            self.error(
                (*path, "rounding", "mode"),
                "split-rounding",
                # TRANSLATORS: {mode} is a rounding mode (half_up, ceiling, ...)
                _(
                    "a split prize rounded {mode} can pay more than the places it pools (200 "
                    "among 3 rounded half_up is 3 x 66.67 = 200.01): use mode down (or floor), "
                    "so that what rounding keeps back is never negative"
                ).format(mode=reward.rounding.mode),
            )
        if ok and ranking is not None and isinstance(banding, BandingRule) and not failed:
            self.add(
                RankPrizeRule(
                    reads=self.reads(when, extra=[ranking.id, banding.id]),
                    ranking=ranking,
                    banding=banding,
                    prizes={p.rank: p.amounts for p in reward.prizes},
                    currency=reward.currency,
                    rounding=reward.rounding,
                    split=reward.ties == "split",
                    **common,
                )
            )

    def ranking_ref(self, name: str, path: PathT) -> RankingRule | None:
        known = [r.id for r in self.s.rankings]
        if name not in known:
            message = _("unknown ranking {ranking!r}").format(ranking=name) + suggest(name, known)
            self.error(path, "unknown-ranking", message, about=name)
            return None
        found = self.built.get(name)
        return found if isinstance(found, RankingRule) else None

    def action(self, action: m.Action, path: PathT) -> None:
        when = self.expr(action.when, (*path, "when"), BOOL)
        if isinstance(action, m.Condition):
            if when is not None:
                self.add(
                    ConditionRule(
                        id=action.id,
                        path=path,
                        model=action,
                        reads=self.reads(when),
                        when=when,
                        action=action.action or action.id,
                    )
                )
            return
        ats = [s.at for s in action.steps]
        ok = when is not None
        if ats != sorted(set(ats)):
            ok = False
            self.error(
                (*path, "steps"),
                "step-order",
                _("steps must be in increasing order of 'at', each 'at' once"),
            )
        steps: list[StepPlan] = []
        for si, step in enumerate(action.steps):
            spath = (*path, "steps", si)
            condition = None
            if step.when is not None:
                condition = self.expr(step.when, (*spath, "when"), BOOL)
                ok = ok and condition is not None
            steps.append(StepPlan(step.at, step.action, condition, step.label, spath))
        if ok and when is not None:
            self.add(
                EscalationRule(
                    id=action.id,
                    path=path,
                    model=action,
                    reads=self.reads(when, *(s.when for s in steps)),
                    when=when,
                    consecutive=action.count == "consecutive",
                    steps=tuple(steps),
                )
            )

    # -- order --------------------------------------------------------------------------

    def order(self) -> tuple[PeriodRule, ...]:
        """Topological order, declaration order among equals; report cycles."""
        nodes = self.planned
        provider: dict[str, int] = {}
        for index, rule in enumerate(nodes):
            provider[rule.id] = index
            if isinstance(rule, BandingRule):
                for name in rule.fields:
                    provider[name] = index
            if isinstance(rule, RankingRule):
                provider[rule.size_name] = provider[rule.last_name] = index
        deps = {
            i: {provider[n] for n in rule.reads if n in provider and provider[n] != i}
            for i, rule in enumerate(nodes)
        }
        for i, rule in enumerate(nodes):
            if i in {provider.get(n) for n in rule.reads} and not isinstance(rule, BandingRule):
                message = _("{rule!r} refers to itself").format(rule=rule.id)
                self.error(rule.path, "cycle", message)
        waiting = {i: len(d) for i, d in deps.items()}
        users: dict[int, list[int]] = {i: [] for i in deps}
        for i, d in deps.items():
            for j in d:
                users[j].append(i)
        ready = [i for i, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            for user in users[i]:
                waiting[user] -= 1
                if waiting[user] == 0:
                    heapq.heappush(ready, user)
        stuck = {i for i in deps if i not in set(order)}
        # Rules that merely depend on a cycle are stuck too; peel them off to name the cycle.
        while True:
            downstream = {i for i in stuck if not any(i in deps[j] for j in stuck)}
            if not downstream or downstream == stuck:
                break
            stuck -= downstream
        if stuck:
            names = ", ".join(nodes[i].id for i in sorted(stuck))
            self.error(
                nodes[min(stuck)].path,
                "cycle",
                _("these rules depend on each other in a cycle: {rules}").format(rules=names),
            )
        return tuple(nodes[i] for i in order)

    def year_end_types(self) -> dict[str, Type]:
        """Per-period names as series (parameters stay scalars), for year-end expressions."""
        names: dict[str, Type] = {}
        for name, type_ in self.types.items():
            if type_ == NUMBER:
                names[name] = NUMBER_SERIES
            elif type_ == BOOL:
                names[name] = BOOL_SERIES
        for name in self.s.parameters:
            names[name] = NUMBER  # constants stay scalars
        return names

    def year_end(self, names: dict[str, Type]) -> tuple[YearEndRule, ...]:
        block = self.s.year_end
        if block is None:
            return ()
        names = dict(names)
        rules: list[YearEndRule] = []
        base: PathT = ("year_end",)
        for i, score in enumerate(block.scores):
            path = (*base, "scores", i)
            compiled = self.expr(score.expr, (*path, "expr"), NUMBER, names=names, series=True)
            if score.id in names:
                self.error(
                    (*path, "id"),
                    "duplicate-name",
                    _("the name {name!r} is already used by a per-period rule").format(
                        name=score.id
                    ),
                )
            names[score.id] = NUMBER
            if compiled:
                rules.append(self.score_rule(score, path, compiled, year_end=True))
        outcomes: list[tuple[str, int, m.Honour | m.Money | m.Condition]] = [
            *(("rewards", i, r) for i, r in enumerate(block.rewards)),
            *(("actions", i, a) for i, a in enumerate(block.actions)),
        ]
        for section, index, rule in outcomes:
            path = (*base, section, index)

            def compiled_key(key: str, want: Type) -> Compiled | None:
                text = getattr(rule, key, None)  # noqa: B023 - used within this iteration
                if text is None:
                    return None
                return self.expr(text, (*path, key), want, names=names, series=True)  # noqa: B023

            when = compiled_key("when", BOOL)
            if rule.id in names:
                message = _("the name {name!r} is already used").format(name=rule.id)
                self.error((*path, "id"), "duplicate-name", message)
            names[rule.id] = BOOL
            common: dict[str, Any] = {"id": rule.id, "path": path, "model": rule, "year_end": True}
            if isinstance(rule, m.Money):
                amount = compiled_key("amount", NUMBER)
                if amount is not None and (when is not None or rule.when is None):
                    rules.append(
                        MoneyRule(
                            reads=self.reads(when, amount),
                            when=when,
                            amount=amount,
                            currency=rule.currency,
                            rounding=rule.rounding,
                            **common,
                        )
                    )
            elif isinstance(rule, m.Honour):
                if when is not None:
                    rules.append(HonourRule(reads=self.reads(when), when=when, **common))
            elif when is not None:
                rules.append(
                    ConditionRule(
                        reads=self.reads(when), when=when, action=rule.action or rule.id, **common
                    )
                )
        return tuple(rules)


def _min_above_max(low: Decimal, high: Decimal) -> str:
    return _("min {min} is above max {max}").format(min=low, max=high)


def _not_a_value(value: str, attribute: str) -> str:
    return _("{value!r} is not a value of {attribute}").format(value=value, attribute=attribute)


def _band_repeats(band: str) -> str:
    return _("the band {band!r} repeats").format(band=band)


def _band_plan(band: m.Band, path: PathT) -> BandPlan:
    (lo, lo_in), (hi, hi_in) = lower(band), upper(band)
    return BandPlan(
        id=band.id,
        lo=lo,
        lo_in=lo_in,
        hi=hi,
        hi_in=hi_in,
        values=band.values,
        path=path,
        model=band,
    )


_INF = Decimal("Infinity")
NEVER_UP = ("down", "floor")
"""Rounding modes that never round a positive share up: the only ones a split prize takes."""


# --------------------------------------------------------------------------- entry points


def compile_scheme(
    scheme: m.Scheme,
    *,
    file: str = "<scheme>",
    _document: Document | None = None,
    _locator: Locator | None = None,
    _lint: bool = True,
) -> CompiledScheme:
    """Resolve names and compile every expression of a validated `Scheme`.

    Raises:
        SchemeError: with every problem found.
    """
    locator = _locator or Locator(file, _document)
    compiler = _Compiler(scheme, locator)
    compiler.effective()
    compiler.input()
    compiler.attributes()
    compiler.parameters()
    compiler.sections()
    compiler.scores()
    compiler.rules()
    rules = compiler.order()
    year_end_types = compiler.year_end_types()
    year_end = compiler.year_end(year_end_types)
    plan = Plan(
        period=scheme.period,
        rounding=scheme.rounding,
        group=scheme.subject.group,
        attributes=scheme.subject.attributes,
        parameters={
            name: ParameterPlan(name, p.value, p.by, p.values or {}, ("parameters", name))
            for name, p in scheme.parameters.items()
        },
        items=compiler.items,
        rules=rules,
        year_end=year_end,
        types=dict(compiler.types),
        year_end_types=year_end_types,
        year_end_missing=scheme.year_end.missing if scheme.year_end else "as_absent",
        title=scheme.title,
        subject_label=scheme.subject.label,
    )
    _output_columns(compiler, plan)
    if _lint and not any(d.severity == "error" for d in compiler.problems):
        compiler.problems.extend(Linter(scheme, plan, locator.diag).run())
    errors = [d for d in compiler.problems if d.severity == "error"]
    if errors:
        raise SchemeError(sort_diagnostics(compiler.problems))
    warnings = tuple(sort_diagnostics([d for d in compiler.problems if d.severity == "warning"]))
    return CompiledScheme(scheme, file, plan, warnings, Program(plan))


def load_scheme_text(text: str, *, file: str = "<text>") -> CompiledScheme:
    """Load a scheme from YAML text; `file` names it in messages.

    >>> load_scheme_text(Path("schemes/chengzhuang-ladder.yaml").read_text()).id  # doctest: +SKIP
    'chengzhuang-ladder'

    Raises:
        SchemeError: carrying every problem found, each with file, line, column and key path.
    """
    document, problems = parse_yaml(text, file)
    if document is None:
        raise SchemeError(problems)
    locator = Locator(file, document)
    if not isinstance(document.data, dict):
        raise SchemeError(
            [
                *problems,
                locator.diag((), "not-a-mapping", _("a scheme file must be a YAML mapping")),
            ]
        )
    # A value the loader refused is None here; later stages would only repeat the complaint,
    # at its own place or as its parent's "missing required key".
    refused = {p.keys for p in problems}

    def repeats(d: Diagnostic) -> bool:
        return d.keys in refused

    def new(found: Sequence[Diagnostic]) -> list[Diagnostic]:
        return [d for d in found if not repeats(d)]

    try:
        scheme = m.Scheme.model_validate(document.data)
    except ValidationError as exc:
        every = pydantic_diagnostics(exc, locator, m.Scheme)
        meaning = _meaning(document, [d.keys for d in every], locator)
        raise SchemeError(sort_diagnostics([*problems, *new(every), *meaning])) from None
    try:
        compiled = compile_scheme(scheme, file=file, _document=document)
    except SchemeError as exc:
        raise SchemeError(sort_diagnostics([*problems, *new(exc.diagnostics)])) from None
    if problems:
        raise SchemeError(problems)
    return compiled


def _meaning(document: Document, shape: list[PathKey], locator: Locator) -> list[Diagnostic]:
    """The meaning problems of the well-formed part of a scheme whose shape problems are at
    `shape` (key paths), at their places in the file as written (see `_partial`)."""

    def shape_keys(data: Any) -> list[PathKey]:
        try:
            m.Scheme.model_validate(data)
        except ValidationError as exc:
            mirror = Locator(document.file, Document(data, document.file))
            return [d.keys for d in pydantic_diagnostics(exc, mirror, m.Scheme)]
        return []

    part = well_formed(document.data, shape, shape_keys)
    if part is None:
        return []
    scheme = m.Scheme.model_validate(part.data)
    remapped = _Remapped(locator, part)
    try:
        compile_scheme(scheme, file=document.file, _locator=remapped, _lint=False)
    except SchemeError as exc:
        return [d for d in exc.diagnostics if not part.hides(d, d.keys)]
    return []


class _Remapped(Locator):
    """A locator for the well-formed part of a document: places in the file as written."""

    def __init__(self, locator: Locator, part: WellFormed) -> None:
        super().__init__(locator.file, locator.document, locator.labels)
        self.part = part

    def label(self, path: PathKey) -> str:
        return super().label(self.part.original(path))

    def diag(self, path: PathKey, code: str, message: str, **kw: Any) -> Diagnostic:
        return super().diag(self.part.original(path), code, message, **kw)


def load_scheme(path: str | Path) -> CompiledScheme:
    """Load, validate and compile a scheme file.

    >>> scheme = load_scheme("schemes/chengzhuang-ladder.yaml")  # doctest: +SKIP

    Raises:
        SchemeError: carrying every problem found (also when the file cannot be read).
    """
    text, problem = read_text(path, max_bytes=MAX_SCHEME_BYTES)
    if text is None:
        assert problem is not None
        raise SchemeError([problem])
    name = str(path)
    return load_scheme_text(text, file=name)


def iter_scheme_files(paths: Sequence[str | Path]) -> Iterator[Path]:
    """Scheme files named by `paths`: files as given, folders searched for ``*.yaml``/``*.yml``."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            yield from (p for p in found if not p.name.endswith(".test.yaml"))
        else:
            yield path


def _output_columns(compiler: _Compiler, plan: Plan) -> None:
    """Every column of the results (CSV, workbook, frames) has its own name: a score,
    banding, band field, ranking or money reward whose column would take the name of a
    fixed column (``kind``) or of another one (``pay_amount``) is refused."""
    from ._render import columns_of
    from ._words import FIXED

    scores, bands, _fields, ranks, money = columns_of(plan)
    taken: dict[str, PathT | None] = dict.fromkeys(FIXED)
    named: list[tuple[str, PathT]] = []
    for ident in (*scores, *bands, *ranks):
        named.append((ident, plan.rule(ident).path))
    for banding in plan.bandings:
        named.extend((name, banding.path) for name in banding.fields)
    named.extend((f"{ident}_amount", plan.rule(ident).path) for ident in money)
    for column, path in named:
        if column in taken:
            before = taken[column]
            where = (
                _("a column every result listing has")
                if before is None
                else _("the column of {place}").format(place=compiler.loc.label(before))
            )
            compiler.error(
                path,
                "output-column",
                _("its result column {column!r} would have the name of {where}: rename it").format(
                    column=column, where=where
                ),
            )
        else:
            taken[column] = path
