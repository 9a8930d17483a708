"""The ``partyscore`` command. The only module that prints or exits."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._compile import iter_scheme_files, load_scheme
from ._diagnostics import PartyscoreError, SchemeError
from ._evaluate import evaluate
from ._records import OnError, read_records
from ._render import to_csv, to_json, to_table

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

_MAIN_HELP = """\
Scoring schemes for party members and branches, as validated YAML, evaluated exactly.

commands:
  validate   check scheme files (or folders of them) and print every problem
  evaluate   apply a scheme to records from CSV, JSON or YAML

examples:
  partyscore validate schemes
  partyscore evaluate schemes/chengzhuang-ladder.yaml examples/chengzhuang-ladder.csv

Run 'partyscore COMMAND --help' for the options of a command.
"""

_VALIDATE_HELP = """\
Check scheme files: YAML syntax, the format's keys and types, names, expressions, bands
and references. Folders are searched for *.yaml and *.yml files.

Each problem is printed on its own line as

  path:line:column: key.path: message [code]

exit status: 0 when every file is valid, 1 when any problem was found.

examples:
  partyscore validate schemes
  partyscore validate schemes/yongxi-red-flag.yaml my-scheme.yaml
"""

_EVALUATE_HELP = """\
Apply SCHEME to the records in INPUT and print the results.

INPUT is CSV (UTF-8, with or without BOM; one row per subject and period; columns
'subject', 'period', then the scheme's attributes and items), or JSON/YAML: a list of
{"subject", "period", "attributes": {...}, "points": {...}}.
Period labels: 2024-03 (month), 2024-B2 (two months), 2024-Q3 (quarter), 2024-H1 (half
year), 2024 (year).

Bad records are reported as file:row: field: message [code] and nothing is evaluated;
records are never dropped or changed.

exit status: 0 on success, 1 for an invalid scheme, bad records or an evaluation error.

examples:
  partyscore evaluate schemes/chengzhuang-ladder.yaml examples/chengzhuang-ladder.csv
  partyscore evaluate schemes/yongxi-red-flag.yaml examples/yongxi-red-flag.csv --format json
  partyscore evaluate SCHEME INPUT --format csv --output results.csv
"""


def _parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="partyscore", description=_MAIN_HELP, formatter_class=raw)
    parser.add_argument("--version", action="version", version=f"partyscore {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check scheme files", description=_VALIDATE_HELP, formatter_class=raw
    )
    validate.add_argument("paths", nargs="+", metavar="PATH", help="scheme files or folders")

    run = commands.add_parser(
        "evaluate",
        help="apply a scheme to records",
        description=_EVALUATE_HELP,
        formatter_class=raw,
    )
    run.add_argument("scheme", metavar="SCHEME", help="a scheme file")
    run.add_argument("input", metavar="INPUT", help="records: .csv, .json, .yaml or .yml")
    run.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (default: table)",
    )
    run.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE (atomically: it is complete or untouched) instead of stdout",
    )
    run.add_argument(
        "--encoding",
        default="utf-8",
        help="encoding of a CSV input, e.g. gb18030 (default: utf-8, BOM allowed)",
    )
    run.add_argument(
        "--stop-at-first",
        action="store_true",
        help="report only the first bad record instead of all of them",
    )
    return parser


def _validate(paths: Sequence[str]) -> int:
    files = list(iter_scheme_files(paths))
    if not files:
        print("partyscore: no scheme files found in " + ", ".join(paths), file=sys.stderr)
        return EXIT_INVALID
    failed = 0
    for file in files:
        try:
            scheme = load_scheme(file)
        except SchemeError as exc:
            failed += 1
            print(exc.render())
            continue
        for warning in scheme.warnings:
            print(warning.render())
    print(f"{len(files) - failed} of {len(files)} scheme files valid", file=sys.stderr)
    return EXIT_INVALID if failed else EXIT_OK


def _write_atomic(path: str, text: str) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(
        dir=target.parent or Path("."), prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _evaluate(args: argparse.Namespace) -> int:
    scheme = load_scheme(args.scheme)
    on_error: OnError = "stop" if args.stop_at_first else "collect"
    records = read_records(args.input, scheme, encoding=args.encoding, on_error=on_error)
    evaluation = evaluate(scheme, records, on_error=on_error)
    render = {"json": to_json, "csv": to_csv, "table": to_table}[args.format]
    text = render(evaluation)
    if args.output:
        try:
            _write_atomic(args.output, text)
        except OSError as exc:
            print(f"partyscore: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_INVALID
    else:
        sys.stdout.write(text)
    if args.format != "table" or args.output:  # the table already ends with its warnings
        for warning in evaluation.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "validate":
            return _validate(args.paths)
        return _evaluate(args)
    except PartyscoreError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
