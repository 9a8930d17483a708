"""The ``partyscore`` command. The only module that prints or exits."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import io
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__
from ._compile import CompiledScheme, iter_scheme_files, load_scheme
from ._decision import DecisionRecord, FileDigest, file_digest, record_of
from ._diagnostics import Diagnostic, PartyscoreError, PartyscoreWarning, SchemeError
from ._engine import PeriodResults
from ._history import History
from ._i18n import LANGS, N_, _, check_lang, current, lang_from_env, language, ngettext
from ._overrides import read_overrides
from ._records import OnError, Record, _Collector, iter_records
from ._render import columns_of, csv_header, csv_rows, json_head, json_tail, result_json, to_table
from ._results import Evaluation, Result
from ._schema import scheme_json_schema_text
from ._stream import OutOfOrder, evaluate_stream, spilled, temporary_folder
from ._tables import Layout
from ._versions import version_problems
from ._words import Words
from .scheme_tests import (
    MutationReport,
    find_test_files,
    load_test_file,
    run_mutations,
    run_tests,
)

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM, as shells report

_MAIN_HELP = N_("""\
Scoring schemes for party members and branches, as validated YAML, evaluated exactly.

commands:
  validate   check and lint scheme files (or folders of them); print every problem
  evaluate   apply a scheme to records from CSV, workbooks, JSON or YAML
  report     write a printable public notice (HTML) of the results
  explain    explain one subject's results, rule by rule, for the person scored
  diff       what a rule change does: two schemes on the same records
  verify     compute a JSON output again from its decision record and compare
  template   write an empty input sheet (xlsx or CSV) for a scheme
  schema     print the JSON Schema of scheme files, for editors and validators
  test       run the test cases kept beside schemes (NAME.test.yaml), with coverage

examples:
  partyscore validate schemes
  partyscore evaluate schemes/chengzhuang-ladder.yaml examples/chengzhuang-ladder.csv
  partyscore explain schemes/chengzhuang-ladder.yaml examples/chengzhuang-ladder.csv \\
      --subject 綜掘一隊
  partyscore test schemes

Run 'partyscore COMMAND --help' for the options of a command.
""")

_VALIDATE_HELP = N_("""\
Check scheme files: YAML syntax, the format's keys and types, names, expressions, bands
and references, then lint them: gaps between bands, bands, rewards and actions that can
never apply, item maxima that do not add up to caps and declared totals, unused items and
parameters, ladders declared monotone that are not. Folders are searched for *.yaml and
*.yml files (*.test.yaml scheme tests excepted).

Each problem is printed on its own line as

  path:line:column: [warning: ]key.path: message [code]

exit status: 0 when no file has an error (with --strict: nor a warning), 1 otherwise.

examples:
  partyscore validate schemes
  partyscore validate --strict schemes/yongxi-red-flag.yaml my-scheme.yaml
  partyscore validate --format json schemes > diagnostics.json
""")

_SCHEMA_HELP = N_("""\
Print the JSON Schema of the scheme format (draft 2020-12), generated from the models. Point
an editor at it with a first line such as

  # yaml-language-server: $schema=../schema/partyscore.schema.json

The schema checks shape only; 'partyscore validate' also checks names and expressions.

examples:
  partyscore schema > schema/partyscore.schema.json
  partyscore schema --output schema/partyscore.schema.json
""")

_EVALUATE_HELP = N_("""\
Apply SCHEME to the records in INPUT (one file, or several read together as one set, e.g.
one per quarter) and print the results.

INPUT is CSV (one row per subject and period; columns 'subject', 'period', then the
scheme's attributes and items, by id or by label; encoding found from the bytes), a
workbook (.xlsx, .xls, .ods, laid out as the CSV; --sheet chooses the sheet; needs the
'excel' extra), or JSON/YAML: a list of
{"subject", "period", "attributes": {...}, "points": {...}}.
Period labels: 2024-03 (month), 2024-B2 (two months), 2024-Q3 (quarter), 2024-H1 (half
year), 2024 (year).

Bad records are reported as file:row: field: message [code] and nothing is printed or
written; records are never dropped or changed.

Output: a table (--explain adds how each result was reached), JSON, CSV (--bom for Excel
on Chinese Windows) or a workbook (--format xlsx, with --output); the table, CSV and
workbook list results alike (period, then group, then rank) with the same columns, named
in the language of --lang. On a terminal a progress line counts the records read.

Results are worked out period by period and written as each period is complete, so memory
does not grow with the number of periods (the table, which lines up its columns, is the
exception). Records need not be sorted: when a period comes back after a later one, the
records are first sorted into temporary files, one per period.

History rules count earlier periods: an escalation ("two quarters in a row", "the second
time this year") and the year end read them. Evaluating one quarter at a time, carry the
history from run to run: --history-out writes what the rules need of this run's periods
(docs/history.md), --history-in reads it back in the next run, whose records must all
come after it. Without it, a count that may lack earlier periods (the run starts after the
scheme's first period, or mid-year) carries a warning on its result; --strict refuses it.
To start a chain where the records start (no earlier periods are to count, say the first
quarter kept in partyscore), declare it with --history-start PERIOD: recorded in the
history written, and no count warns that it lacks what came before.

exit status: 0 on success, 1 for an invalid scheme, bad records, a bad history file, an
evaluation error, or (with --strict) a result with a warning; 2 for a usage error.

examples:
  partyscore evaluate schemes/chengzhuang-ladder.yaml examples/chengzhuang-ladder.csv
  partyscore evaluate schemes/yongxi-red-flag.yaml examples/yongxi-red-flag.csv --format json
  partyscore evaluate SCHEME INPUT --format csv --output results.csv
  partyscore evaluate SCHEME 2024-Q1.xlsx --format xlsx --lang zh-Hans -o results.xlsx
  partyscore evaluate SCHEME 2024-Q1.csv 2024-Q2.csv 2024-Q3.csv 2024-Q4.csv --format json
  partyscore evaluate SCHEME 2024-Q1.csv --history-start 2024-Q1 \\
      --history-out history-2024-Q1.json
  partyscore evaluate SCHEME 2024-Q2.csv --history-in history-2024-Q1.json \\
      --history-out history-2024-Q2.json --strict
""")


_REPORT_HELP = N_("""\
Evaluate SCHEME on INPUT (read as 'partyscore evaluate' reads it) and write a public notice
(公示) as one self-contained HTML file: for each period (or the one --period names), the
scheme's title, the listing in rank order per group with scores, bands, prizes, red flags
and actions, the rules applied with the source sentences they encode, a bar chart of the
ranking and the distribution of scores, and the year-end summary where the scheme has one.
It needs no network, prints on A4 (the browser's Print, or headless Chromium's PDF), and is
written in the language of --lang (zh-Hans, zh-Hant or en; default: the locale's).

exit status: 0 on success, 1 for an invalid scheme, bad records or an evaluation error,
2 for a usage error.

examples:
  partyscore report schemes/yongxi-red-flag.yaml examples/yongxi-red-flag.csv \\
      --lang zh-Hans --output notice.html
  partyscore report SCHEME INPUT --period 2024-Q2 --output 2024-Q2.html
""")

_EXPLAIN_HELP = N_("""\
Evaluate SCHEME on INPUT (read as 'partyscore evaluate' reads it) and explain the results of
one subject, for the person scored: period by period (year ends after their year), every
rule in the order it ran, with what it read and what it gave:

  - each section and score with the items and values it added up and the cap applied;
  - each band with its bounds and the distance to the band above and below
    ("7.00 points short of step2 (80)");
  - each rank with the subjects tied;
  - each reward and action with the rule that gave it and its condition with the values
    seen, an escalation with the periods it counted; and the rewards and actions that were
    not given, with the values that kept them back;
  - under each rule, the sentence of the source document it encodes.

Escalations count the periods of the input (carry earlier ones with --history-in, or
declare where counting starts with --history-start). --format json gives the same for
apps.

exit status: 0 on success, 1 for an invalid scheme, bad records, an unknown subject or
period, or an evaluation error, 2 for a usage error.

examples:
  partyscore explain schemes/chengzhuang-ladder.yaml examples/chengzhuang-ladder.csv \\
      --subject 綜掘一隊 --lang zh-Hans
  partyscore explain schemes/yongxi-red-flag.yaml examples/yongxi-red-flag.csv \\
      --subject 芽溪村 --period 2024-Q1 --format json
""")

_DIFF_HELP = N_("""\
Evaluate the schemes OLD and NEW on the same records (INPUT, read as 'partyscore evaluate'
reads it) and list every subject and period whose scores, bands, ranks, rewards or actions
change: the rule whose outcome changes, the old and the new outcome. First come the rule
settings that differ between the two schemes (labels, sources and notes aside), last the
money that moves, per subject and in total (rewards granted, over every period and year
end).

The two schemes must read the same records: the same kind of period, the same attributes
and the same items; otherwise each difference is named and nothing is evaluated.

--format table (default) is for reading; json gives both schemes with their SHA-256, the
rules that differ, every change and the money; csv one row per change (subject, period,
kind, what, rule, old, new).

exit status: 0 on success (with --exit-code: 0 when no result changes, 1 when one does), 1
for an invalid scheme, schemes that do not fit the same records, bad records or an
evaluation error, 2 for a usage error.

examples:
  sed 's/^    value: 1$/    value: 2/' schemes/yongxi-red-flag.yaml > two-flags.yaml
  partyscore diff schemes/yongxi-red-flag.yaml two-flags.yaml examples/yongxi-red-flag.csv
  partyscore diff OLD.yaml NEW.yaml 2024-Q1.xlsx --format csv --output changes.csv
  partyscore diff OLD.yaml NEW.yaml records.csv --exit-code     # in CI: 1 if any changes
""")

_VERIFY_HELP = N_("""\
Compute RESULTS (a JSON output of 'partyscore evaluate --format json') again from the
scheme and inputs its decision record names, with the options it records, and say whether
the two are the same byte for byte.

The decision record (the "decision_record" of the JSON, the last sheet of a workbook, the
end of a report) holds the partyscore version, the scheme's id, version and SHA-256 (of its
canonical form: comments, layout and key order do not change it), the SHA-256 of each input
file and of the history file read, and the options that change results. It holds no clock:
the same inputs give the same bytes.

A file whose digest is not the recorded one is reported first (scheme, then inputs), then
every difference: a result only in the file or only computed, each field of a result that
differs (subject period: field: value in the file, value computed), the run's warnings.
Files are looked for where the record says, then beside RESULTS; give them with --scheme,
--input and --history-in if they moved (records keep their recorded names).

exit status: 0 when identical, 1 when anything differs or a file cannot be read, 2 for a
usage error.

examples:
  partyscore evaluate schemes/yongxi-red-flag.yaml examples/yongxi-red-flag.csv \\
      --format json --output results.json
  partyscore verify results.json
  partyscore verify results.json --scheme archive/yongxi-red-flag.yaml \\
      --input archive/2024.csv
""")

_TEMPLATE_HELP = N_("""\
Write an empty input sheet for SCHEME: a header row naming the subject, the period, the
scheme's attributes and every item by its label in the language of --lang (headers are read
back by label or id), and an example row marked as such, which must be replaced or deleted
(it is refused if left in). The workbook also checks each item's range as it is typed (data
validation of its minimum and maximum) and lists every column with its id and range on a
second sheet.

examples:
  partyscore template schemes/chengzhuang-ladder.yaml --lang zh-Hans --output 2024-Q1.xlsx
  partyscore template schemes/yongxi-red-flag.yaml --format csv --output records.csv
""")

_TEST_HELP = N_("""\
Run scheme tests: the cases in NAME.test.yaml beside each scheme NAME.yaml. Each case gives
records and the results (scores, bands, ranks, rewards, actions) or the error they must
produce; see docs/scheme-tests.md for the format. PATH is a folder (searched for
*.test.yaml), a test file, or a scheme file (its NAME.test.yaml is run); default: schemes.

Each failing case is printed as

  file:line: FAIL case name
      subject period key: expected X, got Y

followed by coverage per scheme: the bands, rewards, actions (each condition and each
escalation step) and band boundaries (a score exactly on a bound) that the cases reached.
A test file that cannot be read or checked is reported as path:line:column: message [code].

With --mutate, the cases must also notice a changed threshold: each mutant of a scheme (a
bound, cap, amount, prize, parameter or literal one unit off in its last digit, < made <=,
+ made -, and made or, a rule option changed) must fail a case, be refused by validation
or be flagged by lint. A survivor is printed as file:line: key.path: change [survived]; a
change no records can tell apart is declared under equivalent_mutants in the test file,
with its reason.

exit status: 0 when every case passes (and coverage reaches --min-coverage, and with
--mutate no mutant survives), 1 otherwise.

examples:
  partyscore test
  partyscore test schemes/chengzhuang-ladder.test.yaml
  partyscore test schemes --coverage            # also list what no case reached
  partyscore test schemes --min-coverage 100    # fail below full coverage
  partyscore test schemes --format json > report.json
  partyscore test schemes --mutate              # every changed threshold fails a case
""")


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a percentage from 0 to 100, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="partyscore", description=_(_MAIN_HELP), formatter_class=raw
    )
    parser.add_argument("--version", action="version", version=f"partyscore {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    for where in (parser, common):  # before or after the command's name
        where.add_argument(
            "--lang",
            choices=LANGS,
            default=argparse.SUPPRESS,
            help=_(
                "language of messages, tables, workbooks and reports (default: the "
                "locale's, zh_CN giving zh-Hans and zh_TW zh-Hant; JSON and CSV output "
                "default to en)"
            ),
        )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help=_("check scheme files"),
        description=_(_VALIDATE_HELP),
        formatter_class=raw,
        parents=[common],
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help=_("scheme files or folders"))
    validate.add_argument(
        "--strict", action="store_true", help=_("treat warnings as errors (exit 1 on any)")
    )
    validate.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help=_("text lines (default) or a JSON list of diagnostics"),
    )

    schema = commands.add_parser(
        "schema",
        help=_("print the JSON Schema of scheme files"),
        description=_(_SCHEMA_HELP),
        formatter_class=raw,
        parents=[common],
    )
    schema.add_argument("--output", "-o", metavar="FILE", help=_("write to FILE instead of stdout"))

    test = commands.add_parser(
        "test",
        help=_("run scheme tests with coverage"),
        description=_(_TEST_HELP),
        formatter_class=raw,
        parents=[common],
    )
    test.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        default=["schemes"],
        help=_("test files, scheme files or folders (default: schemes)"),
    )
    test.add_argument(
        "--coverage", action="store_true", help=_("list the items no case reached, per scheme")
    )
    test.add_argument(
        "--min-coverage",
        type=_percent,
        metavar="PERCENT",
        help=_("exit 1 when coverage over all schemes is below PERCENT"),
    )
    test.add_argument(
        "--mutate",
        action="store_true",
        help=_(
            "also check that the cases notice a changed threshold: change one value or "
            "operator of the scheme at a time and expect a case to fail"
        ),
    )
    test.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help=_("text (default) or a JSON report"),
    )

    reading = argparse.ArgumentParser(add_help=False)  # how input files are read
    reading.add_argument(
        "--encoding",
        default="auto",
        help=_(
            "encoding of a CSV input, e.g. gb18030 or big5 (default: auto: UTF-8 with or "
            "without BOM, UTF-16, GB18030 or Big5, found from the bytes; refused when unsure)"
        ),
    )
    reading.add_argument(
        "--sheet",
        metavar="NAME|N",
        help=_(
            "the sheet of a workbook input, by name or 1-based position (default: the "
            "scheme's input.sheet, else the first)"
        ),
    )
    reading.add_argument(
        "--skip-rows",
        type=int,
        metavar="N",
        help=_(
            "rows above the header to skip, e.g. an office title row (default: the "
            "scheme's input.skip_rows, else 0)"
        ),
    )
    reading.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        metavar="HEADER",
        help=_(
            "a column to read past, e.g. 序号 or 合计 (repeat for more; added to the "
            "scheme's input.ignore_columns)"
        ),
    )

    def output_file(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            metavar="FILE",
            help=_("write to FILE (atomically: it is complete or untouched; '-' is stdout)"),
        )

    def input_files(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "input",
            nargs="+",
            metavar="INPUT",
            help=_("records: .csv, .json, .yaml or .yml files, read together as one set"),
        )

    records = argparse.ArgumentParser(add_help=False, parents=[reading])
    records.add_argument("scheme", metavar="SCHEME", help=_("a scheme file"))
    input_files(records)
    records.add_argument(
        "--stop-at-first",
        action="store_true",
        help=_("report only the first bad record instead of all of them"),
    )
    records.add_argument(
        "--history-in",
        metavar="FILE",
        help=_("go on from the history an earlier run wrote with --history-out"),
    )
    records.add_argument(
        "--history-start",
        metavar="PERIOD",
        help=_(
            "declare that history rules count from PERIOD (e.g. 2024-Q1): earlier periods "
            "are taken as none; instead of --history-in"
        ),
    )
    records.add_argument(
        "--overrides",
        metavar="FILE",
        help=_(
            "decisions made by people (YAML or CSV: subject, period, outcome, decision, "
            "reason, decided_by, decided_on), applied after the rules ran and marked in the "
            "output; history rules count what they say"
        ),
    )
    records.add_argument(
        "--strict",
        action="store_true",
        help=_(
            "refuse (exit 1, nothing written) a result with a warning, e.g. a count that "
            "may lack earlier periods"
        ),
    )

    run = commands.add_parser(
        "evaluate",
        help=_("apply a scheme to records"),
        description=_(_EVALUATE_HELP),
        formatter_class=raw,
        parents=[common, records],
    )
    run.add_argument(
        "--format",
        choices=("table", "json", "csv", "xlsx", "parquet"),
        default="table",
        help=_(
            "output format (default: table); xlsx writes a workbook (results and explanations) "
            "and needs --output; parquet goes with --engine columnar"
        ),
    )
    run.add_argument(
        "--engine",
        choices=("record", "columnar"),
        default="record",
        help=_(
            "record (default): record by record; columnar: column by column, a period at a "
            "time, for large inputs (CSV or Parquet in and out; the 'columnar' extra), with the "
            "same results and warnings"
        ),
    )
    output_file(run)
    run.add_argument(
        "--explain",
        action="store_true",
        help=_(
            "say how each result was reached: below the table, or in a last CSV column "
            "'explain' (JSON and workbooks always carry the explanations)"
        ),
    )
    run.add_argument(
        "--bom",
        action="store_true",
        help=_(
            "start CSV output with a UTF-8 byte-order mark, so that Excel on Chinese "
            "Windows opens it as UTF-8 instead of GBK (mojibake)"
        ),
    )
    run.add_argument(
        "--history-out",
        metavar="FILE",
        help=_("write the history this run leaves (counts, the year's values), for the next run"),
    )

    report = commands.add_parser(
        "report",
        help=_("write a printable public notice (HTML) of the results"),
        description=_(_REPORT_HELP),
        formatter_class=raw,
        parents=[common, records],
    )
    report.add_argument(
        "--period",
        metavar="PERIOD",
        help=_("the period to list, e.g. 2024-Q2 (default: every period, one after another)"),
    )
    report.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        required=True,
        help=_("the HTML file to write ('-' is stdout)"),
    )

    explain = commands.add_parser(
        "explain",
        help=_("how each result of one subject was reached, rule by rule"),
        description=_(_EXPLAIN_HELP),
        formatter_class=raw,
        parents=[common, records],
    )
    explain.add_argument(
        "--subject", required=True, metavar="SUBJECT", help=_("the subject to explain")
    )
    explain.add_argument(
        "--period",
        metavar="PERIOD",
        help=_("only this period (e.g. 2024-Q2), or a year for its year end"),
    )
    explain.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help=_("text (default) or json, for apps"),
    )
    output_file(explain)

    diff = commands.add_parser(
        "diff",
        help=_("what a rule change does: two schemes on the same records"),
        description=_(_DIFF_HELP),
        formatter_class=raw,
        parents=[common, reading],
    )
    diff.add_argument("old", metavar="OLD", help=_("the scheme as it is"))
    diff.add_argument("new", metavar="NEW", help=_("the scheme as it would be"))
    input_files(diff)
    diff.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help=_("output format (default: table)"),
    )
    output_file(diff)
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help=_("exit 1 when any result changes (for CI), 0 when none does"),
    )

    verify = commands.add_parser(
        "verify",
        help=_("compute a results file again from its decision record and compare"),
        description=_(_VERIFY_HELP),
        formatter_class=raw,
        parents=[common],
    )
    verify.add_argument(
        "results", metavar="RESULTS", help=_("a JSON output of partyscore evaluate")
    )
    verify.add_argument(
        "--scheme", metavar="FILE", help=_("the scheme, if it is no longer where recorded")
    )
    verify.add_argument(
        "--input",
        metavar="FILE",
        nargs="+",
        default=[],
        help=_("the input files, in the recorded order, if they are no longer where recorded"),
    )
    verify.add_argument(
        "--history-in",
        metavar="FILE",
        help=_("the history file read, if it is no longer where recorded"),
    )
    verify.add_argument(
        "--overrides",
        metavar="FILE",
        help=_("the overrides file read, if it is no longer where recorded"),
    )

    template = commands.add_parser(
        "template",
        help=_("write an empty input sheet for a scheme"),
        description=_(_TEMPLATE_HELP),
        formatter_class=raw,
        parents=[common],
    )
    template.add_argument("scheme", metavar="SCHEME", help=_("a scheme file"))
    template.add_argument(
        "--format",
        choices=("xlsx", "csv"),
        default="xlsx",
        help=_("xlsx (default: with data validation of item ranges) or csv"),
    )
    template.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        required=True,
        help=_("the file to write ('-' is stdout)"),
    )
    return parser


def _validate(paths: Sequence[str], *, strict: bool, form: str) -> int:
    files = list(iter_scheme_files(paths))
    if not files:
        _say(_("no scheme files found in {paths}").format(paths=", ".join(paths)))
        return EXIT_INVALID
    found: list[Diagnostic] = []
    failed = 0
    loaded: list[CompiledScheme] = []
    for file in files:
        try:
            scheme = load_scheme(file)
        except SchemeError as exc:
            diagnostics = list(exc.diagnostics)
        else:
            loaded.append(scheme)
            diagnostics = list(scheme.warnings)
        if any(d.severity == "error" or strict for d in diagnostics):
            failed += 1
        found.extend(diagnostics)
    # Versions of one scheme side by side: the later file of each pair is the one reported.
    between = version_problems(loaded)
    failed += len({d.file for d in between} - {d.file for d in found if d.severity == "error"})
    found.extend(between)
    if form == "json":
        print(json.dumps([d.to_dict() for d in found], ensure_ascii=False, indent=2))
    else:
        for diagnostic in found:
            print(diagnostic.render())
    warnings = sum(1 for d in found if d.severity == "warning")
    summary = _("{valid} of {files} scheme files valid").format(
        valid=len(files) - failed, files=len(files)
    )
    if warnings:
        summary += _("; {count} warning(s)").format(count=warnings)
    if strict and warnings:
        summary += _(" (--strict: warnings count as errors)")
    print(summary, file=sys.stderr)
    return EXIT_INVALID if failed else EXIT_OK


def _test(args: argparse.Namespace) -> int:
    files = find_test_files(args.paths)
    if not files:
        _say(
            _("no scheme test files (*.test.yaml) found in {paths}").format(
                paths=", ".join(args.paths)
            )
        )
        return EXIT_INVALID
    report = run_tests(args.paths)
    coverage = report.coverage
    enough = args.min_coverage is None or coverage.meets(args.min_coverage)
    mutations: list[MutationReport] = []
    if args.mutate and report.ok:
        mutations = [run_mutations(load_test_file(path)) for path in files]
    mutated = all(m.ok for m in mutations)
    if args.format == "json":
        data = report.to_dict()
        data["min_coverage"] = None if args.min_coverage is None else float(args.min_coverage)
        if args.mutate:
            data["mutations"] = [m.to_dict() for m in mutations]
        data["ok"] = report.ok and enough and mutated
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report.render(uncovered=args.coverage))
        for mutation in mutations:
            sys.stdout.write(mutation.render())
    if args.mutate and not report.ok:
        _say(_("mutation run skipped: some cases fail as they are"))
    if not enough:
        _say(
            _("coverage {percent}% is below --min-coverage {minimum}").format(
                percent=coverage.percent, minimum=args.min_coverage
            )
        )
    return EXIT_OK if report.ok and enough and mutated else EXIT_INVALID


def _schema(output: str | None) -> int:
    text = scheme_json_schema_text()
    if output:
        _write_atomic(output, text)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _template(args: argparse.Namespace) -> int:
    from ._template import template_csv, template_xlsx

    scheme = load_scheme(args.scheme)
    if args.format == "xlsx" and args.output is None and sys.stdout.isatty():
        _say(_("--format xlsx writes a workbook: give --output FILE.xlsx (or pipe it)"))
        return EXIT_USAGE
    try:
        with _Spool(args.output) as spool:
            if args.format == "csv":
                spool.write(template_csv(scheme))
            else:
                book = io.BytesIO()
                template_xlsx(scheme, book)
                spool.write_bytes(book.getvalue())
            spool.commit()
    except OSError as exc:
        target = args.output or _("the output")
        _say(_("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc))
        return EXIT_INVALID
    return EXIT_OK


def _write_atomic(path: str, text: str) -> None:
    with _Spool(path) as spool:
        spool.write(text)
        spool.commit()


class _Spool:
    """Where results are written until the whole run has succeeded, removed on any failure.

    For a regular file (new or existing, also through a symlink: the file it points to), a
    temporary file beside it, fsynced and renamed over it at the end: complete or untouched.
    A new file gets the mode the umask gives, an existing one keeps its mode. For standard
    output (no path, or ``-``) and for what is not a regular file (a FIFO, a device such as
    /dev/stdout), a temporary file copied out at the end: such a path is written, never
    replaced. A folder is refused (`OutputError`).
    """

    def __init__(self, path: str | None) -> None:
        self.path = None if path == "-" else path
        self.target: Path | None = None  # a regular file to rename over
        self.stream: Path | None = None  # a FIFO or device to write into
        self.mode = 0o644
        self.tmp: str | None = None
        self.handle: BinaryIO | None = None
        self.binary = False
        self.closing = contextlib.ExitStack()

    def __enter__(self) -> _Spool:
        if self.path is not None:
            real = Path(os.path.realpath(self.path))
            try:
                found = os.stat(self.path)  # follows links, also /dev/stdout to a pipe
            except FileNotFoundError:
                found = None
            if found is not None and stat.S_ISDIR(found.st_mode):
                raise OutputError(_("cannot write {path}: it is a folder").format(path=self.path))
            if found is not None and not stat.S_ISREG(found.st_mode):
                self.stream = Path(self.path)  # opened by its own name: /proc links work
            else:
                self.target = real
                self.mode = stat.S_IMODE(found.st_mode) if found is not None else _new_mode()
        if self.target is not None:
            fd, self.tmp = tempfile.mkstemp(
                dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp"
            )
        else:
            fd, self.tmp = tempfile.mkstemp(prefix="partyscore-", suffix=".out")
        self.handle = self.closing.enter_context(os.fdopen(fd, "wb"))
        return self

    def write(self, text: str) -> None:
        """Write text, as UTF-8."""
        assert self.handle is not None
        self.handle.write(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> None:
        """Write binary output (a workbook), copied to stdout as bytes."""
        assert self.handle is not None
        self.binary = True
        self.handle.write(data)

    def restart(self) -> None:
        """Drop everything written so far."""
        assert self.handle is not None
        self.handle.seek(0)
        self.handle.truncate()

    def commit(self) -> None:
        assert self.handle is not None
        assert self.tmp is not None
        handle, self.handle = self.handle, None
        if self.target is not None:
            handle.flush()
            os.fchmod(handle.fileno(), self.mode)
            os.fsync(handle.fileno())  # the data reaches the disk before the new name does
            self.closing.close()
            os.replace(self.tmp, self.target)
            self.tmp = None
            return
        self.closing.close()
        with open(self.tmp, "rb") as spooled:
            if self.stream is None:
                sys.stdout.flush()
                binary = getattr(sys.stdout, "buffer", None)
                if not self.binary or binary is None:  # text in stdout's own encoding
                    text = io.TextIOWrapper(spooled, encoding="utf-8", newline="")
                    shutil.copyfileobj(text, sys.stdout)  # in chunks, not the whole output
                    sys.stdout.flush()
                else:
                    shutil.copyfileobj(spooled, binary)
                    binary.flush()
            else:
                with open(self.stream, "wb") as out:
                    shutil.copyfileobj(spooled, out)

    def __exit__(self, *exc: object) -> None:
        self.closing.close()
        if self.tmp is not None:
            Path(self.tmp).unlink(missing_ok=True)


class OutputError(Exception):
    """An output path that cannot be written (a folder)."""


def _new_mode() -> int:
    """The mode a new file gets: read and write for all, less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


class _Results:
    """Writes batches of results in one format as they come; the table needs them all."""

    def __init__(
        self,
        form: str,
        scheme: CompiledScheme,
        spool: _Spool,
        strict: bool,
        bom: bool = False,
        period: str | None = None,
        record: DecisionRecord | None = None,
        overrides: bool = False,
    ) -> None:
        self.form = form
        self.overrides = overrides
        self.period = period
        self.record = record
        self.explain = False
        self.bom = "\ufeff" if bom else ""
        self.scheme = scheme
        self.spool = spool
        self.columns = columns_of(scheme.plan)
        self.words = Words(scheme.plan)
        self.kept: list[Result] = []
        self.warnings: list[str] = []
        self.count = 0
        self.started = False
        self.strict = strict
        self.refused: list[Result] = []  # with --strict, the results that carry a warning
        self.history: History | None = None

    def _header(self) -> str:
        return csv_header(self.columns, self.words, explain=self.explain, overrides=self.overrides)

    def add(self, batch: PeriodResults) -> None:
        self.warnings.extend(batch.warnings)
        if batch.history is not None:
            self.history = batch.history
        if self.strict and batch.warnings:
            self.refused.extend(r for r in batch if r.warnings)
        if self.form in _WHOLE_FORMS:
            self.kept.extend(batch)
            return
        if not self.started:
            self.started = True
            if self.form == "csv":
                self.spool.write(self.bom + self._header())
            else:
                self.spool.write(json_head(self.scheme.id, self.scheme.model.version, self.record))
        if self.form == "csv":
            self.spool.write(
                csv_rows(
                    batch, self.columns, self.words, explain=self.explain, overrides=self.overrides
                )
            )
        else:
            lead = "\n    " if self.count == 0 else ",\n    "
            self.spool.write(lead + ",\n    ".join(result_json(r) for r in batch) if batch else "")
        self.count += len(batch)

    def finish(self) -> None:
        model = self.scheme.model
        if self.form in _WHOLE_FORMS:
            evaluation = Evaluation(
                model.id, model.version, tuple(self.kept), tuple(self.warnings), self.scheme.plan
            )
            if self.form == "table":
                self.spool.write(to_table(evaluation, explain=self.explain))
            elif self.form == "xlsx":
                from ._xlsx import write_xlsx

                book = io.BytesIO()
                write_xlsx(evaluation, book, record=self.record)
                self.spool.write_bytes(book.getvalue())
            else:
                from ._report import report_html

                html = report_html(self.scheme, evaluation, self.period, record=self.record)
                self.spool.write(html)
        elif self.form == "csv":
            if not self.started:
                self.spool.write(self.bom + self._header())
        else:
            if not self.started:
                self.spool.write(json_head(model.id, model.version, self.record))
            self.spool.write(json_tail(self.warnings, self.count > 0))


_WHOLE_FORMS = ("table", "xlsx", "report")  # written once every result is known


class _Progress:
    """A progress line on stderr (tqdm) while records are read and evaluated, when stderr is
    a terminal and the 'progress' extra is installed; otherwise nothing at all."""

    def __init__(self, bar: Any = None) -> None:
        self.bar = bar

    @classmethod
    @contextlib.contextmanager
    def on_stderr(cls) -> Iterator[_Progress]:
        bar = None
        if sys.stderr.isatty() and os.environ.get("PARTYSCORE_PROGRESS", "auto") != "off":
            try:
                from tqdm import tqdm
            except ImportError:  # the 'progress' extra is not installed: no bar
                pass
            else:
                bar = tqdm(unit=" " + _("records"), file=sys.stderr, leave=False, mininterval=0.2)
        progress = cls(bar)
        try:
            yield progress
        finally:
            progress.close()

    def reading(self, path: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(_("reading {path}").format(path=Path(path).name))

    def tick(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def evaluated(self, period: str, count: int) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(_("{period} evaluated").format(period=period))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _evaluate_columnar(args: argparse.Namespace, scheme: CompiledScheme) -> int:
    """``evaluate --engine columnar``: the inputs evaluated a period at a time."""
    if args.format not in ("csv", "parquet"):
        _say(_("--engine columnar writes --format csv or --format parquet"))
        return EXIT_USAGE
    if (
        args.history_in
        or args.history_start
        or args.history_out
        or args.strict
        or args.explain
        or args.overrides
    ):
        _say(
            _(
                "--engine columnar does not take --history-in, --history-start, "
                "--history-out, --overrides, --strict or --explain"
            )
        )
        return EXIT_USAGE
    if args.format == "parquet" and args.output is None and sys.stdout.isatty():
        _say(_("--format parquet writes a file: give --output FILE.parquet (or pipe it)"))
        return EXIT_USAGE
    from .columnar import write_files

    with _Spool(args.output) as spool, warnings.catch_warnings(record=True) as issued:
        warnings.simplefilter("always", PartyscoreWarning)
        assert spool.handle is not None
        spool.binary = args.format == "parquet"
        write_files(scheme, args.input, spool.handle, args.format, bom=args.bom)
        spool.commit()
    for warning in issued:
        if issubclass(warning.category, PartyscoreWarning):
            print(_("warning: {message}").format(message=warning.message), file=sys.stderr)
        else:
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return EXIT_OK


def _decision_record(args: argparse.Namespace, scheme: CompiledScheme) -> DecisionRecord:
    """The decision record of this run: its files' digests (taken before they are read)
    and the options that change what is written."""

    def digest(path: str, name: str | None) -> FileDigest:
        """The file at `path`, named `name` (as recorded, when verify reads it elsewhere)."""
        try:
            sha256 = file_digest(path)
        except OSError:  # the reader says what is wrong with it, and nothing is written
            sha256 = ""
        return FileDigest(name or path, sha256)

    options = {
        "encoding": args.encoding,
        "sheet": args.sheet,
        "skip_rows": args.skip_rows,
        "ignore_columns": list(args.ignore_column),
        "history_start": args.history_start,
        "lang": current(),
    }
    names = getattr(args, "names", None) or args.input
    inputs = [digest(path, name) for path, name in zip(args.input, names, strict=True)]
    history_in = None
    if args.history_in:
        history_in = digest(args.history_in, getattr(args, "history_name", None))
    overrides = None
    if getattr(args, "overrides", None):
        overrides = digest(args.overrides, getattr(args, "overrides_name", None))
    return record_of(
        scheme.id,
        scheme.model.version,
        getattr(args, "scheme_name", None) or args.scheme,
        scheme.digest,
        inputs,
        history_in=history_in,
        overrides=overrides,
        options=options,
    )


def _input_problem(args: argparse.Namespace) -> str | None:
    """A usage problem of the input and history options, or None."""
    encoding = getattr(args, "encoding", "auto")
    if encoding != "auto":
        try:
            known = codecs.lookup(encoding)
        except LookupError:
            known = None
        if known is None or not getattr(known, "_is_text_encoding", True):
            return _("--encoding {encoding}: not a text encoding Python knows").format(
                encoding=encoding
            )
    skip_rows = getattr(args, "skip_rows", None)
    if skip_rows is not None and skip_rows < 0:
        return _("--skip-rows must be 0 or more")
    if getattr(args, "history_in", None) and getattr(args, "history_start", None):
        return _(
            "give --history-in or --history-start, not both: a history carried in "
            "already says where its counts start"
        )
    return None


def _history_of(args: argparse.Namespace, scheme: CompiledScheme) -> History | None:
    """The history the options carry in: a file read, or a declared start."""
    if args.history_start:
        return History.start(scheme, args.history_start)
    return History.read(args.history_in, scheme) if args.history_in else None


def _write_out(path: str | None, text: str) -> int:
    """Write `text` to `path` (None: standard output) whole or not at all."""
    try:
        with _Spool(path) as spool:
            spool.write(text)
            spool.commit()
    except OSError as exc:
        target = path or _("the output")
        _say(_("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc))
        return EXIT_INVALID
    return EXIT_OK


def _records_of(args: argparse.Namespace, scheme: CompiledScheme) -> list[Record]:
    """Every record of the inputs, read as ``evaluate`` reads them."""
    from ._records import read_records

    records: list[Record] = []
    for path in args.input:
        records.extend(
            read_records(
                path,
                scheme,
                encoding=args.encoding,
                on_error="stop" if getattr(args, "stop_at_first", False) else "collect",
                sheet=args.sheet,
                skip_rows=args.skip_rows,
                ignore_columns=args.ignore_column,
            )
        )
    return records


def _explain(args: argparse.Namespace) -> int:
    """``explain``: one subject's results, rule by rule, for the person scored."""
    from . import _account
    from ._evaluate import evaluate

    problem = _input_problem(args)
    if problem is not None:
        _say(problem)
        return EXIT_USAGE
    scheme = load_scheme(args.scheme)
    history = _history_of(args, scheme)
    overrides = read_overrides(args.overrides, scheme) if args.overrides else None
    evaluation = evaluate(scheme, _records_of(args, scheme), history=history, overrides=overrides)
    periods = _account.account(
        scheme, evaluation, args.subject, args.period, inputs=[str(p) for p in args.input]
    )
    if args.strict and any(p.warnings for p in periods):
        for p in periods:
            for warning in p.warnings:
                message = f"{args.subject} {p.period}: {warning}"
                print(_("error: {message}").format(message=message), file=sys.stderr)
        _say(_("results with warnings, refused by --strict; nothing was written"))
        return EXIT_INVALID
    render = _account.to_json if args.format == "json" else _account.to_text
    return _write_out(args.output, render(scheme, args.subject, periods))


def _diff(args: argparse.Namespace) -> int:
    """``diff``: two schemes evaluated on the same records, and what changes."""
    from . import _diff
    from ._evaluate import evaluate

    problem = _input_problem(args)
    if problem is not None:
        _say(problem)
        return EXIT_USAGE
    old, new = load_scheme(args.old), load_scheme(args.new)
    _diff.check_fit(old, new)
    evaluations = []
    for which, scheme in ((_("old"), old), (_("new"), new)):
        try:
            evaluations.append(evaluate(scheme, _records_of(args, scheme)))
        except PartyscoreError as exc:
            print(exc.render(), file=sys.stderr)
            _say(
                _("(the records as the {which} scheme {file} reads them)").format(
                    which=which, file=scheme.file
                )
            )
            return EXIT_INVALID
    impact = _diff.compare(evaluations[0], evaluations[1], old, new)
    render = {"table": _diff.to_table, "json": _diff.to_json, "csv": _diff.to_csv}[args.format]
    status = _write_out(args.output, render(impact))
    if status == EXIT_OK and args.exit_code and impact.changes:
        return EXIT_INVALID
    return status


def _verify(args: argparse.Namespace) -> int:
    """``verify``: compute a JSON output again from its decision record and compare."""
    from ._verify import changed_files, differences, differences_bytes_only, locate, read_results

    kept, _content, record = read_results(args.results)
    located = locate(
        record,
        args.results,
        scheme=args.scheme,
        inputs=args.input,
        history_in=args.history_in,
        overrides=args.overrides,
    )
    scheme = load_scheme(located.scheme)
    try:
        changed = changed_files(record, scheme.digest, located)
    except OSError as exc:
        _say(_("cannot read {path}: {reason}").format(path=exc.filename, reason=exc.strerror))
        return EXIT_INVALID
    for line in changed:
        print(line)
    options = record.options
    with tempfile.TemporaryDirectory(prefix="partyscore-verify-") as folder:
        out = os.path.join(folder, "results.json")
        again = argparse.Namespace(
            command="evaluate",
            format="json",
            engine="record",
            scheme=located.scheme,
            scheme_name=record.scheme.path,
            input=[path for path, _name in located.inputs],
            names=[name for _path, name in located.inputs],
            history_in=located.history_in[0] if located.history_in else None,
            history_name=located.history_in[1] if located.history_in else None,
            overrides=located.overrides[0] if located.overrides else None,
            overrides_name=located.overrides[1] if located.overrides else None,
            history_start=options["history_start"],
            encoding=options["encoding"],
            sheet=options["sheet"],
            skip_rows=options["skip_rows"],
            ignore_column=list(options["ignore_columns"]),
            output=out,
            history_out=None,
            stop_at_first=False,
            strict=False,
            explain=False,
            bom=False,
            quiet=True,
        )
        with language(check_lang(str(options["lang"]))):
            status = _evaluate(again)
        if status != EXIT_OK:
            return status
        computed = Path(out).read_bytes()
    lines = differences(kept, computed)
    if not lines and not changed:
        count = len(_content["results"])
        print(
            _("identical: {count} result(s) of {id} version {version}, computed again").format(
                count=count, id=record.scheme_id, version=record.scheme_version
            )
        )
        return EXIT_OK
    for line in lines:
        print(line)
    if not lines:
        print(_("the results computed again are the same as the file's; only the files changed"))
    elif lines != [differences_bytes_only()]:  # (that line says it all)
        total = len(lines)
        print(ngettext("{count} difference", "{count} differences", total).format(count=total))
    return EXIT_INVALID


def _evaluate(args: argparse.Namespace) -> int:
    """``evaluate`` and ``report``: read, evaluate period by period, write."""
    form = "report" if args.command == "report" else args.format
    bom = getattr(args, "bom", False)
    history_out = getattr(args, "history_out", None)
    if form == "xlsx" and args.output is None and sys.stdout.isatty():
        _say(_("--format xlsx writes a workbook: give --output FILE.xlsx (or pipe it)"))
        return EXIT_USAGE
    problem = _input_problem(args)
    if problem is not None:
        _say(problem)
        return EXIT_USAGE
    scheme = load_scheme(args.scheme)
    if getattr(args, "engine", "record") == "columnar":
        return _evaluate_columnar(args, scheme)
    if form == "parquet":
        _say(_("--format parquet goes with --engine columnar"))
        return EXIT_USAGE
    history = _history_of(args, scheme)
    overrides = None
    if args.overrides:  # named as recorded when verify reads them from where they moved
        name = getattr(args, "overrides_name", None)
        overrides = read_overrides(args.overrides, scheme, name=name)
    on_error: OnError = "stop" if args.stop_at_first else "collect"
    if bom and form != "csv":
        _say(_("--bom goes with --format csv"))
        return EXIT_USAGE
    sheet: str | int | None = args.sheet  # a name, else a position (the reader decides)
    table = Layout.of(
        scheme, sheet=sheet, skip_rows=args.skip_rows, ignore_columns=args.ignore_column
    )
    names = getattr(args, "names", None) or [str(path) for path in args.input]
    order = {name: index for index, name in enumerate(names)}
    record = _decision_record(args, scheme) if form in ("json", "xlsx", "report") else None

    def records(layout: _Collector, bar: _Progress) -> Iterator[Record]:
        for path, name in zip(args.input, names, strict=True):
            bar.reading(path)
            with contextlib.ExitStack() as stack:
                source: Any = path
                if name != str(path):  # a file that moved, read under its recorded name
                    source = stack.enter_context(open(path, "rb"))
                read = iter_records(
                    source,
                    scheme,
                    layout,
                    encoding=args.encoding,
                    layout=table,
                    name=None if source is path else name,
                )
                for record in read:
                    bar.tick()
                    yield record

    def run(spool: _Spool, spill: str | None) -> _Results:
        layout = _Collector(on_error)
        with _Progress.on_stderr() as bar:  # closed also when the records must be sorted first
            return evaluated(layout, bar, spool, spill)

    def evaluated(layout: _Collector, bar: _Progress, spool: _Spool, spill: str | None) -> _Results:
        given = records(layout, bar)
        kind = scheme.model.period
        parts = spilled(given, kind, spill) if spill else given
        period = getattr(args, "period", None)
        results = _Results(
            form, scheme, spool, args.strict, bom, period, record, overrides is not None
        )
        results.explain = getattr(args, "explain", False)
        batches = evaluate_stream(
            scheme,
            parts,
            on_error=on_error,
            layout=layout,
            order=order,
            history=history,
            overrides=overrides,
        )
        for batch in batches:
            bar.evaluated(batch.period, len(batch))
            results.add(batch)
        bar.close()
        results.finish()
        return results

    target = args.output or _("the output")
    try:
        with contextlib.ExitStack() as stack:
            spool = stack.enter_context(_Spool(args.output))
            saved = stack.enter_context(_Spool(history_out)) if history_out else None
            try:
                results = run(spool, None)
            except OutOfOrder:
                spool.restart()
                with temporary_folder() as folder:
                    results = run(spool, folder)
            if results.refused:
                for r in results.refused:
                    for warning in r.warnings:
                        message = f"{r.subject} {r.period}: {warning}"
                        print(_("error: {message}").format(message=message), file=sys.stderr)
                _say(
                    _(
                        "{count} result(s) with warnings, refused by --strict; nothing was written"
                    ).format(count=len(results.refused))
                )
                return EXIT_INVALID
            if saved is not None:
                if results.history is None:
                    _say(
                        _("no history to write to {path}: the input has no records").format(
                            path=history_out
                        )
                    )
                    return EXIT_INVALID
                saved.write(results.history.to_json())
            spool.commit()
            if saved is not None:
                target = history_out
                saved.commit()
    except OSError as exc:
        _say(_("cannot write {path}: {reason}").format(path=target, reason=exc.strerror or exc))
        return EXIT_INVALID
    if getattr(args, "quiet", False):
        return EXIT_OK
    if form != "table" or args.output:  # the table already ends with its warnings
        for warning in results.warnings:
            print(_("warning: {message}").format(message=warning), file=sys.stderr)
    return EXIT_OK


def _asked_lang(argv: Sequence[str]) -> str | None:
    """The --lang of the command line, read before the parser (its help is translated)."""
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        if value in LANGS:
            return value
    return None


_MACHINE_FORMATS = ("json", "csv")

# argparse's own words, translated with partyscore's (argparse looks up `_` when it speaks).
_ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("unrecognized arguments: %s"),
    N_("expected one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
)


@contextlib.contextmanager
def _argparse_words() -> Iterator[None]:
    """argparse speaking the language in use while the command line is parsed."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    Messages are in the language of --lang, else of the locale (`lang_from_env`); the
    output of ``--format json`` and ``--format csv`` is in English unless --lang is given.
    """
    given = list(sys.argv[1:] if argv is None else argv)
    asked = _asked_lang(given)
    with language(asked or lang_from_env()), _argparse_words():
        parser = _parser()
        args = parser.parse_args(given)
    lang = getattr(args, "lang", None) or (
        "en" if getattr(args, "format", None) in _MACHINE_FORMATS else lang_from_env()
    )
    with language(check_lang(lang)):
        return _run(parser, args)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    if getattr(args, "output", None) == "-":
        args.output = None  # standard output
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave SIGTERM alone
        previous = None
    try:
        if args.command == "validate":
            return _validate(args.paths, strict=args.strict, form=args.format)
        if args.command == "schema":
            return _schema(args.output)
        if args.command == "test":
            return _test(args)
        if args.command == "template":
            return _template(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "explain":
            return _explain(args)
        return _evaluate(args)
    except PartyscoreError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INVALID
    except OutputError as exc:
        _say(str(exc))
        return EXIT_INVALID
    except ImportError as exc:  # an optional feature whose extra is not installed
        _say(str(exc))
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        _say(_("interrupted; nothing was written"))
        return EXIT_INTERRUPTED
    except _Terminated:
        _say(_("terminated; nothing was written"))
        return EXIT_TERMINATED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _say(message: str) -> None:
    """One line on stderr, as ``partyscore: message``."""
    print(f"partyscore: {message}", file=sys.stderr)


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that every temporary file is removed on the
    way out as for Ctrl-C."""


def _terminate(signum: int, frame: object) -> None:
    raise _Terminated


if __name__ == "__main__":
    sys.exit(main())
