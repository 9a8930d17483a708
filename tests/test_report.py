"""The public notice (``partyscore report``): its HTML read in Python, then the same files
opened, measured, photographed and printed in a real headless browser (Debian's Chromium
through Playwright).

Expected values are worked out by hand from examples/yongxi-red-flag.csv and the scheme
text (schemes/yongxi-red-flag.yaml): ten indicators add up to the total; the first three
get 600 / 500 / 400 yuan at 95 or more ("95分以上") and half that from 85 to under 95
("85—95分前三名獎勵減半"), tied places pool their prizes and split them (rounded down); the
first place gets the red flag ("對第一名授流動紅旗", red_flags = 1, ties all get it); last
place at 85 or under makes a statement the first time in a year, loses year-end
eligibility the second, is referred to the discipline commission the third.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import os
import re
import struct
import sys
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import partyscore
from partyscore._i18n import language
from partyscore._report import Bin, UnknownPeriod, histogram, report_html
from partyscore.cli import main
from tests.scheme_text import head

ROOT = Path(__file__).parent.parent
YONGXI = ROOT / "schemes" / "yongxi-red-flag.yaml"
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"
CHROMIUM = "/usr/bin/chromium"
PERIODS = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024", "2025-Q1", "2025-Q2"]

# 2024-Q1, each total the sum of its CSV row's ten indicators:
Q1_TOTALS = {
    "芽溪村": "97.5",  # 20 + 15 + 10 + 9 + 10 + 9.5 + 9.5 + 4.5 + 5 + 5
    "湧溪村": "95",  # 18 + 15 + 10 + 10 + 8.5 + 9.5 + 9 + 5 + 5 + 5
    "坪寨村": "94.5",  # 18.5 + 14.5 + 10 + 9 + 9 + 9 + 10 + 4.5 + 5 + 5
    "上寨村": "94",  # 19.5 + 13.5 + 9 + 9.5 + 9.5 + 9.5 + 9.5 + 4 + 5 + 5
    "平溪村": "94",  # 19 + 13.5 + 9.5 + 9 + 9 + 9.5 + 9.5 + 5 + 5 + 5
    "大坪村": "93.5",  # 18.5 + 14 + 9.5 + 9 + 9.5 + 9 + 10 + 4.5 + 5 + 4.5
    "楓木村": "93.5",  # 19.5 + 13.5 + 9 + 9.5 + 9 + 10 + 8 + 5 + 5 + 5
    "新寨村": "93",  # 18 + 14 + 9.5 + 10 + 9.5 + 10 + 9 + 5 + 3.5 + 4.5
    "石門村": "92.5",  # 18.5 + 13.5 + 10 + 8 + 9.5 + 10 + 9 + 5 + 4.5 + 4.5
    "岑溪村": "92",  # 19 + 13.5 + 9.5 + 9 + 8.5 + 9.5 + 9.5 + 5 + 3.5 + 5
    "高坡村": "91",  # 18 + 14 + 9 + 9 + 9 + 9.5 + 9 + 4 + 5 + 4.5
    "竹林村": "90.5",  # 18 + 13 + 10 + 9 + 9 + 8.5 + 9 + 4.5 + 5 + 4.5
    "桐木村": "90",  # 17.5 + 14 + 9 + 10 + 8.5 + 9.5 + 9 + 4.5 + 5 + 3
    "下寨村": "89",  # 16.5 + 13.5 + 10 + 8 + 8 + 9 + 10 + 4.5 + 4.5 + 5
    "水口村": "88.5",  # 18.5 + 10.5 + 10 + 8 + 9 + 8 + 10 + 4.5 + 5 + 5
    "老鷹巖村": "88.5",  # 17.5 + 13.5 + 9.5 + 9 + 9.5 + 9 + 9 + 4 + 3 + 4.5
    "龍塘村": "88.5",  # 18 + 11.5 + 9 + 9 + 9 + 9 + 9 + 4.5 + 4.5 + 5
    "中屯村": "88",  # 18 + 12.5 + 9 + 9.5 + 8.5 + 8.5 + 9 + 4 + 4 + 5
    "田壩村": "86.5",  # 17.5 + 13 + 8 + 8.5 + 8 + 8.5 + 10 + 4 + 4.5 + 4.5
    "古樓坪村": "78",  # 19 + 10.5 + 8.5 + 8 + 6.5 + 6.5 + 7 + 4 + 4 + 4
}
# Competition ranks (equal totals share the better rank, the next is skipped): 97.5 first,
# 95 second, 94.5 third, the two 94s fourth, the two 93.5s sixth, 93 eighth, ... the three
# 88.5s fifteenth, 88 eighteenth, 86.5 nineteenth, 78 twentieth (last).
Q1_RANKS = {
    "芽溪村": 1, "湧溪村": 2, "坪寨村": 3, "上寨村": 4, "平溪村": 4, "大坪村": 6, "楓木村": 6,
    "新寨村": 8, "石門村": 9, "岑溪村": 10, "高坡村": 11, "竹林村": 12, "桐木村": 13,
    "下寨村": 14, "水口村": 15, "老鷹巖村": 15, "龍塘村": 15, "中屯村": 18, "田壩村": 19,
    "古樓坪村": 20,
}  # fmt: skip
# Prizes: 芽溪村 first at 97.5 >= 95: 600; 湧溪村 second at exactly 95 ("95分以上"
# includes 95): 500; 坪寨村 third at 94.5, in [85, 95): half of 400 = 200. Nobody else.
Q1_PRIZES = {"芽溪村": "600.00", "湧溪村": "500.00", "坪寨村": "200.00"}
Q1_PRIZE_TOTAL = "1300.00"  # 600 + 500 + 200
# 2024-Q4: 中屯村 (19.5 + 14.5 + 10 + 9.5 + 9.5 + 9 + 9.5 + 5 + 5 + 5 = 96.5) and 老鷹巖村
# (20 + 15 + 9.5 + 10 + 9 + 9 + 10 + 4.5 + 5 + 4.5 = 96.5) tie first: they pool places 1
# and 2, (600 + 500) / 2 = 550 each, and both get the flag; 芽溪村 (19.5 + 14.5 + 9 + 9 +
# 9 + 10 + 9 + 5 + 5 + 5 = 95) is third at 95 or more: 400. 550 + 550 + 400 = 1500.
Q4_PRIZES = {"中屯村": "550.00", "老鷹巖村": "550.00", "芽溪村": "400.00"}


def _csv_totals(period: str) -> dict[str, Decimal]:
    """The sum of each row's indicators: a check of the arithmetic in the comments above."""
    with YONGXI_CSV.open(encoding="utf-8") as handle:
        return {
            row["subject"]: sum(
                (Decimal(v) for k, v in row.items() if k not in ("subject", "period")),
                Decimal(0),
            )
            for row in csv.DictReader(handle)
            if row["period"] == period
        }


def test_the_hand_computed_totals_are_the_csv_sums():
    assert _csv_totals("2024-Q1") == {s: Decimal(t) for s, t in Q1_TOTALS.items()}
    q4 = _csv_totals("2024-Q4")
    assert [q4["中屯村"], q4["老鷹巖村"], q4["芽溪村"]] == [Decimal("96.5"), Decimal("96.5"), 95]
    assert sorted(q4.values())[-4] < 95  # the fourth is below 95: only three prizes at full


# --------------------------------------------------------------------------- a small DOM

_VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "source"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag} class={cls} {attrs}>"
        return found[0]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.at = self.root
        self.unclosed: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.at)
        self.at.children.append(node)
        if tag not in _VOID:
            self.at = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.at.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.at))

    def handle_endtag(self, tag: str) -> None:
        assert self.at.tag == tag, f"</{tag}> closes <{self.at.tag}>"
        assert self.at.parent is not None
        self.at = self.at.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)


def parse(text: str) -> Node:
    tree = _Tree()
    tree.feed(text)
    tree.close()
    assert tree.at is tree.root, f"<{tree.at.tag}> never closed"
    return tree.root


@functools.cache
def yongxi() -> tuple[partyscore.CompiledScheme, partyscore.Evaluation]:
    scheme = partyscore.load_scheme(YONGXI)
    return scheme, partyscore.evaluate(scheme, partyscore.read_records(YONGXI_CSV, scheme))


@functools.cache
def notice(period: str | None, lang: str = "zh-Hans") -> str:
    scheme, evaluation = yongxi()
    with language(lang):
        return report_html(scheme, evaluation, period)


def page_of(doc: Node, period: str, kind: str = "period") -> Node:
    return doc.find("section", "page", data_period=period, data_kind=kind)


def rows_of(page: Node) -> list[dict[str, Any]]:
    """Each listing row as data: subject, rank, total, band, prize, rewards, actions."""
    rows = []
    for tr in page.find("section", "listing").find_all("tr"):
        if "data-subject" not in tr.attrs:
            continue
        cells = {(td.attrs.get("class", ""), td.attrs.get("data-key", "")): td for td in tr.iter()}
        money = [td for (cls, key), td in cells.items() if "money" in cls.split()]
        ranks = [td for (cls, _key), td in cells.items() if "rank" in cls.split()]
        rows.append(
            {
                "subject": tr.attrs["data-subject"],
                "rank": int(ranks[0].text()) if ranks else None,
                "scores": {n.attrs["data-key"]: n.text() for n in tr.find_all("td", "score")},
                "band": tr.find("td", "band").attrs.get("data-band"),
                "band_text": tr.find("td", "band").text(),
                "prize": money[0].attrs.get("data-amount") if money else None,
                "prize_text": money[0].text() if money else "",
                "currency": money[0].attrs.get("data-currency") if money else None,
                "rewards": [s.attrs["data-id"] for s in tr.find("td", "rewards").find_all("span")],
                "reward_text": tr.find("td", "rewards").text(),
                "actions": [s.attrs["data-id"] for s in tr.find("td", "actions").find_all("span")],
                "href": tr.find("td", "subject").find("a").attrs["href"],
                "id": tr.attrs["id"],
            }
        )
    return rows


# --------------------------------------------------------------------------- the HTML


def test_q1_listing_has_the_hand_computed_ranks_scores_bands_and_prizes():
    rows = rows_of(page_of(parse(notice("2024-Q1")), "2024-Q1"))
    assert [r["subject"] for r in rows][:3] == ["芽溪村", "湧溪村", "坪寨村"]
    assert {r["subject"]: r["rank"] for r in rows} == Q1_RANKS
    assert [r["rank"] for r in rows] == sorted(Q1_RANKS.values())  # in rank order
    # The total is rounded to the scheme's 2 places; the section keeps its own digits.
    assert {r["subject"]: r["scores"]["total"] for r in rows} == {
        s: f"{Decimal(t):.2f}" for s, t in Q1_TOTALS.items()
    }
    assert {r["subject"]: r["prize"] for r in rows if r["prize"]} == Q1_PRIZES
    assert "600.00" in rows[0]["prize_text"]  # with the currency, as zh-Hans writes it
    assert rows[0]["currency"] == "CNY"
    # Bands: 97.5 and 95 are "95分以上", 78 is under 85, every other total is in [85, 95).
    bands = {r["subject"]: r["band"] for r in rows}
    assert bands.pop("芽溪村") == bands.pop("湧溪村") == "full"
    assert bands.pop("古樓坪村") == "none"
    assert set(bands.values()) == {"half"}
    # zh-Hans labels derived (OpenCC) from the scheme's zh-Hant ones: 95分以上(全額) -> 全额.
    assert rows[0]["band_text"] == "95分以上(全额)"
    # 古樓坪村 is last with 78 <= 85, its first time in 2024: a statement (作表態發言).
    assert {r["subject"]: r["actions"] for r in rows if r["actions"]} == {"古樓坪村": ["statement"]}


def test_the_red_flag_goes_to_the_first_and_is_named_in_simplified_chinese():
    rows = rows_of(page_of(parse(notice("2024-Q1")), "2024-Q1"))
    holders = [r["subject"] for r in rows if "red_flag" in r["rewards"]]
    assert holders == ["芽溪村"]
    # The scheme writes 流動紅旗 (zh-Hant only); the zh-Hans notice says 流动红旗.
    assert rows[0]["reward_text"] == "流动红旗"
    text = notice("2024-Q1")
    assert "流动红旗" in text
    assert "流動紅旗</span>" not in text
    # Subject names are data: never converted (湧溪村 stays as the input writes it).
    assert "湧溪村" in text
    assert "涌溪村</a>" not in text
    with language("zh-Hant"):
        assert "流動紅旗</span>" in report_html(*yongxi(), "2024-Q1")


def test_tied_first_places_split_their_prizes_and_both_hold_the_flag():
    rows = rows_of(page_of(parse(notice("2024-Q4")), "2024-Q4"))
    assert {r["subject"]: r["prize"] for r in rows if r["prize"]} == Q4_PRIZES
    assert [r["rank"] for r in rows[:3]] == [1, 1, 3]
    assert sorted(r["subject"] for r in rows if "red_flag" in r["rewards"]) == [
        "中屯村",
        "老鷹巖村",
    ]
    total = parse(notice("2024-Q4")).find("td", "total", data_key="rank_prize")
    assert total.attrs["data-amount"] == "1500.00"  # 550 + 550 + 400


def test_money_column_ends_with_the_sum_paid():
    doc = parse(notice("2024-Q1"))
    total = page_of(doc, "2024-Q1").find("td", "total", data_key="rank_prize")
    assert (total.attrs["data-amount"], total.attrs["data-currency"]) == (Q1_PRIZE_TOTAL, "CNY")


def test_bar_chart_has_one_bar_per_village_in_rank_order():
    page = page_of(parse(notice("2024-Q1")), "2024-Q1")
    bars = page.find("figure", "ranking").find_all("rect", "bar")
    assert [b.attrs["data-subject"] for b in bars] == [r["subject"] for r in rows_of(page)]
    assert len(bars) == 20
    assert [b.attrs["data-value"] for b in bars][:3] == ["97.50", "95.00", "94.50"]
    # The axis runs from 0 to the declared maximum 100 over the plot width; widths follow the
    # scores exactly: 97.5 / 78 of the last bar's width (to 0.01).
    first, last = Decimal(bars[0].attrs["width"]), Decimal(bars[-1].attrs["width"])
    assert abs(first / last - Decimal("97.5") / 78) < Decimal("0.001")


def test_histogram_counts_q1_in_five_point_bins():
    figure = page_of(parse(notice("2024-Q1")), "2024-Q1").find("figure", "distribution")
    assert figure.attrs["data-width"] == "5"  # 100 points / 20
    bins = [
        (b.attrs["data-lo"], b.attrs["data-hi"], int(b.attrs["data-count"]))
        for b in figure.find_all("rect", "bin")
    ]
    # [75, 80): 78. [80, 85): nobody. [85, 90): 89, 88.5 x 3, 88, 86.5. [90, 95): 94.5, 94 x 2,
    # 93.5 x 2, 93, 92.5, 92, 91, 90.5, 90. [95, 100): 97.5, 95.
    assert bins == [("75", "80", 1), ("80", "85", 0), ("85", "90", 6), ("90", "95", 11),
                    ("95", "100", 2)]  # fmt: skip


def test_histogram_is_exact_with_decimal():
    values = [Decimal(v) for v in ("0.1", "0.2", "0.3", "0.30", "0.7")]
    # Span 0.6 (< 1): the width is the smallest of 0.1, 0.2, 0.5 giving at most 8 bins: 0.1.
    # 0.1 + 0.2 is 0.3 exactly here (as floats it is not, and would land in another bin).
    assert histogram(values) == [
        Bin(Decimal("0.1"), Decimal("0.2"), 1),
        Bin(Decimal("0.2"), Decimal("0.3"), 1),
        Bin(Decimal("0.3"), Decimal("0.4"), 2),
        Bin(Decimal("0.4"), Decimal("0.5"), 0),
        Bin(Decimal("0.5"), Decimal("0.6"), 0),
        Bin(Decimal("0.6"), Decimal("0.7"), 0),
        Bin(Decimal("0.7"), Decimal("0.8"), 1),
    ]
    # Declared 0..110: 110 / 20 = 5.5, so 10-point bins; 100 opens a bin of its own.
    assert histogram([Decimal(61), Decimal(100)], (Decimal(0), Decimal(110))) == [
        Bin(Decimal(60), Decimal(70), 1),
        Bin(Decimal(70), Decimal(80), 0),
        Bin(Decimal(80), Decimal(90), 0),
        Bin(Decimal(90), Decimal(100), 0),
        Bin(Decimal(100), Decimal(110), 1, closed=True),  # the last bin holds 110 itself
    ]
    # A score at the declared maximum counts in the last bin, [95, 100]; none starts at 100.
    assert histogram([Decimal(95), Decimal(100)], (Decimal(0), Decimal(100))) == [
        Bin(Decimal(95), Decimal(100), 2, closed=True),
    ]
    assert histogram([Decimal(100)], (Decimal(0), Decimal(100))) == [
        Bin(Decimal(95), Decimal(100), 1, closed=True),
    ]
    assert histogram([]) == []


def test_rules_applied_cite_their_source_sentences():
    rules = page_of(parse(notice("2024-Q1")), "2024-Q1").find("table", "rules")
    cited = {tr.attrs["data-rule"]: tr for tr in rules.find_all("tr") if "data-rule" in tr.attrs}
    # The listing's columns (indicators, total, prize_level, village_rank) and the rules that
    # granted something in Q1 (rank_prize, red_flag, last_and_low for 古樓坪村); no year-end rule.
    assert list(cited) == ["indicators", "total", "prize_level", "village_rank", "rank_prize",
                           "red_flag", "last_and_low"]  # fmt: skip
    assert cited["red_flag"].find("q").text() == "85以下不獎勵,對第一名授流動紅旗"
    assert cited["red_flag"].find("td", "label").text() == "流动红旗"
    assert cited["rank_prize"].find("q").text() == (
        "每次考核95分以上前3名分別獎勵600元,500元,400元。85—95分前三名獎勵減半。85以下不獎勵"
    )
    # Only the first step of the escalation happened in Q1, cited with its own sentence.
    [step] = cited["last_and_low"].find_all("span", "step")
    assert step.attrs["data-step"] == "1"
    assert step.find("q").text() == "1次作表態發言"


def test_every_row_links_to_its_explanation():
    _scheme, evaluation = yongxi()
    doc = parse(notice("2024-Q1"))
    ids = [n.attrs["id"] for n in doc.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", i) for i in ids)
    rows = rows_of(page_of(doc, "2024-Q1"))
    for row in rows:
        article = doc.find("article", "explain", id=row["href"][1:])
        assert article.attrs["data-subject"] == row["subject"]
        assert article.find("a", "back").attrs["href"] == "#" + row["id"]
    first = doc.find("article", id=rows[0]["href"][1:]).text()
    # 芽溪村: its indicators, as partyscore explains them, and why it got the flag.
    assert "20 + 15 + 10 + 9 + 10 + 9.5 + 9.5 + 4.5 + 5 + 5 = 97.5" in first
    with language("zh-Hans"):
        result = evaluation.get("芽溪村", "2024-Q1")
        flag = result.reward("red_flag")
        assert flag is not None
        assert flag.because in first
        assert all(line in first for line in result.explain.values())
    # Ids come from subject and period, so they do not change from run to run.
    assert rows[0]["href"] == "#x-p-2024_2d_Q1-_82bd__6eaa__6751_"


def test_a_period_alone_a_year_end_and_every_period():
    q1 = parse(notice("2024-Q1"))
    assert [p.attrs["data-period"] for p in q1.find_all("section", "page")] == ["2024-Q1"]
    # The last quarter of 2024 is followed by the year's year-end summary; "2024" is that
    # summary alone; without --period every period comes, each year end after its year.
    q4 = parse(notice("2024-Q4"))
    assert [
        (p.attrs["data-period"], p.attrs["data-kind"]) for p in q4.find_all("section", "page")
    ] == [
        ("2024-Q4", "period"),
        ("2024", "year_end"),
    ]
    alone = parse(notice("2024"))
    assert [p.attrs["data-kind"] for p in alone.find_all("section", "page")] == ["year_end"]
    every = parse(notice(None))
    assert [p.attrs["data-period"] for p in every.find_all("section", "page")] == PERIODS


def test_year_end_summary_of_2024():
    year = page_of(parse(notice("2024")), "2024", "year_end")
    rows = rows_of_year_end(year)
    assert len(rows) == 20
    # Red flags of 2024: Q1 芽溪村 (97.5), Q2 芽溪村 (96 over 中屯村's 95.5), Q3 老鷹巖村
    # (98), Q4 中屯村 and 老鷹巖村 (96.5 each). Two in a row: 芽溪村 and 老鷹巖村 get extra
    # branch funds; 中屯村 has one flag; the other 17 have none: subsidy cancelled and
    # rectification ordered.
    assert sorted(s for s, r in rows.items() if "extra_branch_funds" in r["rewards"]) == [
        "老鷹巖村",
        "芽溪村",
    ]
    cancelled = {s for s, r in rows.items() if "performance_subsidy_cancelled" in r["actions"]}
    assert cancelled == set(Q1_TOTALS) - {"芽溪村", "老鷹巖村", "中屯村"}
    assert all("rectification" in rows[s]["actions"] for s in cancelled)
    # 古樓坪村 was last at 85 or under in Q1 (78), Q2 (81) and Q4 (79): ineligible.
    assert "year_end_ineligible" in rows["古樓坪村"]["actions"]
    # 芽溪村's annual score: (97.5 + 96 + 93 + 95) / 4 = 95.375, to 2 places half up: 95.38.
    assert rows["芽溪村"]["annual_score"] == "95.38"
    rules = [tr.attrs["data-rule"] for tr in year.find_all("tr") if "data-rule" in tr.attrs]
    assert rules == ["annual_score", "extra_branch_funds", "year_end_eligibility",
                     "no_flag_subsidy", "no_flag_rectification"]  # fmt: skip


def rows_of_year_end(page: Node) -> dict[str, dict[str, Any]]:
    found = {}
    for tr in page.find("table", "listing").find_all("tr"):
        if "data-subject" in tr.attrs:
            found[tr.attrs["data-subject"]] = {
                "annual_score": tr.find("td", "score", data_key="annual_score").text(),
                "rewards": [s.attrs["data-id"] for s in tr.find("td", "rewards").find_all("span")],
                "actions": [s.attrs["data-id"] for s in tr.find("td", "actions").find_all("span")],
            }
    return found


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
def test_nothing_is_fetched_from_outside(lang):
    text = notice(None, lang)
    for needle in ("http", "//", "src=", "url(", "@import", "<script", "<link", "<img"):
        assert needle not in text.lower(), needle


def test_language_decides_lang_fonts_and_words():
    hans, hant, en = (
        notice("2024-Q1", "zh-Hans"),
        notice("2024-Q1", "zh-Hant"),
        notice("2024-Q1", "en"),
    )
    assert '<html lang="zh-Hans">' in hans
    assert '<html lang="zh-Hant">' in hant
    assert '<html lang="en">' in en
    stack = '"Noto Sans CJK {0}", "Noto Sans {0}", "Source Han Sans {0}"'
    assert "font-family: " + stack.format("SC") in hans
    assert "font-family: " + stack.format("TC") in hant
    assert "涌溪乡 大党建“流动红旗”考核(季度)</h1>" in hans  # 湧溪鄉 ... 黨建 ... 紅旗 in t2s
    assert "湧溪鄉 大黨建“流動紅旗”考核(季度)</h1>" in hant
    assert "Yongxi township rotating red flag assessment (quarterly)</h1>" in en
    assert ">rotating red flag</span>" in en  # labels, in English too, not ids
    assert 'data-currency="CNY">600.00 CNY</td>' in en
    assert "@page { size: A4; margin:" in en
    assert "break-before: page" in en


def test_output_is_deterministic():
    scheme, evaluation = yongxi()
    with language("zh-Hans"):
        again = report_html(scheme, evaluation, "2024-Q1")
    assert again == notice("2024-Q1")
    fresh = partyscore.evaluate(scheme, partyscore.read_records(YONGXI_CSV, scheme))
    with language("zh-Hans"):
        assert report_html(scheme, fresh, "2024-Q1") == again


def test_an_unknown_period_is_an_error_naming_the_input_and_its_periods():
    scheme, evaluation = yongxi()
    with pytest.raises(UnknownPeriod) as error:
        report_html(scheme, evaluation, "2024-Q9")
    assert isinstance(error.value, partyscore.RecordError)
    [found] = error.value.diagnostics
    assert (found.file, found.code) == (str(YONGXI_CSV), "unknown-period")
    assert found.render() == (
        f"{YONGXI_CSV}: unknown period 2024-Q9; the input has {', '.join(PERIODS)} [unknown-period]"
    )


# --------------------------------------------------------------------------- hostile names

TINY = (
    head("tiny-notice", "小型公示", kind="branch")
    + """\
  attributes:
    unit: {type: text}
  group: unit
sections:
  - id: work
    label: {zh-Hant: 工作, en: work}
    items:
      - {id: a, max: 60}
      - {id: b, max: 40}
scores:
  - {id: total, expr: work, min: 0, max: 100, label: {zh-Hant: 總分, en: total}}
rankings:
  - {id: rk, score: total, within: group, ties: competition, label: {zh-Hant: 名次, en: rank}}
rewards:
  - id: flag
    kind: top
    ranking: rk
    count: "1"
    ties: include
    label: {zh-Hant: 流動紅旗, en: red flag}
    source: 對第一名授流動紅旗
"""
)

HOSTILE = '<script>alert("x")</script>&amp;'
HOSTILE_GROUP = "<b>unit</b> & 'co'"


def tiny(subjects: dict[str, tuple[str, int, int]], periods: tuple[str, ...] = ("2024-Q1",)):
    scheme = partyscore.load_scheme_text(TINY, file="tiny.yaml")
    records = [
        {"subject": s, "period": p, "attributes": {"unit": unit}, "points": {"a": a, "b": b}}
        for p in periods
        for s, (unit, a, b) in subjects.items()
    ]
    return scheme, partyscore.evaluate(scheme, records)


def test_subject_and_group_names_are_escaped_everywhere():
    scheme, evaluation = tiny(
        {HOSTILE: (HOSTILE_GROUP, 50, 40), "plain": (HOSTILE_GROUP, 30, 30), "x": ("g", 1, 1)}
    )
    text = report_html(scheme, evaluation)
    assert "<script" not in text.lower()
    assert "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;" in text
    assert "&lt;b&gt;unit&lt;/b&gt; &amp; &#x27;co&#x27;" in text
    doc = parse(text)
    # Parsed back, the names are the names again: in the row, its link, the chart, the heading.
    row = doc.find("tr", data_subject=HOSTILE)
    assert row.find("td", "subject").text() == HOSTILE
    assert doc.find("rect", "bar", data_subject=HOSTILE).attrs["data-value"] == "90.00"
    assert doc.find("h3", "group", data_group=HOSTILE_GROUP).text() == f"unit: {HOSTILE_GROUP}"
    article = doc.find("article", id=row.find("a").attrs["href"][1:])
    assert article.attrs["data-subject"] == HOSTILE
    assert doc.find("title").text().startswith("小型公示")


def test_characters_html_cannot_hold_are_replaced():
    # Records refuse control characters in names; an evaluation built by hand may still
    # hold one, and the notice shows U+FFFD in its place (in text and in attributes).
    scheme, evaluation = tiny({"a": ("g", 1, 1)})
    [result] = evaluation.results
    odd = dataclasses.replace(result, subject="b\x00c\x1b[31m")
    text = report_html(scheme, dataclasses.replace(evaluation, results=(odd,)))
    assert "\x00" not in text
    assert "\x1b" not in text
    assert 'data-subject="b\ufffdc\ufffd[31m"' in text


# --------------------------------------------------------------------------- the command


def test_cli_writes_the_notice(tmp_path, capsys):
    path = tmp_path / "notice.html"
    argv = ["report", str(YONGXI), str(YONGXI_CSV), "--period", "2024-Q1", "--lang", "zh-Hans"]
    assert main([*argv, "--output", str(path)]) == 0
    written = path.read_text(encoding="utf-8")
    assert written.startswith('<!DOCTYPE html>\n<html lang="zh-Hans">')
    doc = parse(written)
    assert [p.attrs["data-period"] for p in doc.find_all("section", "page")] == ["2024-Q1"]
    rows = rows_of(page_of(doc, "2024-Q1"))
    assert {r["subject"]: r["rank"] for r in rows} == Q1_RANKS
    assert {r["subject"]: r["prize"] for r in rows if r["prize"]} == Q1_PRIZES
    assert [r["subject"] for r in rows if "red_flag" in r["rewards"]] == ["芽溪村"]
    # The page the library writes for the same evaluation (the notes at the end aside: the
    # command writes the evaluation's warnings in the language asked for).
    notes = re.compile(r'<section class="notes">.*?</section>', re.S)
    # and the decision record, which names the files the command read
    record = re.compile(r'\n<section class="record">.*?</section>', re.S)
    assert len(record.findall(written)) == 1
    assert notes.sub("", record.sub("", written)) == notes.sub("", notice("2024-Q1"))


def test_cli_refuses_an_unknown_period(tmp_path, capsys):
    path = tmp_path / "notice.html"
    argv = ["report", str(YONGXI), str(YONGXI_CSV), "--period", "2024-Q9", "--lang", "en"]
    assert main([*argv, "--output", str(path)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{YONGXI_CSV}: unknown period 2024-Q9; the input has 2024-Q1, 2024-Q2, 2024-Q3, "
        "2024-Q4, 2024, 2025-Q1, 2025-Q2 [unknown-period]\n"
    ) in err
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


# --------------------------------------------------------------------------- the browser

_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1024, "height": 1400}


def _why_no_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install 'partyscore[test]')"
    return None


def _need_browser() -> None:
    """Skip (or, with PARTYSCORE_REQUIRE_BROWSER=1 as in CI, fail) without a browser."""
    why = _why_no_browser()
    if why is None:
        return
    if os.environ.get("PARTYSCORE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PARTYSCORE_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


def test_a_missing_browser_skips_unless_required(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("PARTYSCORE_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium is missing"):
        _need_browser()
    monkeypatch.setenv("PARTYSCORE_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="PARTYSCORE_REQUIRE_BROWSER=1 but"):
        _need_browser()
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # an import that fails
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", sys.executable)
    with pytest.raises(pytest.fail.Exception, match="playwright is not installed"):
        _need_browser()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """The notices the browser opens: Yongxi Q1, each period alone, every period, the tiny
    two-period scheme."""
    folder = tmp_path_factory.mktemp("notices")
    written = {}
    for period in [*PERIODS, None]:
        if period == "2024":
            continue  # printed with 2024-Q4
        path = folder / f"yongxi-{period or 'all'}.html"
        path.write_text(notice(period), encoding="utf-8")
        written[period or "all"] = path
    hant = folder / "yongxi-2024-Q1-hant.html"
    hant.write_text(notice("2024-Q1", "zh-Hant"), encoding="utf-8")
    written["hant"] = hant
    scheme, evaluation = tiny(
        {"甲支部": ("一", 55, 38), "乙支部": ("一", 40, 30), "丙支部": ("一", 20, 10)},
        periods=("2024-Q1", "2024-Q2"),
    )
    ladder = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    records = partyscore.read_records(ROOT / "examples" / "chengzhuang-ladder.csv", ladder)
    wide = folder / "chengzhuang-en.html"
    with language("en"):
        wide.write_text(report_html(ladder, partyscore.evaluate(ladder, records)), "utf-8")
    written["wide"] = wide
    small = folder / "tiny.html"
    with language("zh-Hans"):
        small.write_text(report_html(scheme, evaluation), encoding="utf-8")
    written["tiny"] = small
    return written


class Guarded:
    """A page whose context lets file: URLs through and aborts (and records) anything else."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        self.blocked: list[str] = []
        self.requested: list[str] = []

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith("file:"):
                route.continue_()
            else:
                self.blocked.append(url)
                route.abort()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requested.append(request.url))

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        return self.page


@pytest.fixture
def guarded(browser) -> Iterator[Guarded]:
    page = Guarded(browser)
    yield page
    page.context.close()


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.browser
def test_browser_dom_has_the_hand_computed_ranks_and_amounts(guarded, files):
    page = guarded.open(files["2024-Q1"])
    rows = page.locator("section[data-period='2024-Q1'] table.listing tbody tr")
    assert rows.count() == 20
    assert rows.nth(0).locator("td.subject").inner_text() == "芽溪村"
    seen = {}
    for index in range(rows.count()):
        row = rows.nth(index)
        subject = row.get_attribute("data-subject")
        rank = int(row.locator("td.rank").inner_text())
        amount = row.locator("td.money").inner_text().strip()
        seen[subject] = (rank, amount)
    assert {s: r for s, (r, _a) in seen.items()} == Q1_RANKS
    amounts = {s: re.search(r"\d+\.\d\d", a) for s, (_r, a) in seen.items() if a}
    assert {s: m[0] for s, m in amounts.items() if m} == Q1_PRIZES
    flags = page.locator("td.rewards span[data-id='red_flag']")
    assert flags.count() == 1
    assert flags.inner_text() == "流动红旗"
    holder = flags.locator("xpath=ancestor::tr").get_attribute("data-subject")
    assert holder == "芽溪村"
    total = page.locator("tfoot td.total").inner_text()
    assert Q1_PRIZE_TOTAL in total
    # The row's link lands on its explanation.
    page.locator("tr[data-subject='古樓坪村'] td.subject a").click()
    assert page.evaluate("location.hash") == "#x-p-2024_2d_Q1-_53e4__6a13__576a__6751_"
    assert page.locator("article.explain:target").get_attribute("data-subject") == "古樓坪村"
    assert guarded.blocked == []


@pytest.mark.browser
def test_browser_charts_have_one_bar_per_village(guarded, files):
    page = guarded.open(files["2024-Q1"])
    bars = page.locator("section[data-period='2024-Q1'] figure.ranking rect.bar")
    assert bars.count() == 20
    widths = [bars.nth(i).bounding_box()["width"] for i in range(20)]
    assert widths == sorted(widths, reverse=True)  # rank order, the longest first
    assert widths[0] / widths[-1] == pytest.approx(97.5 / 78, rel=1e-3)
    bins = page.locator("figure.distribution rect.bin")
    assert bins.count() == 5
    heights = [bins.nth(i).bounding_box()["height"] for i in range(5)]
    # Counts 1, 0, 6, 11, 2 (see test_histogram_counts_q1_in_five_point_bins).
    assert heights[1] == 0
    assert [h / heights[3] for h in heights] == pytest.approx(
        [1 / 11, 0, 6 / 11, 1, 2 / 11], abs=0.01
    )
    assert guarded.blocked == []


@pytest.mark.browser
def test_browser_screenshot(guarded, files):
    page = guarded.open(files["2024-Q1"])
    png = page.screenshot()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"])
    assert len(png) > 40_000  # a page of text, table and chart, not a blank one (~2 KB)


@pytest.mark.browser
def test_browser_prints_each_period_on_its_own_a4_pages(guarded, files):
    page = guarded.open(files["tiny"])
    # Two quarters of three branches each: one A4 page per quarter.
    tiny_pdf = page.pdf(format="A4")
    assert tiny_pdf.startswith(b"%PDF-")
    assert _pages(tiny_pdf) == 2
    # The stylesheet's @page size wins when the browser is told to prefer it: A4 (210 x 297
    # mm = 595.28 x 841.89 points), not Letter (612 x 792).
    css_size = page.pdf(format="Letter", prefer_css_page_size=True)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", css_size)
    assert box is not None
    assert float(box[1]) == pytest.approx(595.28, abs=1)
    assert float(box[2]) == pytest.approx(841.89, abs=1)
    # Yongxi: every period begins a new page, so all of them print on as many pages as each
    # printed alone (2024-Q4 with the year-end summary after it).
    counts = {}
    for name in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2", "all"):
        counts[name] = _pages(guarded.open(files[name]).pdf(format="A4"))
    alone = [counts[n] for n in counts if n != "all"]
    assert min(alone) >= 2  # twenty rows, two charts, the rules and twenty explanations
    assert counts["2024-Q4"] > counts["2024-Q3"]  # the year end adds its own pages
    assert counts["all"] == sum(alone)
    assert guarded.blocked == []


@pytest.mark.browser
def test_browser_print_styles_break_pages_and_keep_rows_whole(guarded, files):
    page = guarded.open(files["all"])
    page.emulate_media(media="print")
    breaks = page.eval_on_selector_all(
        "section.page", "ss => ss.map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks == ["auto"] + ["page"] * (len(PERIODS) - 1)
    assert (
        page.eval_on_selector("table.listing tbody tr", "r => getComputedStyle(r).breakInside")
        == "avoid"
    )


@pytest.mark.browser
@pytest.mark.parametrize("name", ["all", "wide"])
def test_browser_listing_and_charts_fit_the_width_of_a4(guarded, files, name):
    # A4 less the stylesheet's margins: 210 - 2 x 13 mm = 184 mm, 695 CSS pixels. The
    # Chengzhuang listing in English has 15 columns and long words.
    page = guarded.open(files[name])
    page.set_viewport_size({"width": 695, "height": 1000})
    page.emulate_media(media="print")
    body, widest = page.evaluate(
        """() => [document.body.getBoundingClientRect().right,
                  Math.max(...[...document.querySelectorAll('table, svg')]
                           .map(e => e.getBoundingClientRect().right))]"""
    )
    assert body == pytest.approx(695, abs=1)
    assert widest <= body + 0.5


@pytest.mark.browser
@pytest.mark.parametrize(
    ("name", "family"), [("2024-Q1", "Noto Sans CJK SC"), ("hant", "Noto Sans CJK TC")]
)
def test_browser_renders_chinese_with_a_cjk_font(guarded, files, name, family):
    page = guarded.open(files[name])
    cdp = guarded.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for selector in ("h1.title", "td.subject a", "td.rewards span"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        # Every glyph of the Chinese text comes from the CJK font the stylesheet names first.
        assert [f["familyName"] for f in fonts] == [family], selector
    # Full-width glyphs: three characters are three ems wide (芽溪村 at the cell's size).
    width, size = page.eval_on_selector(
        "td.subject a",
        "a => [a.getBoundingClientRect().width, parseFloat(getComputedStyle(a).fontSize)]",
    )
    assert width == pytest.approx(3 * size, abs=0.5)


@pytest.mark.browser
def test_browser_guard_sees_an_outside_request(guarded):
    # The guard itself: a page that does ask for an outside URL is caught and aborted, so
    # the empty lists of the other tests mean nothing was asked for.
    guarded.page.set_content('<img src="http://192.0.2.1/x.png">')
    guarded.page.wait_for_load_state()
    assert guarded.blocked == ["http://192.0.2.1/x.png"]


@pytest.mark.browser
def test_browser_opened_only_the_files(guarded, files):
    for name in ("2024-Q1", "all", "tiny"):
        guarded.open(files[name])
    assert guarded.blocked == []
    assert [url.split("/")[-1] for url in guarded.requested] == [
        "yongxi-2024-Q1.html",
        "yongxi-all.html",
        "tiny.html",
    ]
