"""The compiled form of a scheme, as `CompiledScheme.plan` holds it.

One frozen class per rule kind, every reference resolved to the object it names, derived
facts computed once (the rounding in effect, bands sorted with their inclusivity and the
unbanded band, parameter values by attribute, the names each expression reads). Tools that
need to know what a scheme means (reports, editors, test generators) read this instead of
working it out again from the models.

>>> plan = load_scheme("schemes/chengzhuang-ladder.yaml").plan  # doctest: +SKIP
>>> [rule.id for rule in plan.bandings]  # doctest: +SKIP
['step']
"""

from __future__ import annotations

from ._plan import (
    BandingRule,
    BandPlan,
    ConditionRule,
    EscalationRule,
    HonourRule,
    ItemPlan,
    MoneyRule,
    ParameterPlan,
    Plan,
    RankingRule,
    RankPrizeRule,
    RewardRule,
    Rule,
    ScoreRule,
    SectionRule,
    StepPlan,
    TopRule,
)

__all__ = [
    "BandPlan",
    "BandingRule",
    "ConditionRule",
    "EscalationRule",
    "HonourRule",
    "ItemPlan",
    "MoneyRule",
    "ParameterPlan",
    "Plan",
    "RankPrizeRule",
    "RankingRule",
    "RewardRule",
    "Rule",
    "ScoreRule",
    "SectionRule",
    "StepPlan",
    "TopRule",
]
