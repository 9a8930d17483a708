"""The scheme format: Pydantic models that describe a scheme file and do nothing else.

Every model is frozen and forbids unknown keys; YAML keys equal field names (``zh-Hant`` is
the one alias). Meaning (names, expressions, bands, references) is checked by
``partyscore.compile_scheme``, not here. See ``docs/language.md`` for the reference.
"""

from __future__ import annotations

import keyword
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ._i18n import _
from ._numbers import NumberError, read_number

__all__ = [
    "Action",
    "Attribute",
    "Band",
    "Banding",
    "Cited",
    "Condition",
    "Currency",
    "Day",
    "Effective",
    "Escalation",
    "Expr",
    "Honour",
    "Id",
    "Input",
    "Item",
    "Label",
    "Model",
    "Money",
    "Number",
    "Parameter",
    "Prize",
    "RankPrize",
    "Ranking",
    "Reward",
    "RewardBase",
    "Rounding",
    "Scheme",
    "Score",
    "Section",
    "Source",
    "Step",
    "Subject",
    "Top",
    "Unbanded",
    "YearEnd",
]

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SCHEME_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise PydanticCustomError(
            "number",
            _('expected a number such as 80 or "0.7", got {value}'),
            {"value": repr(value)},
        )
    try:
        return read_number(value)
    except NumberError as exc:
        code = "number" if exc.code == "bad-value" else exc.code
        raise PydanticCustomError(code, "{message}", {"message": str(exc)}) from None


def _identifier(value: str) -> str:
    if not _ID.fullmatch(value) or keyword.iskeyword(value) or len(value) > 64:
        raise PydanticCustomError(
            "identifier",
            _(
                "{value} is not a valid name: use letters, digits and '_', starting with a "
                "letter (at most 64 characters, not a Python keyword)"
            ),
            {"value": repr(value)},
        )
    return value


def _scheme_id(value: str) -> str:
    if not _SCHEME_ID.fullmatch(value):
        raise PydanticCustomError(
            "scheme-id",
            _("{value} is not a scheme id: use lower-case words joined by '-'"),
            {"value": repr(value)},
        )
    return value


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError(
        "date", _("expected a date written YYYY-MM-DD, got {value}"), {"value": repr(value)}
    )


def _sheet(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise PydanticCustomError(
                "sheet-name", _("a sheet's position counts from 1, got {value}"), {"value": value}
            )
        return value
    if not isinstance(value, str) or not value:
        raise PydanticCustomError(
            "sheet-name",
            _("expected a sheet's name or its position from 1, got {value}"),
            {"value": repr(value)},
        )
    if (
        len(value) > 31
        or any(ch in "[]:*?/\\" for ch in value)
        or value[0] == "'"
        or value[-1] == "'"
    ):
        raise PydanticCustomError(
            "sheet-name",
            _(
                "{value} cannot name a sheet of a workbook: at most 31 characters, none of "
                "[ ] : * ? / \\, not starting or ending with '"
            ),
            {"value": repr(value)},
        )
    return value


def _currency(value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise PydanticCustomError(
            "currency",
            _("{value} is not an ISO 4217 currency code such as CNY"),
            {"value": repr(value)},
        )
    return value


Number = Annotated[
    Decimal,
    BeforeValidator(_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number"},
                {
                    "type": "string",
                    "pattern": r"^\s*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$",
                },
            ],
            "description": 'an exact number: 80, 0.7 or "0.7" (money is usually quoted)',
        }
    ),
]
"""An exact number: an integer, a decimal, or a quoted decimal string (never a float)."""
Id = Annotated[
    str,
    AfterValidator(_identifier),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 64}),
]
"""A name usable in expressions: ``key_items``, ``total``, ``A``."""
Expr = Annotated[
    str,
    Field(min_length=1),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 2000,
            "description": "an expression over the scheme's names (docs/language.md)",
        }
    ),
]
"""An expression in the scheme's expression language (see docs/language.md#expressions)."""
Currency = Annotated[
    str, AfterValidator(_currency), WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$"})
]
Day = Annotated[date, BeforeValidator(_date), WithJsonSchema({"type": "string", "format": "date"})]


class Model(BaseModel):
    """Base of every scheme model: frozen, strict, unknown keys forbidden."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Label(Model):
    """A label in Chinese and English: ``zh-Hant`` (Traditional, as in the source documents),
    ``zh-Hans`` (Simplified) or both, and ``en``. A Chinese form not given is derived from
    the other with OpenCC where it is shown."""

    zh_hant: str | None = Field(default=None, alias="zh-Hant", min_length=1)
    zh_hans: str | None = Field(default=None, alias="zh-Hans", min_length=1)
    en: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_chinese(self) -> Label:
        if self.zh_hant is None and self.zh_hans is None:
            raise ValueError(_("a label needs zh-Hans or zh-Hant (or both) as well as en"))
        return self


class Cited(Model):
    """Fields shared by every rule: a label, the source sentence it encodes, and assumptions.

    `assumed` says which numbers the source does not give and why the chosen one was chosen.
    """

    label: Label | None = None
    source: str | None = None
    assumed: str | None = None


class Source(Model):
    """Which document and which passage a scheme encodes."""

    document: str
    lines: str | None = None
    sample: str | None = None
    quote: str | None = None


class Effective(Model):
    """Dates between which this version applies; `end` is exclusive, None means open."""

    start: Day
    end: Day | None = None
    assumed: str | None = None


class Rounding(Model):
    """How a computed number is rounded: decimal places and a mode named after `decimal`."""

    places: int = Field(ge=0, le=10)
    mode: Literal["half_up", "half_even", "half_down", "up", "down", "ceiling", "floor"]


class Attribute(Cited):
    """A typed subject attribute read from each record.

    `enum` values select items, bands and amounts; `bool` is a flag; `number` is a quantity;
    `text` is free text (only usable as the group key). `default` is used when a record
    leaves the attribute empty; without one, an empty value is an error. `min`/`max` bound a
    `number` attribute: a record outside them is rejected.
    """

    type: Literal["enum", "bool", "number", "text"]
    values: list[Id] | None = None
    default: str | bool | Number | None = None
    min: Number | None = None
    max: Number | None = None


class Subject(Model):
    """What is scored: its kind, the attribute that groups subjects, and typed attributes."""

    kind: str = Field(min_length=1)
    label: Label | None = None
    group: Id | None = None
    attributes: dict[Id, Attribute] = Field(default_factory=dict)


class Parameter(Cited):
    """A named number: either one `value`, or one value per value of the enum attribute `by`."""

    value: Number | None = None
    by: Id | None = None
    values: dict[str, Number] | None = None


class Item(Cited):
    """One point item. `points` items take 0..max (or min..max); `flag` items take true/false.

    `applies_to` limits the item to subjects whose attributes take one of the listed values;
    other subjects must leave it empty.
    """

    id: Id
    type: Literal["points", "flag"] = "points"
    max: Number | None = None
    min: Number = Decimal(0)
    applies_to: dict[Id, list[Id]] | None = None


class Section(Cited):
    """A group of items. Its name in expressions is the sum of its items, capped at `cap`.

    kinds: ``scored`` (default), ``bonus`` (added on top of a base; excluded from total
    checks), ``unscored`` (recorded, never counted; not usable in expressions) and ``veto``
    (flag items; true when any item is set; blocks the rewards listed in `blocks`).
    """

    id: Id
    kind: Literal["scored", "bonus", "unscored", "veto"] = "scored"
    cap: Number | None = None
    blocks: Literal["all"] | list[Id] | None = None
    items: list[Item] = Field(min_length=1)


class Score(Cited):
    """A derived score: an expression over items, sections, attributes, parameters and other
    names, computed in Decimal and rounded by `rounding` (else the scheme's rounding).
    ``rounding: none`` keeps it exact, for a part of a score that is rounded once at the end
    (rounding the part first would round twice). `min`/`max` declare its range; a result
    outside it is an evaluation error."""

    id: Id
    expr: Expr
    rounding: Rounding | Literal["none"] | None = None
    min: Number | None = None
    max: Number | None = None


class Band(Cited):
    """One band: bounds with explicit inclusivity and a payload of named numbers.

    Lower bound: `at_least` (inclusive, 以上) or `above` (exclusive, 超過).
    Upper bound: `at_most` (inclusive, 以下/以內) or `below` (exclusive, 低於/不滿/不含).
    A missing bound is open.
    """

    id: Id
    at_least: Number | None = None
    above: Number | None = None
    at_most: Number | None = None
    below: Number | None = None
    values: dict[Id, Number] = Field(default_factory=dict)


class Unbanded(Cited):
    """The band given to a score that falls in no declared band."""

    id: Id
    values: dict[Id, Number] = Field(default_factory=dict)


class Banding(Cited):
    """Bands over one score. `fields` names the payload every band gives (e.g. coefficient);
    each field becomes a name in expressions, and `field_labels` may name it for people.
    `unbanded` is ``error`` or a catch-all band."""

    id: Id
    score: Id
    fields: list[Id] = Field(default_factory=list)
    field_labels: dict[Id, Label] = Field(default_factory=dict)
    """What each field is called in headings (``step_coefficient: {zh-Hant: 台階係數, ...}``)."""
    bands: list[Band] = Field(min_length=1)
    unbanded: Literal["error"] | Unbanded
    monotone: bool = False


class Ranking(Cited):
    """Ranks subjects by a score in each period, within their group or over all subjects.

    ties: ``competition`` (equal scores share the better rank, the next rank is skipped:
    1, 2, 2, 4) or ``dense`` (1, 2, 2, 3). Every subject of the period is ranked.
    Names: ``<id>`` is the rank, ``<id>_size`` how many were ranked, ``<id>_last`` whether
    the subject holds the last place: nobody ranked below it, and somebody ranked above it.
    Where every subject ties (or only one is ranked) nobody is last, unless
    `last_when_all_tied` says that then everybody is.
    """

    id: Id
    score: Id
    order: Literal["descending", "ascending"] = "descending"
    within: Literal["group", "all"]
    ties: Literal["competition", "dense"]
    last_when_all_tied: bool = False


class RewardBase(Cited):
    """Fields shared by every reward."""

    id: Id
    when: Expr | None = None


class Honour(RewardBase):
    """A title, an honour or a priority, granted when `when` holds."""

    kind: Literal["honour"]
    when: Expr


class Money(RewardBase):
    """An exact amount of money, computed by `amount`, rounded by `rounding`."""

    kind: Literal["money"]
    amount: Expr
    currency: Currency
    rounding: Rounding


class Top(RewardBase):
    """The first `count` subjects, or the first `share` (0..1) of them, of a ranking.

    `count`/`share` are expressions over parameters. `share_rounding` turns share x size into
    a count. `ties`: ``include`` everyone tied with the last one in, or ``exclude`` the whole
    tied group when it would overflow.
    """

    kind: Literal["top"]
    ranking: Id
    count: Expr | None = None
    share: Expr | None = None
    share_rounding: Literal["ceiling", "floor", "half_up"] | None = None
    ties: Literal["include", "exclude"]


class Prize(Model):
    """The amounts for one rank, keyed by the band of the winner's own score."""

    rank: int = Field(ge=1)
    amounts: dict[Id, Number]


class RankPrize(RewardBase):
    """Money by rank: rank r gets `prizes[r].amounts[band]`, band from `banding`.

    ties: ``shared`` (each subject tied at a rank gets that rank's amount) or ``split``
    (the amounts of the places a tied group occupies are pooled and divided equally,
    rounded to `rounding`, whose mode must then be ``down`` or ``floor``: a share never
    rounds up, so the shares never add up to more than the pool).
    """

    kind: Literal["rank_prize"]
    ranking: Id
    banding: Id
    currency: Currency
    rounding: Rounding
    prizes: list[Prize] = Field(min_length=1)
    ties: Literal["shared", "split"]


Reward = Annotated[Honour | Money | Top | RankPrize, Field(discriminator="kind")]


class Condition(Cited):
    """An action taken in a period when `when` holds. `action` names the outcome (default: id)."""

    kind: Literal["condition"]
    id: Id
    when: Expr
    action: Id | None = None


class Step(Cited):
    """One rung of an escalation: from the `at`-th occurrence on (and when `when` holds)."""

    at: int = Field(ge=1)
    action: Id
    when: Expr | None = None


class Escalation(Cited):
    """Counts periods in which `when` holds and applies the highest step reached.

    count: ``consecutive`` (an unbroken run of periods ending now; a missing period breaks it)
    or ``in_year`` (occurrences in the calendar year so far).
    """

    kind: Literal["escalation"]
    id: Id
    when: Expr
    count: Literal["consecutive", "in_year"]
    steps: list[Step] = Field(min_length=1)


Action = Annotated[Condition | Escalation, Field(discriminator="kind")]


class YearEnd(Cited):
    """Rules over a subject's periods of one calendar year, applied once the year is complete.

    Per-period names are series here and must be aggregated: ``mean(total)``, ``sum(x)``,
    ``min(x)``, ``max(x)``, ``count(flag)``, ``streak(flag)`` (longest run of consecutive
    periods).
    """

    scores: list[Score] = Field(default_factory=list)
    rewards: list[Honour | Money] = Field(default_factory=list)
    actions: list[Condition] = Field(default_factory=list)
    missing: Literal["as_absent", "skip", "error"] = "as_absent"
    """A subject without a record for some period of a year: ``as_absent`` applies the
    year-end rules to the periods it has (each series function reads only those; a flag is
    false in a missing period); ``skip`` gives it no year-end result; ``error`` stops the
    evaluation. Each way says which periods are missing."""


class Input(Model):
    """How a sheet or CSV file of records maps to the scheme (docs/input.md).

    Headers may always be the names (``subject``, ``period``, attribute and item ids) or an
    attribute's or item's label in any of the scheme's languages; `columns` names other
    headers (``支部名稱: subject``). `skip_rows` rows above the header (an office title) are
    skipped, `ignore_columns` are read past (``序号``, ``合计``, ``備註``); columns without a
    header and without values (what spreadsheets leave) are ignored. Any other column is an
    error, as is an unknown sheet.
    """

    sheet: Annotated[str | int, BeforeValidator(_sheet)] | None = None
    """The sheet of a workbook, by name or 1-based position (default: the first); a name
    is one a workbook can hold (at most 31 characters, none of ``[ ] : * ? / \\``, not
    starting or ending with ``'``)."""
    skip_rows: int = Field(default=0, ge=0, le=1000)
    ignore_columns: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    columns: dict[Annotated[str, Field(min_length=1)], str] = Field(default_factory=dict)


class Scheme(Model):
    """A whole scheme file."""

    partyscore: Literal[1] = Field(description="format version of the file")
    id: Annotated[
        str,
        AfterValidator(_scheme_id),
        WithJsonSchema({"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"}),
    ]
    version: int = Field(ge=1)
    title: Label
    description: str | None = None
    source: Source
    period: Literal["month", "bimonth", "quarter", "half", "year"]
    effective: Effective
    rounding: Rounding
    subject: Subject
    parameters: dict[Id, Parameter] = Field(default_factory=dict)
    sections: list[Section] = Field(default_factory=list)
    scores: list[Score] = Field(default_factory=list)
    bands: list[Banding] = Field(default_factory=list)
    rankings: list[Ranking] = Field(default_factory=list)
    rewards: list[Reward] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    year_end: YearEnd | None = None
    input: Input | None = None
