"""What evaluation returns: plain frozen data, each outcome with the reason it happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from .models import Label


@dataclass(frozen=True)
class Outcome:
    """A reward or action for one subject and period.

    `id` is what happens (``removal``), `rule` the rule that decided it (``low_score``),
    `because` the condition or computation with the values it saw. Money has an exact
    `amount` and a `currency`. `blocked_by` is set on rewards withheld by a veto; `step` on
    an escalation's action is the 1-based position of the step applied.
    """

    id: str
    rule: str
    because: str
    label: Label | None = None
    amount: Decimal | None = None
    currency: str | None = None
    blocked_by: str | None = None
    step: int | None = None


@dataclass(frozen=True)
class Result:
    """Everything decided for one subject in one period (or, with kind ``year_end``, a year).

    `scores` holds sections and derived scores; `bands` the band id per banding; `values` the
    band payloads (e.g. ``coefficient``); `ranks` the rank per ranking; `explain` one line per
    computed name saying how it was reached; `source` the input rows it came from.
    """

    subject: str
    period: str
    group: str | None
    kind: Literal["period", "year_end"] = "period"
    scores: dict[str, Decimal] = field(default_factory=dict)
    bands: dict[str, str] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    rewards: tuple[Outcome, ...] = ()
    withheld: tuple[Outcome, ...] = ()
    actions: tuple[Outcome, ...] = ()
    explain: dict[str, str] = field(default_factory=dict)
    source: str = ""

    def reward(self, id: str) -> Outcome | None:
        """The granted reward with this id, if any."""
        return next((r for r in self.rewards if r.id == id), None)

    def action_ids(self) -> list[str]:
        """Ids of the actions taken, in rule order."""
        return [a.id for a in self.actions]


@dataclass(frozen=True)
class Evaluation:
    """All results of one evaluation, ordered by period, then subject; year-end rows follow
    the last period of their year. `warnings` says what was not evaluated and why."""

    scheme: str
    version: int
    results: tuple[Result, ...]
    warnings: tuple[str, ...] = ()

    def get(self, subject: str, period: str) -> Result:
        """The result for one subject and period label (``2024`` for a year-end result).

        Raises:
            KeyError: when there is no such result.
        """
        for result in self.results:
            if result.subject == subject and result.period == period:
                return result
        raise KeyError(f"no result for subject {subject!r} in {period!r}")
