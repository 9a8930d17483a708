"""Keep the message catalogues in step with the code (Babel).

    python tools/catalogues.py          # extract, update zh-Hans, derive zh-Hant, compile

1. Extract every marked message (``_``, ``N_``, ``ngettext``, ``pgettext``) from
   src/partyscore into locale/partyscore.pot.
2. Update locale/zh_Hans/LC_MESSAGES/partyscore.po: new messages are added untranslated
   (the command then lists them and exits 1 until they are translated), messages no longer
   in the code are dropped.
3. Derive locale/zh_Hant/LC_MESSAGES/partyscore.po from the zh-Hans one with OpenCC
   (``s2twp``: Traditional characters, Taiwan phrasing).
4. Compile both to .mo files, which the package ships.

tests/test_catalogues.py checks that all four are current.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "partyscore"
LOCALE = PACKAGE / "locale"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHOD_MAP = [("**.py", "python")]


def extract() -> Catalog:
    """Every marked message of the package, sorted, without source locations (so that
    moving code does not change the catalogues)."""
    catalog = Catalog(project="partyscore", charset="utf-8", fuzzy=False)
    for _file, _line, message, comments, context in extract_from_dir(
        PACKAGE, METHOD_MAP, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def po_text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, omit_header=True, no_location=True, sort_output=True, width=0)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "partyscore.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang.replace("-", "_"), project="partyscore")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang.replace("_", "-").split("-")[0])


def updated(template: Catalog, old: Catalog) -> Catalog:
    """The template's messages, with the translations `old` has for them."""
    new = Catalog(locale="zh", project="partyscore", charset="utf-8", fuzzy=False)
    for message in template:
        if not message.id:
            continue
        before = old.get(message.id, message.context)
        string = before.string if before is not None else ("", "") if message.pluralizable else ""
        new.add(message.id, string, context=message.context, auto_comments=message.auto_comments)
    return new


def derived(simplified: Catalog) -> Catalog:
    """The zh-Hant catalogue: each zh-Hans translation through OpenCC s2twp."""
    import opencc

    convert = opencc.OpenCC("s2twp").convert
    new = Catalog(locale="zh", project="partyscore", charset="utf-8", fuzzy=False)
    for message in simplified:
        if not message.id:
            continue
        string = message.string
        if isinstance(string, tuple | list):
            string = tuple(convert(s) for s in string)
        else:
            string = convert(string)
        new.add(message.id, string, context=message.context, auto_comments=message.auto_comments)
    return new


def untranslated(catalog: Catalog) -> list[str]:
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main() -> int:
    template = extract()
    LOCALE.mkdir(parents=True, exist_ok=True)
    (LOCALE / "partyscore.pot").write_bytes(po_text(template))
    simplified = updated(template, read("zh_Hans"))
    traditional = derived(simplified)
    for lang, catalog in (("zh_Hans", simplified), ("zh_Hant", traditional)):
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(po_text(catalog))
        path.with_suffix(".mo").write_bytes(mo_bytes(catalog))
    missing = untranslated(simplified)
    for message in missing:
        print(f"untranslated: {message!r}", file=sys.stderr)
    print(f"{len(template)} messages; {len(missing)} untranslated", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
