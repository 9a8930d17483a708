"""What a column, band or outcome is called in the language in use.

In English the names are the scheme's ids (``total``, ``village_rank``, ``step3``), the
names JSON and CSV have always used; in Chinese they are the scheme's own labels, or a word
from the catalogue where the scheme has none. The same `Words` names the columns of the
table, the CSV, the workbook and the report, so they agree.
"""

from __future__ import annotations

from ._i18n import _, current, label_text, pgettext
from ._plan import BandingRule, Plan, Rule
from ._results import Outcome
from .models import Label

FIXED = (
    "subject",
    "period",
    "kind",
    "group",
    "rewards",
    "withheld",
    "actions",
    "warnings",
    "overrides",
    "explain",
)
"""The columns every result listing has, besides the scheme's own."""


def _fixed(key: str) -> str:
    words = {
        "subject": pgettext("column", "subject"),
        "period": pgettext("column", "period"),
        "kind": pgettext("column", "kind"),
        "group": pgettext("column", "group"),
        "rewards": pgettext("column", "rewards"),
        "withheld": pgettext("column", "withheld"),
        "actions": pgettext("column", "actions"),
        "warnings": pgettext("column", "warnings"),
        "overrides": pgettext("column", "overrides"),
        "explain": pgettext("column", "explanation"),
    }
    return words[key]


def _currencies() -> dict[str, str]:
    return {"CNY": pgettext("currency", "CNY")}


class Words:
    """Names of a scheme's columns and values, in the language in use when asked.

    Without a plan (an evaluation built by hand) every name is its id.
    """

    def __init__(self, plan: Plan | None) -> None:
        self.plan = plan
        self._rules: dict[str, Rule] = {}
        self._bands: dict[tuple[str, str], object] = {}
        self._fields: dict[str, Label] = {}
        if plan is not None:
            for rule in (*plan.rules, *plan.year_end):
                self._rules[rule.id] = rule
                if isinstance(rule, BandingRule):
                    for name, label in rule.model.field_labels.items():
                        self._fields[name] = label
                    for band in (*rule.bands, *((rule.unbanded,) if rule.unbanded else ())):
                        self._bands[(rule.id, band.id)] = getattr(band.model, "label", None)

    @property
    def english(self) -> bool:
        return current() == "en"

    def column(self, key: str) -> str:
        """The header of a column: a fixed one (``subject``), or a score, banding, band
        field or ranking id."""
        if self.english:
            return key
        if key == "subject" and self.plan is not None and self.plan.subject_label is not None:
            return label_text(self.plan.subject_label, key)
        if key in FIXED:
            return _fixed(key)
        rule = self._rules.get(key)
        if rule is not None:
            return label_text(rule.label, key)
        if key in self._fields:
            return label_text(self._fields[key], key)
        if self.plan is not None and key in self.plan.items:
            return label_text(self.plan.items[key].model.label, key)
        return key

    def amount(self, reward: str) -> str:
        """The header of a reward's amount column."""
        if self.english:
            return f"{reward}_amount"
        return _("{reward} amount").format(reward=self.column(reward))

    def band(self, banding: str, band: str) -> str:
        """A band as a cell shows it."""
        if self.english:
            return band
        label = self._bands.get((banding, band))
        return label_text(label, band) if label is not None else band  # type: ignore[arg-type]

    def outcome(self, outcome: Outcome) -> str:
        """A reward or action as a cell shows it."""
        if self.english:
            return outcome.id
        return label_text(outcome.label, outcome.id)

    def money(self, amount: str, currency: str | None) -> str:
        """An amount with its currency as text: ``600.00 CNY``; 600.00元 in Chinese."""
        if currency is None:
            return amount
        if self.english:
            return f"{amount} {currency}"
        name = _currencies().get(currency, currency)
        return _("{amount} {currency}").format(amount=amount, currency=name)

    def title(self, fallback: str) -> str:
        """The scheme's title."""
        plan = self.plan
        return label_text(plan.title if plan is not None else None, fallback)
