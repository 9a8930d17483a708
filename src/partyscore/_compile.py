"""Meaning: resolve names, compile every expression once, check bands and references.

`load_scheme` runs YAML parsing, model validation and compilation; each stage collects every
problem it finds and the whole set is raised once as a `SchemeError`.
"""

from __future__ import annotations

import decimal
import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import models as m
from ._bands import interval, is_empty, lower_key, overlaps, upper_key
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
from ._lint import Linter, LintInput
from ._loader import Document, parse_yaml, read_text
from ._locate import Locator, pydantic_diagnostics

MAX_SCHEME_BYTES = 2_000_000
"""Largest scheme file accepted, in bytes."""

PathT = tuple[str | int, ...]


# --------------------------------------------------------------------------- compiled form


@dataclass(frozen=True)
class Node:
    """One named step of evaluation, run for every subject of a period in dependency order."""

    kind: str
    id: str
    path: PathT
    rule: Any
    reads: frozenset[str]
    exprs: dict[str, Compiled] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemInfo:
    """An input item with its section."""

    item: m.Item
    section: m.Section


@dataclass(frozen=True)
class CompiledScheme:
    """A validated scheme with every name resolved and every expression compiled.

    Build one with `load_scheme`, `load_scheme_text` or `compile_scheme`; pass it to
    `evaluate`. `model` is the validated `partyscore.models.Scheme`.
    """

    model: m.Scheme
    file: str
    types: dict[str, Type]
    items: dict[str, ItemInfo]
    nodes: tuple[Node, ...]
    year_end: tuple[Node, ...]
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def id(self) -> str:
        """The scheme id."""
        return self.model.id

    @property
    def attributes(self) -> dict[str, m.Attribute]:
        """The subject attributes, by name."""
        return self.model.subject.attributes


class _Compiler:
    def __init__(self, scheme: m.Scheme, locator: Locator) -> None:
        self.s = scheme
        self.loc = locator
        self.problems: list[Diagnostic] = []
        self.types: dict[str, Type] = {}
        self.defined_at: dict[str, str] = {}
        self.items: dict[str, ItemInfo] = {}
        self.nodes: list[Node] = []

    def error(self, path: PathT, code: str, message: str, **kw: Any) -> None:
        self.problems.append(self.loc.diag(path, code, message, **kw))

    def define(self, name: str, type_: Type, path: PathT, what: str) -> None:
        if name in self.types or name in self.defined_at:
            self.error(
                (*path, "id") if path and isinstance(path[-1], int) else path,
                "duplicate-name",
                f"the name {name!r} is already used by {self.defined_at[name]}",
            )
            return
        self.types[name] = type_
        self.defined_at[name] = f"{what} at {self.loc.label(path) or name}"

    def expr(
        self,
        text: str,
        path: PathT,
        want: Type,
        *,
        names: dict[str, Type] | None = None,
        series: bool = False,
    ) -> Compiled | None:
        try:
            return compile_expr(
                text, names if names is not None else self.types, want, series=series
            )
        except ExprError as exc:
            lead = len(text) - len(text.lstrip())  # the column counts from the stripped text
            self.error(path, exc.code, exc.message, offset=exc.column + lead)
            return None

    # -- declarations -------------------------------------------------------------------

    def attributes(self) -> None:
        subject = self.s.subject
        for name, attr in subject.attributes.items():
            path: PathT = ("subject", "attributes", name)
            if attr.type == "enum":
                if not attr.values:
                    self.error(path, "enum-values", "an enum attribute needs 'values'")
                    continue
                if len(set(attr.values)) != len(attr.values):
                    self.error((*path, "values"), "duplicate-value", "enum values repeat")
                self.define(name, enum(attr.values), path, "attribute")
            elif attr.values is not None:
                self.error((*path, "values"), "enum-values", "only enum attributes take 'values'")
            elif attr.type == "bool":
                self.define(name, BOOL, path, "attribute")
            elif attr.type == "number":
                self.define(name, NUMBER, path, "attribute")
            else:
                self.defined_at[name] = f"text attribute {name!r} (not usable in expressions)"
            self.check_default(name, attr, path)
            if (attr.min is not None or attr.max is not None) and attr.type != "number":
                self.error(
                    (*path, "min" if attr.min is not None else "max"),
                    "bad-range",
                    "only number attributes take min and max",
                )
            elif attr.min is not None and attr.max is not None and attr.min > attr.max:
                self.error((*path, "min"), "bad-range", f"min {attr.min} is above max {attr.max}")
        if subject.group is not None and subject.group not in subject.attributes:
            self.error(
                ("subject", "group"),
                "unknown-attribute",
                f"the group key {subject.group!r} is not an attribute"
                + suggest(subject.group, list(subject.attributes)),
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
                f"the default {default!r} is not a valid {attr.type} value for {name!r}",
            )

    def parameters(self) -> None:
        for name, param in self.s.parameters.items():
            path: PathT = ("parameters", name)
            if (param.value is None) == (param.by is None):
                self.error(path, "parameter-shape", "give either 'value' or 'by' with 'values'")
            elif param.by is not None:
                attr = self.s.subject.attributes.get(param.by)
                if attr is None or attr.type != "enum":
                    self.error((*path, "by"), "unknown-attribute", self.not_enum(param.by))
                else:
                    given = set(param.values or {})
                    wanted = set(attr.values or [])
                    for missing in sorted(wanted - given):
                        self.error(
                            (*path, "values"),
                            "parameter-missing-value",
                            f"no value for {param.by} = {missing!r}",
                        )
                    for extra in sorted(given - wanted):
                        self.error(
                            (*path, "values", extra),
                            "unknown-value",
                            f"{extra!r} is not a value of {param.by}"
                            + suggest(extra, sorted(wanted)),
                            key=True,
                        )
            elif param.values is not None:
                self.error((*path, "values"), "parameter-shape", "'values' needs 'by'")
            self.define(name, NUMBER, path, "parameter")

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
                        f"the item {item.id!r} is already defined",
                    )
                    continue
                self.items[item.id] = ItemInfo(item, section)
                if scored:
                    self.define(item.id, BOOL if item.type == "flag" else NUMBER, ipath, "item")
                else:
                    self.defined_at[item.id] = f"unscored item at {self.loc.label(ipath)}"
            if section.kind == "veto":
                if section.blocks is None:
                    self.error(path, "veto-blocks", "a veto section must say what it 'blocks'")
                elif isinstance(section.blocks, list):
                    for bi, rid in enumerate(section.blocks):
                        if rid not in reward_ids:
                            self.error(
                                (*path, "blocks", bi),
                                "unknown-reward",
                                f"unknown reward {rid!r}" + suggest(rid, sorted(reward_ids)),
                            )
                if section.cap is not None:
                    self.error((*path, "cap"), "veto-cap", "a veto section has no cap")
            elif section.blocks is not None:
                self.error((*path, "blocks"), "veto-blocks", "only veto sections block rewards")
            if section.cap is not None and section.cap <= 0:
                self.error((*path, "cap"), "bad-cap", "a cap must be positive")
            if section.kind == "unscored":
                self.defined_at[section.id] = f"unscored section at {self.loc.label(path)}"
                continue
            type_ = BOOL if section.kind == "veto" else NUMBER
            self.define(section.id, type_, path, "section")
            self.nodes.append(
                Node("section", section.id, path, section, frozenset(i.id for i in section.items))
            )

    def not_enum(self, name: str) -> str:
        """Why `name` cannot select values: it is no attribute, or not an enum one."""
        attributes = self.s.subject.attributes
        if name in attributes:
            return f"{name!r} is a {attributes[name].type} attribute; this needs an enum attribute"
        return f"unknown attribute {name!r}" + suggest(name, list(attributes))

    def check_item(self, section: m.Section, item: m.Item, path: PathT) -> None:
        if section.kind == "veto" and item.type != "flag":
            self.error((*path, "type"), "veto-item", "veto items are flags: set type: flag")
            return
        if item.type == "points":
            if item.max is None:
                self.error(
                    path, "missing-key", "missing required key 'max' (points items need one)"
                )
            elif item.max <= item.min:
                self.error(
                    (*path, "max"), "bad-range", f"max {item.max} is not above min {item.min}"
                )
        elif item.max is not None:
            self.error((*path, "max"), "flag-max", "flag items take true/false and have no max")
        for attr_name, values in (item.applies_to or {}).items():
            attr = self.s.subject.attributes.get(attr_name)
            if attr is None or attr.type != "enum":
                self.error(
                    (*path, "applies_to", attr_name),
                    "unknown-attribute",
                    self.not_enum(attr_name),
                    key=True,
                )
                continue
            for vi, value in enumerate(values):
                if value not in (attr.values or []):
                    self.error(
                        (*path, "applies_to", attr_name, vi),
                        "unknown-value",
                        f"{value!r} is not a value of {attr_name}"
                        + suggest(value, attr.values or []),
                    )

    def scores(self) -> None:
        for i, score in enumerate(self.s.scores):
            self.define(score.id, NUMBER, ("scores", i), "score")
        for band_i, banding in enumerate(self.s.bands):
            path: PathT = ("bands", band_i)
            ids = [b.id for b in banding.bands]
            if isinstance(banding.unbanded, m.Unbanded):
                ids.append(banding.unbanded.id)
            self.define(banding.id, enum(ids), path, "banding")
            for fi, name in enumerate(banding.fields):
                self.define(name, NUMBER, (*path, "fields", fi), "band field")
        for i, ranking in enumerate(self.s.rankings):
            path = ("rankings", i)
            self.define(ranking.id, NUMBER, path, "ranking")
            self.define(f"{ranking.id}_size", NUMBER, path, "ranking size")
            self.define(f"{ranking.id}_last", BOOL, path, "ranking last place")
        for i, reward in enumerate(self.s.rewards):
            self.define(reward.id, BOOL, ("rewards", i), "reward")
        for i, action in enumerate(self.s.actions):
            self.define(
                action.id,
                NUMBER if action.kind == "escalation" else BOOL,
                ("actions", i),
                "action rule",
            )

    # -- rules --------------------------------------------------------------------------

    def rules(self) -> None:
        for i, score in enumerate(self.s.scores):
            path: PathT = ("scores", i)
            compiled = self.expr(score.expr, (*path, "expr"), NUMBER)
            if score.min is not None and score.max is not None and score.min > score.max:
                self.error((*path, "min"), "bad-range", f"min {score.min} is above max {score.max}")
            self.add("score", score.id, path, score, {"expr": compiled})
        for i, banding in enumerate(self.s.bands):
            self.banding(banding, ("bands", i))
        for i, ranking in enumerate(self.s.rankings):
            path = ("rankings", i)
            self.numeric_name(ranking.score, (*path, "score"))
            if ranking.within == "group" and self.s.subject.group is None:
                self.error(
                    (*path, "within"), "no-group", "ranking within a group needs subject.group"
                )
            self.add("ranking", ranking.id, path, ranking, {}, reads={ranking.score})
        for i, reward in enumerate(self.s.rewards):
            self.reward(reward, ("rewards", i))
        for i, action in enumerate(self.s.actions):
            self.action(action, ("actions", i))

    def add(
        self,
        kind: str,
        ident: str,
        path: PathT,
        rule: Any,
        exprs: dict[str, Compiled | None],
        reads: set[str] | None = None,
    ) -> None:
        good = {k: v for k, v in exprs.items() if v is not None}
        names = set(reads or ())
        for compiled in good.values():
            names.update(compiled.names)
        self.nodes.append(Node(kind, ident, path, rule, frozenset(names), good))

    def numeric_name(self, name: str, path: PathT) -> None:
        if name not in self.types:
            self.error(
                path, "unknown-name", f"unknown name {name!r}" + suggest(name, list(self.types))
            )
        elif self.types[name] != NUMBER:
            self.error(path, "expr-type", f"{name!r} is a {self.types[name]}, not a number")

    def banding(self, banding: m.Banding, path: PathT) -> None:
        self.numeric_name(banding.score, (*path, "score"))
        wanted = set(banding.fields)
        seen: set[str] = set()
        bands: list[tuple[m.Band, PathT]] = []
        for bi, band in enumerate(banding.bands):
            bpath = (*path, "bands", bi)
            if band.id in seen:
                self.error((*bpath, "id"), "duplicate-name", f"the band {band.id!r} repeats")
            seen.add(band.id)
            if band.at_least is not None and band.above is not None:
                self.error(bpath, "band-bounds", "give 'at_least' or 'above', not both")
            elif band.at_most is not None and band.below is not None:
                self.error(bpath, "band-bounds", "give 'at_most' or 'below', not both")
            elif is_empty(band):
                self.error(bpath, "band-empty", f"the band {interval(band)} contains no score")
            else:
                bands.append((band, bpath))
            self.payload(band.values, wanted, bpath)
        if isinstance(banding.unbanded, m.Unbanded):
            upath = (*path, "unbanded")
            if banding.unbanded.id in seen:
                self.error(
                    (*upath, "id"), "duplicate-name", f"the band {banding.unbanded.id!r} repeats"
                )
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
                    f"{band.id} {interval(band)} overlaps {reaching.id} {interval(reaching)}",
                )
            if reaching is None or upper_key(band) > upper_key(reaching):
                reaching = band
        self.add("banding", banding.id, path, banding, {}, reads={banding.score})

    def payload(self, values: dict[str, Decimal], wanted: set[str], path: PathT) -> None:
        for name in sorted(wanted - set(values)):
            self.error(path, "band-payload", f"missing value for field {name!r}")
        for name in sorted(set(values) - wanted):
            self.error(
                (*path, "values", name),
                "band-payload",
                f"{name!r} is not a field of this banding" + suggest(name, sorted(wanted)),
                key=True,
            )

    def constant(self, text: str, path: PathT) -> Compiled | None:
        """A `count`/`share`: an expression over parameters with one value for every subject."""
        compiled = self.expr(text, path, NUMBER, names=dict.fromkeys(self.s.parameters, NUMBER))
        for name in compiled.names if compiled else ():
            by = self.s.parameters[name].by
            if by is not None:
                self.error(
                    path,
                    "not-constant",
                    f"{name!r} differs by {by}; a count or share needs one value",
                )
                return None
        if compiled is None:
            return None
        # Constant: work it out now, so a bad count is a load error, not an evaluation one.
        values = {n: p.value for n, p in self.s.parameters.items() if p.value is not None}
        if not set(compiled.names) <= set(values):
            return compiled  # a parameter without a value is reported where it is declared
        try:
            with decimal.localcontext(ARITHMETIC):
                value = Evaluator()(compiled, values)
        except decimal.DecimalException as exc:
            if divides_by_zero(exc):
                self.error(path, "division-by-zero", f"{text} divides by zero")
            else:
                self.error(path, "not-constant", f"{text} cannot be worked out: {exc!r}")
            return None
        key = path[-1]
        if key == "count" and (value < 0 or value != value.to_integral_value()):
            self.error(path, "bad-count", f"the count {text} = {value} is not a whole number >= 0")
            return None
        if key == "share" and not 0 <= value <= 1:
            self.error(path, "bad-count", f"the share {text} = {value} is not between 0 and 1")
            return None
        return compiled

    def reward(self, reward: m.Reward, path: PathT) -> None:
        exprs: dict[str, Compiled | None] = {}
        reads: set[str] = set()
        if reward.when is not None:
            exprs["when"] = self.expr(reward.when, (*path, "when"), BOOL)
        if isinstance(reward, m.Money):
            exprs["amount"] = self.expr(reward.amount, (*path, "amount"), NUMBER)
        elif isinstance(reward, m.Top):
            reads.update(self.ranking_ref(reward.ranking, (*path, "ranking")))
            if (reward.count is None) == (reward.share is None):
                self.error(path, "top-shape", "give either 'count' or 'share'")
            elif reward.share is not None:
                exprs["share"] = self.constant(reward.share, (*path, "share"))
                if reward.share_rounding is None:
                    self.error(
                        path,
                        "missing-key",
                        "missing required key 'share_rounding' (how share x size becomes a count)",
                    )
            else:
                assert reward.count is not None
                exprs["count"] = self.constant(reward.count, (*path, "count"))
        elif isinstance(reward, m.RankPrize):
            reads.update(self.ranking_ref(reward.ranking, (*path, "ranking")))
            banding = next((b for b in self.s.bands if b.id == reward.banding), None)
            if banding is None:
                self.error(
                    (*path, "banding"),
                    "unknown-banding",
                    f"unknown banding {reward.banding!r}"
                    + suggest(reward.banding, [b.id for b in self.s.bands]),
                )
            else:
                reads.add(banding.id)
                band_ids = [b.id for b in banding.bands]
                if isinstance(banding.unbanded, m.Unbanded):
                    band_ids.append(banding.unbanded.id)
                for pi, prize in enumerate(reward.prizes):
                    for band_id in prize.amounts:
                        if band_id not in band_ids:
                            self.error(
                                (*path, "prizes", pi, "amounts", band_id),
                                "unknown-band",
                                f"{band_id!r} is not a band of {banding.id}"
                                + suggest(band_id, band_ids),
                                key=True,
                            )
            ranks = [p.rank for p in reward.prizes]
            if len(set(ranks)) != len(ranks):
                self.error((*path, "prizes"), "duplicate-rank", "a rank appears twice in prizes")
        self.add("reward", reward.id, path, reward, exprs, reads)

    def ranking_ref(self, name: str, path: PathT) -> set[str]:
        known = [r.id for r in self.s.rankings]
        if name not in known:
            self.error(path, "unknown-ranking", f"unknown ranking {name!r}" + suggest(name, known))
            return set()
        return {name}

    def action(self, action: m.Action, path: PathT) -> None:
        exprs: dict[str, Compiled | None] = {"when": self.expr(action.when, (*path, "when"), BOOL)}
        if isinstance(action, m.Escalation):
            ats = [s.at for s in action.steps]
            if ats != sorted(set(ats)):
                self.error(
                    (*path, "steps"),
                    "step-order",
                    "steps must be in increasing order of 'at', each 'at' once",
                )
            for si, step in enumerate(action.steps):
                if step.when is not None:
                    exprs[f"step{si}"] = self.expr(step.when, (*path, "steps", si, "when"), BOOL)
        self.add("action", action.id, path, action, exprs)

    # -- order --------------------------------------------------------------------------

    def order(self) -> tuple[Node, ...]:
        """Topological order, declaration order among equals; report cycles."""
        provider: dict[str, int] = {}
        for index, node in enumerate(self.nodes):
            provider[node.id] = index
            rule = node.rule
            if isinstance(rule, m.Banding):
                for name in rule.fields:
                    provider[name] = index
            if isinstance(rule, m.Ranking):
                provider[f"{rule.id}_size"] = provider[f"{rule.id}_last"] = index
        deps = {
            i: {provider[n] for n in node.reads if n in provider and provider[n] != i}
            for i, node in enumerate(self.nodes)
        }
        for i, node in enumerate(self.nodes):
            if i in {provider.get(n) for n in node.reads} and node.kind != "banding":
                self.error(node.path, "cycle", f"{node.id!r} refers to itself")
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
            names = ", ".join(self.nodes[i].id for i in sorted(stuck))
            self.error(
                self.nodes[min(stuck)].path,
                "cycle",
                f"these rules depend on each other in a cycle: {names}",
            )
        return tuple(self.nodes[i] for i in order)

    def year_end(self) -> tuple[Node, ...]:
        block = self.s.year_end
        if block is None:
            return ()
        names: dict[str, Type] = {}
        for name, type_ in self.types.items():
            if type_ == NUMBER:
                names[name] = NUMBER_SERIES
            elif type_ == BOOL:
                names[name] = BOOL_SERIES
        for name in self.s.parameters:
            names[name] = NUMBER  # constants stay scalars
        nodes: list[Node] = []
        base: PathT = ("year_end",)
        for i, score in enumerate(block.scores):
            path = (*base, "scores", i)
            compiled = self.expr(score.expr, (*path, "expr"), NUMBER, names=names, series=True)
            if score.id in names:
                self.error(
                    (*path, "id"),
                    "duplicate-name",
                    f"the name {score.id!r} is already used by a per-period rule",
                )
            names[score.id] = NUMBER
            if compiled:
                nodes.append(
                    Node(
                        "score",
                        score.id,
                        path,
                        score,
                        frozenset(compiled.names),
                        {"expr": compiled},
                    )
                )
        rules: list[tuple[str, Any]] = [("reward", r) for r in block.rewards]
        rules += [("action", a) for a in block.actions]
        for i, (kind, rule) in enumerate(rules):
            section = "rewards" if kind == "reward" else "actions"
            index = i if kind == "reward" else i - len(block.rewards)
            path = (*base, section, index)
            exprs: dict[str, Compiled] = {}
            for key in ("when", "amount"):
                text = getattr(rule, key, None)
                if text is not None:
                    want = BOOL if key == "when" else NUMBER
                    compiled = self.expr(text, (*path, key), want, names=names, series=True)
                    if compiled:
                        exprs[key] = compiled
            if rule.id in names:
                self.error((*path, "id"), "duplicate-name", f"the name {rule.id!r} is already used")
            names[rule.id] = BOOL
            nodes.append(Node(kind, rule.id, path, rule, frozenset(), exprs))
        return tuple(nodes)


# --------------------------------------------------------------------------- entry points


def compile_scheme(
    scheme: m.Scheme, *, file: str = "<scheme>", _document: Document | None = None
) -> CompiledScheme:
    """Resolve names and compile every expression of a validated `Scheme`.

    Raises:
        SchemeError: with every problem found.
    """
    locator = Locator(file, _document)
    compiler = _Compiler(scheme, locator)
    compiler.attributes()
    compiler.parameters()
    compiler.sections()
    compiler.scores()
    compiler.rules()
    nodes = compiler.order()
    year_end = compiler.year_end()
    if not any(d.severity == "error" for d in compiler.problems):
        linted = Linter(LintInput(scheme, nodes, year_end), locator.diag).run()
        compiler.problems.extend(linted)
    errors = [d for d in compiler.problems if d.severity == "error"]
    if errors:
        raise SchemeError(sort_diagnostics(compiler.problems))
    warnings = tuple(sort_diagnostics([d for d in compiler.problems if d.severity == "warning"]))
    return CompiledScheme(
        scheme, file, dict(compiler.types), compiler.items, nodes, year_end, warnings
    )


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
            [*problems, locator.diag((), "not-a-mapping", "a scheme file must be a YAML mapping")]
        )
    # A value the loader refused is None here; later stages would only repeat the complaint,
    # at its own path or as its parent's "missing ... 'key'".
    refused = {p.path for p in problems}
    keys_under: dict[str, set[str]] = {}
    for path in refused:
        parent, _, key = path.rpartition(".")
        keys_under.setdefault(parent, set()).add(key)

    def repeats(d: Diagnostic) -> bool:
        return d.path in refused or any(f"{k!r}" in d.message for k in keys_under.get(d.path, ()))

    def new(found: Sequence[Diagnostic]) -> list[Diagnostic]:
        return [d for d in found if not repeats(d)]

    try:
        scheme = m.Scheme.model_validate(document.data)
    except ValidationError as exc:
        found = new(pydantic_diagnostics(exc, locator, m.Scheme))
        raise SchemeError(sort_diagnostics([*problems, *found])) from None
    try:
        compiled = compile_scheme(scheme, file=file, _document=document)
    except SchemeError as exc:
        raise SchemeError(sort_diagnostics([*problems, *new(exc.diagnostics)])) from None
    if problems:
        raise SchemeError(problems)
    return compiled


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
