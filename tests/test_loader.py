"""The YAML loader, seen through `load_scheme_text` and `load_scheme`: every snippet maps to the
whole rendered diagnostic (file:line:column: key path: message [code]).

Broken schemes are variants of tests/data/features.yaml made by text replacement, or small
inline YAML. Line and column numbers below are counted by hand from that text.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest

from partyscore import SchemeError, load_scheme, load_scheme_text

FEATURES = (Path(__file__).parent / "data" / "features.yaml").read_text(encoding="utf-8")


def variant(old: str, new: str) -> str:
    """FEATURES with the first `old` replaced by `new`; `old` must be there."""
    assert old in FEATURES, old
    return FEATURES.replace(old, new, 1)


def rendered(text: str) -> list[str]:
    """The rendered lines of the SchemeError that loading `text` must raise."""
    with pytest.raises(SchemeError) as info:
        load_scheme_text(text, file="s.yaml")
    return info.value.render().splitlines()


MISSPELT_WHEN = "s.yaml:59:23: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
MISSPELT_EXPR = "s.yaml:30:23: scores[total].expr: unknown name 'wrok'; did you mean 'work'? "
W1_MAX = "{id: w1, max: 60}"  # line 21; the value of max starts at column 23

CASES = [
    # -- YAML syntax, with the position of the problem
    pytest.param(
        variant("id: smoke\n", "id: smoke\n  bad: indent\n"),
        # 'smoke' continues on line 3 as a plain scalar; its ':' (column 6) cannot follow it
        ["s.yaml:3:6: mapping values are not allowed here [yaml-syntax]"],
        id="syntax-mapping-in-scalar",
    ),
    pytest.param(
        "a: [1, 2\nb: 3\n",
        [
            "s.yaml:2:2: while parsing a flow sequence: expected ',' or ']', but got ':' "
            "[yaml-syntax]"
        ],
        id="syntax-unclosed-flow-sequence",
    ),
    pytest.param(
        "a:\n\tb: 1\n",
        [
            "s.yaml:2:1: while scanning for the next token: found character '\\t' that cannot "
            "start any token [yaml-syntax]"
        ],
        id="syntax-tab-indent",
    ),
    # -- duplicate keys
    pytest.param(
        variant("version: 1\n", "version: 1\nversion: 2\n"),
        [
            "s.yaml:4:1: version: duplicate key 'version' (first defined on line 3) "
            "[duplicate-key]"
        ],
        id="duplicate-top-level-key",
    ),
    pytest.param(
        variant(W1_MAX, "{id: w1, max: 60, max: 50}"),
        [
            "s.yaml:21:27: sections[work].items[w1].max: duplicate key 'max' (first defined "
            "on line 21) [duplicate-key]"
        ],
        id="duplicate-key-in-flow-mapping",
    ),
    # -- yes/no/on are not booleans: a boolean field given one is an error
    pytest.param(
        variant("    unbanded: error\n", "    unbanded: error\n    monotone: no\n"),
        [
            "s.yaml:35:15: bands[level].monotone: Input should be a valid boolean, got 'no' "
            "[bool-type]"
        ],
        id="bool-field-no",
    ),
    pytest.param(
        variant("    unbanded: error\n", "    unbanded: error\n    monotone: on\n"),
        [
            "s.yaml:35:15: bands[level].monotone: Input should be a valid boolean, got 'on' "
            "[bool-type]"
        ],
        id="bool-field-on",
    ),
    pytest.param(
        variant(
            "    stage: {type: enum, values: [a, b]}\n",
            "    stage: {type: enum, values: [a, b]}\n    vip: {type: bool, default: yes}\n",
        ),
        [
            "s.yaml:15:32: subject.attributes.vip.default: the default 'yes' is not a valid bool "
            "value for 'vip' [bad-default]"
        ],
        id="bool-attribute-default-yes",
    ),
    # -- numbers
    pytest.param(
        variant(W1_MAX, "{id: w1, max: 070}"),
        [
            "s.yaml:21:23: sections[work].items[w1].max: '070' has a leading zero (octal in "
            "YAML 1.1); write 70 or quote it as a string [ambiguous-number]"
        ],
        id="leading-zero",
    ),
    pytest.param(
        variant(W1_MAX, "{id: w1, max: 1e400}"),
        [
            "s.yaml:21:23: sections[work].items[w1].max: 1E+400 is outside the allowed range "
            "(at most 10^12 in magnitude) [number-range]"
        ],
        id="huge-exponent",
    ),
    pytest.param(
        variant(W1_MAX, "{id: w1, max: .inf}"),
        [
            "s.yaml:21:23: sections[work].items[w1].max: '.inf' is not a finite number "
            "[non-finite-number]"
        ],
        id="inf",
    ),
    pytest.param(
        variant(W1_MAX, "{id: w1, max: -.Inf}"),
        [
            "s.yaml:21:23: sections[work].items[w1].max: '-.Inf' is not a finite number "
            "[non-finite-number]"
        ],
        id="minus-inf",
    ),
    pytest.param(
        variant(W1_MAX, "{id: w1, max: .nan}"),
        [
            "s.yaml:21:23: sections[work].items[w1].max: '.nan' is not a finite number "
            "[non-finite-number]"
        ],
        id="nan",
    ),
    pytest.param(
        variant(W1_MAX, "{id: w1, max: -070}"),
        [
            "s.yaml:21:23: sections[work].items[w1].max: '-070' has a leading zero (octal in "
            "YAML 1.1); write -70 or quote it as a string [ambiguous-number]"
        ],
        id="leading-zero-negative",
    ),
    pytest.param(
        # a required value refused is reported once: no follow-on 'got None' from the model
        variant("version: 1\n", "version: 070\n"),
        [
            "s.yaml:3:10: version: '070' has a leading zero (octal in YAML 1.1); write 70 or "
            "quote it as a string [ambiguous-number]"
        ],
        id="leading-zero-on-required-field",
    ),
    # -- tags: none constructs anything; `sample` is optional, so the tag is the only problem
    *(
        pytest.param(
            variant("source: {document: x}", f"source: {{document: x, sample: {tagged}}}"),
            [f"s.yaml:5:31: source.sample: the tag {tag!r} is not allowed [yaml-tag]"],
            id=f"tag-{tag}",
        )
        for tag, tagged in [
            ("!!python/object/apply:os.system", "!!python/object/apply:os.system ['true']"),
            ("!!python/object/new:os.system", "!!python/object/new:os.system ['true']"),
            ("!!binary", "!!binary aGk="),
            ("!!set", "!!set {a, b}"),
            ("!!float", "!!float 1"),
            ("!custom", "!custom x"),
        ]
    ),
    # an explicit tag is an error even where it names the implicit type
    pytest.param(
        variant("source: {document: x}", "source: {document: x, sample: !!bool yes}"),
        ["s.yaml:5:31: source.sample: the tag '!!bool' is not allowed [yaml-tag]"],
        id="explicit-bool-tag",
    ),
    pytest.param(
        variant("source: {document: x}", "source: {document: x, sample: !!int 5}"),
        ["s.yaml:5:31: source.sample: the tag '!!int' is not allowed [yaml-tag]"],
        id="explicit-int-tag",
    ),
    pytest.param(
        # `document` is required: still the tag is the only problem
        variant("source: {document: x}", "source: {document: !!python/object/apply:os.system [x]}"),
        [
            "s.yaml:5:20: source.document: the tag '!!python/object/apply:os.system' is not "
            "allowed [yaml-tag]"
        ],
        id="tag-on-required-field",
    ),
    # -- document shape
    pytest.param("", ["s.yaml:1:1: the file holds no YAML document [empty-document]"], id="empty"),
    pytest.param(
        "# only a comment\n",
        ["s.yaml:1:1: the file holds no YAML document [empty-document]"],
        id="comment-only",
    ),
    pytest.param(
        "partyscore: 1\n---\npartyscore: 1\n",
        ["s.yaml:2:1: a file must hold exactly one YAML document [yaml-multiple-documents]"],
        id="two-documents",
    ),
    pytest.param(
        "- partyscore: 1\n- id: smoke\n",
        ["s.yaml:1:1: a scheme file must be a YAML mapping [not-a-mapping]"],
        id="top-level-list",
    ),
    pytest.param(
        "just some text\n",
        ["s.yaml:1:1: a scheme file must be a YAML mapping [not-a-mapping]"],
        id="top-level-scalar",
    ),
    # -- nesting
    pytest.param(
        # the root mapping is level 0 and the n-th '[' (column 3 + n) is level n
        "a: " + "[" * 100 + "]" * 100 + "\n",
        ["s.yaml:1:68: the document is nested more than 64 levels deep [yaml-too-deep]"],
        id="deep-flow-nesting",
    ),
    pytest.param(
        # key k<n> sits on line n + 1; the mapping at level n starts at line n + 1, column 2n + 1
        "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v\n",
        ["s.yaml:66:131: the document is nested more than 64 levels deep [yaml-too-deep]"],
        id="deep-block-nesting",
    ),
    # -- the format's keys
    pytest.param(
        variant("period: quarter\n", "period: quarter\ntitel: x\n"),
        ["s.yaml:7:1: titel: unknown key 'titel'; did you mean 'title'? [unknown-key]"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        variant("  kind: village\n", "  kind: village\n  grup: town\n"),
        ["s.yaml:11:3: subject.grup: unknown key 'grup'; did you mean 'group'? [unknown-key]"],
        id="unknown-nested-key",
    ),
    pytest.param(
        variant("rankings:\n", "rankng:\n"),
        ["s.yaml:39:1: rankng: unknown key 'rankng'; did you mean 'rankings'? [unknown-key]"],
        id="unknown-key-suggests-a-key-of-this-mapping",
    ),
    pytest.param(
        variant("version: 1\n", ""),
        ["s.yaml:1:1: missing required key 'version' [missing-key]"],
        id="missing-top-level-key",
    ),
    pytest.param(
        variant("{id: w2, max: 40}", "{max: 40}"),
        ["s.yaml:22:9: sections[work].items[1]: missing required key 'id' [missing-key]"],
        id="missing-item-id",
    ),
    # -- expressions: the column points at the misspelt name
    pytest.param(
        variant("when: rk_last and total < 85", "when: rk_last and totl < 85"),
        [MISSPELT_WHEN + "[expr-unknown-name]"],
        id="misspelt-name-plain",
    ),
    pytest.param(
        variant("when: rk_last and total < 85", 'when: "rk_last and totl < 85"'),
        # one column further: the opening quote comes first
        ["s.yaml:59:24: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
         "[expr-unknown-name]"],
        id="misspelt-name-double-quoted",
    ),
    pytest.param(
        variant("when: rk_last and total < 85", "when: 'rk_last and totl < 85'"),
        ["s.yaml:59:24: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
         "[expr-unknown-name]"],
        id="misspelt-name-single-quoted",
    ),
    pytest.param(
        variant("expr: work,", "expr: wrok,"),
        [MISSPELT_EXPR + "[expr-unknown-name]"],
        id="misspelt-section-name",
    ),
    pytest.param(
        variant("when: rk_last and total < 85", 'when: "  rk_last and totl < 85"'),
        # the quote is column 11, two spaces, 'rk_last and ' (12 characters): 'totl' at 26
        ["s.yaml:59:26: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
         "[expr-unknown-name]"],
        id="misspelt-name-after-leading-spaces",
    ),
    pytest.param(
        variant("when: rk_last and total < 85", "when: >-\n      rk_last and totl < 85"),
        # 'totl' is on line 60, after six spaces and 'rk_last and '
        ["s.yaml:60:19: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
         "[expr-unknown-name]"],
        id="misspelt-name-block-scalar",
    ),
    pytest.param(
        variant("when: rk_last and total < 85", "when: rk_last and\n      totl < 85"),
        ["s.yaml:60:7: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
         "[expr-unknown-name]"],
        id="misspelt-name-multi-line-plain",
    ),
    # -- a value the loader refused is reported once, and expressions are still checked
    pytest.param(
        variant("version: 1\n", "version: 1\nversion: 1\n").replace("expr: work,", "expr: wrok,"),
        [
            "s.yaml:4:1: version: duplicate key 'version' (first defined on line 3) "
            "[duplicate-key]",
            "s.yaml:31:23: scores[total].expr: unknown name 'wrok'; did you mean 'work'? "
            "[expr-unknown-name]",
        ],
        id="loader-and-expression-problems-together",
    ),
    # -- problems unrelated to a refused value are still reported
    pytest.param(
        variant("version: 1\n", "").replace(
            "source: {document: x}", "source: {document: x, sample: !!binary aGk=}"
        ),
        # 'version' is gone, so 'source' moved up to line 4
        [
            "s.yaml:1:1: missing required key 'version' [missing-key]",
            "s.yaml:4:31: source.sample: the tag '!!binary' is not allowed [yaml-tag]",
        ],
        id="refused-value-and-missing-top-level-key",
    ),
    pytest.param(
        variant("{id: w2, max: 40}", "{max: 040}"),
        [
            "s.yaml:22:9: sections[work].items[1]: missing required key 'id' [missing-key]",
            "s.yaml:22:15: sections[work].items[1].max: '040' has a leading zero (octal in "
            "YAML 1.1); write 40 or quote it as a string [ambiguous-number]",
        ],
        id="refused-value-and-missing-sibling-key",
    ),
    pytest.param(
        variant('  share: {value: "0.2"}\n', '  share: {value: "0.2"}\n  flags2: {value: abc}\n')
        .replace("  flags: {value: 1}", "  flags: !!map {value: 1}"),
        [
            "s.yaml:16:10: parameters.flags: the tag '!!map' is not allowed [yaml-tag]",
            "s.yaml:18:19: parameters.flags2.value: 'abc' is not a number (write digits 0-9, "
            "e.g. 85 or 92.5) [number]",
        ],
        id="refused-value-and-problem-under-a-longer-key",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_rendered_diagnostics(text: str, expected: list[str]) -> None:
    assert rendered(text) == expected


def test_features_scheme_loads() -> None:
    scheme = load_scheme_text(FEATURES, file="s.yaml")
    assert scheme.id == "smoke"
    assert list(scheme.items) == ["w1", "w2", "extra", "v1"]


# --------------------------------------------------------------------------- scalars


def test_no_yes_on_stay_strings_where_text_belongs() -> None:
    text = variant("{id: v1, type: flag}", "{id: v1, type: flag, label: {zh-Hant: no, en: on}}")
    text = text.replace("source: {document: x}", "source: {document: x, sample: yes}")
    model = load_scheme_text(text, file="s.yaml").model
    label = model.sections[1].items[0].label
    assert label is not None
    assert (label.zh_hant, label.en) == ("no", "on")
    assert model.source.sample == "yes"


def test_enum_value_no_stays_the_string_no() -> None:
    text = variant("values: [a, b]", "values: [a, no]").replace("stage: [b]", "stage: [no]")
    model = load_scheme_text(text, file="s.yaml").model
    assert model.subject.attributes["stage"].values == ["a", "no"]


def test_sexagesimal_looking_value_stays_a_string() -> None:
    text = variant("source: {document: x}", "source: {document: x, lines: 1:30}")
    assert load_scheme_text(text, file="s.yaml").model.source.lines == "1:30"


def test_explicit_str_tag_gives_a_string() -> None:
    text = variant("source: {document: x}", "source: {document: x, sample: !!str 12}")
    assert load_scheme_text(text, file="s.yaml").model.source.sample == "12"


def test_decimal_literal_is_exact() -> None:
    text = variant('share: {value: "0.2"}', "share: {value: 0.7}")
    value = load_scheme_text(text, file="s.yaml").model.parameters["share"].value
    assert isinstance(value, Decimal)
    assert value == Decimal("0.7")
    assert str(value) == "0.7"  # not 0.6999999999999999555910790149937...


def test_unquoted_decimal_max_is_exact() -> None:
    text = variant("{id: w2, max: 40}", "{id: w2, max: 40.1}")
    item = load_scheme_text(text, file="s.yaml").model.sections[0].items[1]
    assert item.max == Decimal("40.1")
    assert str(item.max) == "40.1"


def test_number_with_absurd_exponent_is_rejected() -> None:
    with pytest.raises(SchemeError) as info:
        load_scheme_text(variant('share: {value: "0.2"}', "share: {value: 1e-100000}"), file="x")
    assert [(d.line, d.column) for d in info.value.diagnostics] == [(17, 18)]


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    ("first", "second"),
    [("1", "'1'"), ("'1'", "1"), ("1", '"1"')],
    ids=["int-then-str", "str-then-int", "int-then-double-quoted"],
)
def test_integer_and_string_keys_are_the_same_key(first: str, second: str) -> None:
    text = variant(
        "title: {zh-Hant: 測試, en: smoke}",
        f"title: {{zh-Hant: 測試, en: smoke, {first}: x,\n  {second}: y}}",
    )
    lines = rendered(text)
    # the second key is on line 5 after two spaces
    expected = "s.yaml:5:3: title.1: duplicate key '1' (first defined on line 4) [duplicate-key]"
    assert expected in lines


# --------------------------------------------------------------------------- tags execute nothing


def test_python_tags_execute_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []

    def system(*args: object) -> int:
        calls.append(args)
        return 0

    monkeypatch.setattr(os, "system", system)
    marker = tmp_path / "ran"
    for tag in ("!!python/object/apply:os.system", "!!python/object/new:os.system"):
        text = variant(
            "source: {document: x}", f"source: {{document: x, sample: {tag} ['touch {marker}']}}"
        )
        lines = rendered(text)
        assert lines == [f"s.yaml:5:31: source.sample: the tag {tag!r} is not allowed [yaml-tag]"]
    assert calls == []
    assert not marker.exists()


# --------------------------------------------------------------------------- size limits


def test_alias_expansion_bomb_is_refused_quickly() -> None:
    # billion laughs: nine levels of nine aliases each expand to 9**9 scalars
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    start = time.perf_counter()
    with pytest.raises(SchemeError) as info:
        load_scheme_text(text, file="s.yaml")
    elapsed = time.perf_counter() - start
    assert elapsed < 2
    assert [d.code for d in info.value.diagnostics] == ["yaml-too-large"]
    assert info.value.render().endswith(
        ": the document expands to more than 50000 nodes [yaml-too-large]"
    )


def test_small_aliases_are_fine() -> None:
    text = variant(
        "title: {zh-Hant: 測試, en: smoke}", "title: &t {zh-Hant: 測試, en: smoke}"
    ).replace("source: {document: x}", "source: {document: x}\ndescription: &d text")
    assert load_scheme_text(text, file="s.yaml").model.description == "text"


def test_very_deep_nesting_has_a_position() -> None:
    with pytest.raises(SchemeError) as info:
        load_scheme_text("a: " + "[" * 5000 + "]" * 5000 + "\n", file="s.yaml")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "yaml-too-deep"
    # as with 100 levels: the 65th '[' (column 3 + 65) is the first too deep
    assert (diagnostic.line, diagnostic.column) == (1, 68)


# --------------------------------------------------------------------------- several problems


def test_every_model_problem_is_reported_at_once_in_file_order() -> None:
    text = (
        variant("period: quarter", "period: quartr")
        .replace("version: 1\n", "")
        .replace("  kind: village\n", "  kind: village\n  grup: town\n")
    )
    assert rendered(text) == [
        "s.yaml:1:1: missing required key 'version' [missing-key]",
        # 'version' is gone, so 'period' moved up to line 5
        "s.yaml:5:9: period: Input should be 'month', 'bimonth', 'quarter', 'half' or 'year'; "
        "did you mean 'quarter'? [literal-error]",
        "s.yaml:10:3: subject.grup: unknown key 'grup'; did you mean 'group'? [unknown-key]",
    ]


def test_every_expression_problem_is_reported_at_once_in_file_order() -> None:
    text = variant("when: rk_last and total < 85", "when: rk_last and totl < 85").replace(
        "expr: work,", "expr: wrok,"
    )
    assert rendered(text) == [
        MISSPELT_EXPR + "[expr-unknown-name]",
        MISSPELT_WHEN + "[expr-unknown-name]",
    ]


def test_error_carries_diagnostics_matching_its_rendering() -> None:
    with pytest.raises(SchemeError) as info:
        load_scheme_text(variant("expr: work,", "expr: wrok,"), file="s.yaml")
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.file, diagnostic.line, diagnostic.column) == ("s.yaml", 30, 23)
    assert (diagnostic.code, diagnostic.path) == ("expr-unknown-name", "scores[total].expr")
    assert str(info.value) == info.value.render() == diagnostic.render()


# --------------------------------------------------------------------------- files


def test_load_scheme_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.render() == f"{path}: No such file or directory [unreadable]"


def test_load_scheme_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "gb.yaml"
    path.write_bytes(FEATURES.encode("gb18030"))
    # the first non-ASCII character is 測 on line 4; everything before it is ASCII
    offset = len(FEATURES[: FEATURES.index("測")].encode("ascii"))
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.render() == (
        f"{path}:4: the file is not valid UTF-8 (byte {offset}); it reads as GB18030: save it "
        "as UTF-8, or pass --encoding gb18030 [encoding]"
    )


def test_load_scheme_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "u16.yaml"
    path.write_bytes(FEATURES.encode("utf-16"))
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.render() == (
        f"{path}: the file is UTF-16; save it as UTF-8 or pass --encoding utf-16 [encoding]"
    )


def test_load_scheme_accepts_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + FEATURES.encode("utf-8"))
    scheme = load_scheme(path)
    assert scheme.id == "smoke"
    assert scheme.model.title.zh_hant == "測試"


def test_bom_does_not_shift_positions(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + variant("id: smoke", "id: Smoke").encode("utf-8"))
    with pytest.raises(SchemeError) as info:
        load_scheme(path)
    assert info.value.render() == (
        f"{path}:2:5: id: 'Smoke' is not a scheme id: use lower-case words joined by '-' "
        "[scheme-id]"
    )


LINE_TEXTS = [
    "a,b\r\nc,d\n",
    "a,b\rc,d",
    '"x\ny",2\n3,4',
    "\n\n",
    "a\r\r\nb",
    "\ufeffsubject,period\n甲,2024-Q1\r\n",
    "one line without an end",
]


@pytest.mark.parametrize("text", LINE_TEXTS)
@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_read_lines_splits_as_newline_empty_does(tmp_path, monkeypatch, text, chunk):
    # Every chunk size, so that a \r\n or a multi-byte character falls across two chunks.
    from partyscore import _loader

    monkeypatch.setattr(_loader, "CHUNK", chunk)
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("utf-8"))
    lines, problem = _loader.read_lines(path, max_bytes=10**6)
    assert problem is None
    assert lines is not None
    with open(path, encoding="utf-8-sig", newline="") as handle:
        expected = list(handle)
    assert list(lines) == expected


def test_read_lines_reports_a_late_bad_byte_as_the_whole_file_does(tmp_path, monkeypatch):
    from partyscore import _loader

    monkeypatch.setattr(_loader, "CHUNK", 8)
    raw = b"subject,period\n" + "甲,2024-Q1\n".encode("gb18030")
    path = tmp_path / "late.csv"
    path.write_bytes(raw)
    lines, problem = _loader.read_lines(path, max_bytes=10**6)
    assert problem is None
    assert lines is not None
    with pytest.raises(_loader.DecodeError) as info:
        list(lines)
    _, whole = _loader.decode(raw, str(path))
    assert info.value.diagnostic == whole
    assert whole is not None
    assert whole.line == 2  # the GB18030 row, second line
