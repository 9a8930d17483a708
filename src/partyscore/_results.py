"""What evaluation returns: plain frozen data, each outcome with the reason it happened.

Reasons are kept as data (the rule and the values it read) and written out as text only
when `Outcome.because` or `Result.explain` is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Protocol

from ._i18n import current
from .models import Label


class _Reasons(Protocol):
    def because(self, hit: Any) -> str: ...


class Outcome:
    """A reward or action for one subject and period.

    `id` is what happens (``removal``), `rule` the rule that decided it (``low_score``),
    `because` the condition or computation with the values it saw. Money has an exact
    `amount` and a `currency`. `blocked_by` is set on rewards withheld by a veto; `step` on
    an escalation's action is the 1-based position of the step applied.

    An action is taken once per result: when several rules decide the same action, `rule`
    is the first of them in rule order, `rules` names them all, `also` holds the outcomes
    of the others (each with its own `because`), and `because` says why for each rule.
    """

    __slots__ = (
        "_because",
        "_hit",
        "_reasons",
        "also",
        "amount",
        "blocked_by",
        "currency",
        "id",
        "label",
        "override",
        "rule",
        "step",
    )

    def __init__(
        self,
        id: str,
        rule: str,
        because: str | None = None,
        label: Label | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
        blocked_by: str | None = None,
        step: int | None = None,
        *,
        reasons: _Reasons | None = None,
        hit: Any = None,
    ) -> None:
        self.id = id
        self.rule = rule
        self.label = label
        self.amount = amount
        self.currency = currency
        self.blocked_by = blocked_by
        self.step = step
        self._because = because
        self._reasons = reasons
        self._hit = hit
        self.also: tuple[Outcome, ...] = ()
        self.override: Any = None
        """The override that put this outcome in place of the rules' (`Result.overrides`)."""

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule that decided this outcome, in rule order (usually just `rule`)."""
        return (self.rule, *(o.rule for o in self.also))

    @property
    def because(self) -> str:
        """Why: the condition or computation with the values it saw (written when read);
        for an action several rules decided, ``rule: why`` for each, joined by ``; ``."""
        if self.also:
            return "; ".join(f"{o.rule}: {o._own()}" for o in (self, *self.also))
        return self._own()

    def _own(self) -> str:
        """The `because` of this outcome's own rule, in the language in use (English is
        kept once written; another language is written each time it is read)."""
        reasons = self._reasons
        if reasons is None:
            return self._because or ""
        if current() != "en":
            return reasons.because(self._hit)
        if self._because is None:
            self._because = reasons.because(self._hit)
        return self._because

    def _key(self) -> tuple[Any, ...]:
        return (self.id, self.rules, self.because, self.label, self.amount, self.currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        mine = (*self._key(), self.blocked_by, self.step)
        return mine == (*other._key(), other.blocked_by, other.step)

    def __hash__(self) -> int:
        return hash((self.id, self.rule, self.amount, self.step))

    def __repr__(self) -> str:
        return (
            f"Outcome(id={self.id!r}, rule={self.rule!r}, rules={self.rules!r}, "
            f"because={self.because!r}, "
            f"label={self.label!r}, amount={self.amount!r}, currency={self.currency!r}, "
            f"blocked_by={self.blocked_by!r}, step={self.step!r})"
        )


class Explanations(Mapping[str, str]):
    """``name -> how it was reached``, written out the first time it is read; subclasses
    say how (`_write`)."""

    __slots__ = ("_lines",)

    def __init__(self) -> None:
        self._lines: dict[str, str] | None = None

    def _write(self) -> dict[str, str]:
        return {}

    def _all(self) -> dict[str, str]:
        if current() != "en":  # another language: written each time it is read
            return self._write()
        if self._lines is None:
            self._lines = self._write()
        return self._lines

    def __getitem__(self, key: str) -> str:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


@dataclass(frozen=True)
class Result:
    """Everything decided for one subject in one period (or, with kind ``year_end``, a year).

    `scores` holds sections and derived scores; `bands` the band id per banding; `values` the
    band payloads (e.g. ``coefficient``); `ranks` the rank per ranking; `explain` one line per
    computed name saying how it was reached; `source` the input rows it came from.
    `warnings` says why the result may not be final: an escalation count that may lack
    periods before the first one known (no history carried in), a year end over missing
    periods.
    """

    subject: str
    period: str
    group: str | None
    kind: Literal["period", "year_end"] = "period"
    scores: Mapping[str, Decimal] = field(default_factory=dict)
    bands: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Decimal] = field(default_factory=dict)
    ranks: Mapping[str, int] = field(default_factory=dict)
    rewards: tuple[Outcome, ...] = ()
    withheld: tuple[Outcome, ...] = ()
    actions: tuple[Outcome, ...] = ()
    explain: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    warnings: tuple[str, ...] = ()
    overrides: tuple[Any, ...] | None = None
    """With an overrides file: the decisions applied to this result, each with the
    override (reason, who, when), the `original` outcome the rules gave and the `new` one
    that stands (None: removed); None when the run had no overrides file."""

    def reward(self, id: str) -> Outcome | None:
        """The granted reward with this id, if any."""
        return next((r for r in self.rewards if r.id == id), None)

    def action_ids(self) -> list[str]:
        """Ids of the actions taken, in rule order."""
        return [a.id for a in self.actions]

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data, one result of ``to_json``: scores, band values
        and ranks exact (`Decimal`, int), money amounts as text, every outcome with its
        `because`."""
        from ._render import result_to_dict

        return result_to_dict(self)


@dataclass(frozen=True)
class Evaluation:
    """All results of one evaluation, ordered by period, then subject; year-end rows follow
    the last period of their year. `warnings` says what was not evaluated and why, and
    repeats each result's warnings with its subject and period. `history` is the state to
    carry into a later run (`partyscore.History`): with no records, the history carried in;
    None when there is neither."""

    scheme: str
    version: int
    results: tuple[Result, ...]
    warnings: tuple[str, ...] = ()
    plan: Any = field(default=None, repr=False, compare=False)
    """The compiled rules the results came from (`partyscore.plan.Plan`), when known."""
    history: Any = field(default=None, repr=False, compare=False)
    """What history rules carry into a later run (`partyscore.History`), when known."""
    _index: dict[tuple[str, str], Result] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def get(self, subject: str, period: str) -> Result:
        """The result for one subject and period label (``2024`` for a year-end result).

        Raises:
            KeyError: when there is no such result.
        """
        if not self._index and self.results:
            for result in self.results:  # the first of a period and a year-end row named alike
                self._index.setdefault((result.subject, result.period), result)
        try:
            return self._index[(subject, period)]
        except KeyError:
            raise KeyError(f"no result for subject {subject!r} in {period!r}") from None

    def to_pandas(self) -> Any:
        """The results as a `pandas.DataFrame`, one row per result in the order and with
        the columns of `partyscore.to_csv`: scores, band values and amounts as `Decimal`
        (object columns), ranks as ``Int64``, text as ``string``; no value is null. Needs
        the ``frames`` extra.

        Raises:
            ModuleNotFoundError: when pandas is not installed.
        """
        from ._frames import to_pandas

        return to_pandas(self)

    def to_polars(self) -> Any:
        """The results as a `polars.DataFrame`, one row per result in the order and with
        the columns of `partyscore.to_csv`: scores, band values and amounts as
        ``pl.Decimal`` with each column's scale, ranks as ``Int64``, text as ``String``;
        no value is null. Needs the ``frames`` extra.

        Raises:
            ModuleNotFoundError: when polars is not installed.
        """
        from ._frames import to_polars

        return to_polars(self)
