"""Scheme-level checks: each broken variant of tests/data/features.yaml is rejected with the
whole rendered diagnostic (file:line:column: key path: message [code])."""

from __future__ import annotations

from pathlib import Path

import pytest

import partyscore

FEATURES = (Path(__file__).parent / "data" / "features.yaml").read_text(encoding="utf-8")


def problems(old: str, new: str) -> list[str]:
    assert old in FEATURES, old
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(FEATURES.replace(old, new), file="features.yaml")
    return error.value.render().splitlines()


CASES = [
    # The literal reading of "50分以下" beside "60-50分": (-inf, 85] next to [85, 95) share 85.
    ("- {id: none, below: 85}", "- {id: none, at_most: 85}",
     "features.yaml:37:9: bands[level].bands[half]: half [85, 95) overlaps none (-inf, 85] "
     "[band-overlap]"),
    ("banding: level", "banding: levle",
     "features.yaml:46:14: rewards[prize].banding: unknown banding 'levle'; did you mean "
     "'level'? [unknown-banding]"),
    ("ranking: rk, count", "ranking: rkk, count",
     "features.yaml:54:36: rewards[flag].ranking: unknown ranking 'rkk'; did you mean 'rk'? "
     "[unknown-ranking]"),
    ("- {id: full, at_least: 95}", "- {id: full, at_least: 95, values: {coef: 1}}",
     "features.yaml:36:43: bands[level].bands[full].values.coef: 'coef' is not a field of this "
     "banding [band-payload]"),
    ("  group: town\n", "",
     "features.yaml:40:37: rankings[grk].within: ranking within a group needs subject.group "
     "[no-group]"),
    ("    blocks: [flag]\n", "",
     "features.yaml:24:5: sections[veto]: a veto section must say what it 'blocks' [veto-blocks]"),
    ("- {at: 2, action: lose_eligibility}", "- {at: 1, action: lose_eligibility}",
     "features.yaml:62:7: actions[last_low].steps: steps must be in increasing order of 'at', "
     "each 'at' once [step-order]"),
    ("count: flags, ties", "count: flags, share: share, ties",
     "features.yaml:54:5: rewards[flag]: give either 'count' or 'share' [top-shape]"),
    ("kind: top, ranking: rk,", "ranking: rk,",
     "features.yaml:54:5: rewards[flag]: missing 'kind' [union-tag-not-found]"),
    ("kind: top, ranking: rk,", "kind: tops, ranking: rk,",
     "features.yaml:54:5: rewards[flag]: unknown kind 'tops': expected one of 'honour', "
     "'money', 'top', 'rank_prize' [union-tag-invalid]"),
    ("applies_to: {stage: [b]}", "applies_to: {stage: [c]}",
     "features.yaml:23:50: sections[work].items[extra].applies_to.stage[0]: 'c' is not a value "
     "of stage [unknown-value]"),
    ("- {id: w2, max: 40}", "- {id: w2, max: 40, min: 40}",
     "features.yaml:22:23: sections[work].items[w2].max: max 40 is not above min 40 [bad-range]"),
    ("count: flags, ties", "count: total, ties",
     "features.yaml:54:47: rewards[flag].count: unknown name 'total' [expr-unknown-name]"),
    ("expr: mean(total)", "expr: total",
     "features.yaml:67:26: year_end.scores[annual].expr: expected a number, but the expression "
     "gives number series [expr-type]"),
    ("- {id: v1, type: flag}", "- {id: v1}",
     "features.yaml:28:9: sections[veto].items[v1].type: veto items are flags: set type: flag "
     "[veto-item]"),
    ("title: {zh-Hant: 測試, en: smoke}", "title: {zh-Hant: 測試}",
     "features.yaml:4:8: title: missing required key 'en' [missing-key]"),
    ("id: smoke", "id: Smoke_1",
     "features.yaml:2:5: id: 'Smoke_1' is not a scheme id: use lower-case words joined by '-' "
     "[scheme-id]"),
    ("effective: {start: 2020-01-01}", "effective: {start: 2020-13-01}",
     "features.yaml:7:20: effective.start: expected a date written YYYY-MM-DD, got "
     "'2020-13-01' [date]"),
    ("currency: CNY", "currency: rmb",
     "features.yaml:47:15: rewards[prize].currency: 'rmb' is not an ISO 4217 currency code such "
     "as CNY [currency]"),
    ("- {id: total, expr: work, min: 0, max: 105}",
     "- {id: total, expr: other, min: 0, max: 105}\n  - {id: other, expr: total}",
     "features.yaml:30:5: scores[total]: these rules depend on each other in a cycle: total, "
     "other [cycle]"),
    ("- {id: total, expr: work,", "- {id: total, expr: wrok,",
     "features.yaml:30:23: scores[total].expr: unknown name 'wrok'; did you mean 'work'? "
     "[expr-unknown-name]"),
    ("when: rk_last and total < 85", "when: rk_last and total = 85",
     "features.yaml:59:29: actions[last_low].when: '=' assigns; use '==' to compare "
     "[expr-syntax]"),
    ("rounding: {places: 2, mode: half_up}", "rounding: {places: 2, mode: halfup}",
     "features.yaml:8:29: rounding.mode: Input should be 'half_up', 'half_even', 'half_down', "
     "'up', 'down', 'ceiling' or 'floor'; did you mean 'half_up'? [literal-error]"),
    ("rounding: {places: 2, mode: half_up}", "rounding: {places: 2, mode: half_up, mod: 1}",
     "features.yaml:8:38: rounding.mod: unknown key 'mod'; did you mean 'mode'? [unknown-key]"),
    ("version: 1", "version: true",
     "features.yaml:3:10: version: Input should be a valid integer, got True [int-type]"),
]


@pytest.mark.parametrize(("old", "new", "expected"), CASES,
                         ids=[c[2].split(": ")[1] + " " + c[2].rsplit("[", 1)[1] for c in CASES])
def test_rejected_with_location(old, new, expected):
    assert problems(old, new) == [expected]


def test_a_parameter_that_varies_cannot_size_a_top_reward():
    assert problems("flags: {value: 1}", "flags: {by: town, values: {a: 1}}") == [
        "features.yaml:16:15: parameters.flags.by: 'town' is a text attribute; this needs an "
        "enum attribute [unknown-attribute]",
        "features.yaml:54:47: rewards[flag].count: 'flags' differs by town; a count or share "
        "needs one value [not-constant]",
    ]


def test_every_overlap_is_reported_not_only_between_neighbours():
    assert problems("- {id: none, below: 85}", "- {id: none, below: 100}") == [
        "features.yaml:36:9: bands[level].bands[full]: full [95, inf) overlaps none (-inf, 100) "
        "[band-overlap]",
        "features.yaml:37:9: bands[level].bands[half]: half [85, 95) overlaps none (-inf, 100) "
        "[band-overlap]",
    ]


def test_every_problem_is_reported_at_once_in_file_order():
    text = (FEATURES.replace("banding: level", "banding: levle")
            .replace("expr: work,", "expr: wrok,")
            .replace("currency: CNY", "currency: rmb"))
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="features.yaml")
    # The shape error cuts out its reward, 'prize' (with its unknown banding); the name
    # error in the score is still found in the same run. Fixed, the banding is checked.
    assert [(d.line, d.code) for d in error.value.diagnostics] == [
        (30, "expr-unknown-name"), (47, "currency")]
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text.replace("currency: rmb", "currency: CNY"),
                                    file="features.yaml")
    assert [(d.line, d.code) for d in error.value.diagnostics] == [
        (30, "expr-unknown-name"), (46, "unknown-banding")]


def test_the_features_scheme_itself_is_valid():
    scheme = partyscore.load_scheme_text(FEATURES, file="features.yaml")
    assert scheme.id == "smoke"
    assert [rule.id for rule in scheme.plan.rules][:3] == ["work", "veto", "total"]


@pytest.mark.parametrize(
    ("old", "new", "keys"),
    [
        # A name in an expression: the key path to the expression, list items by index.
        ("expr: work,", "expr: wrok,", ("scores", 0, "expr")),
        # A missing key: the path to the key that is missing.
        ("- {id: w1, max: 60}", "- {id: w1}", ("sections", 0, "items", 0, "max")),
        # A value the YAML reader refused: the path to it.
        ("- {id: w1, max: 60}", "- {id: w1, max: 060}", ("sections", 0, "items", 0, "max")),
    ],
)
def test_a_diagnostic_carries_its_key_path_as_data(old, new, keys):
    assert old in FEATURES, old
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(FEATURES.replace(old, new), file="features.yaml")
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.keys == keys


@pytest.mark.parametrize("end", ["2015-01-01", "2016-01-01"])
def test_an_effective_window_that_ends_before_it_starts_is_refused(end):
    # 'end' is exclusive: ending on the start day leaves no day either.
    text = FEATURES.replace("effective: {start: 2020-01-01}",
                            f"effective: {{start: 2016-01-01, end: {end}}}")
    assert text != FEATURES
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="features.yaml")
    [found] = error.value.diagnostics
    line = text.splitlines().index(f"effective: {{start: 2016-01-01, end: {end}}}") + 1
    assert (found.line, found.path, found.code) == (line, "effective.end", "empty-window")


def test_an_effective_window_of_one_day_is_accepted():
    text = FEATURES.replace("effective: {start: 2020-01-01}",
                            "effective: {start: 2016-01-01, end: 2016-01-02}")
    assert partyscore.load_scheme_text(text, file="features.yaml").id == "smoke"
