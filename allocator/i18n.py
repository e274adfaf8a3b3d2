"""Languages of the planner's outputs: one message catalogue, formatting by Babel.

Every text a planner reads (report, workbooks, letters, CLI messages, study
tables, explanations) is written in English in the code, marked with
:func:`gettext`, and translated from the catalogue. Danish (``"da"``) is the
default; English (``"en"``) is the text as written. Numbers, money and dates
are formatted by Babel in the language's locale, never by hand.

The catalogue is a set of gettext ``.po`` files under
``allocator/locale/<lang>/``, one per topic (``report.po``, ``study.po`` ...)
so that features add their messages without touching each other's files;
they are read with Babel at first use and merged. A message missing from the
catalogue falls back to its English text; ``tests/test_i18n.py`` checks that
the Danish catalogue has every message the code marks.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from importlib import resources
from typing import Final, Literal, get_args

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "N_",
    "Lang",
    "catalogue",
    "day",
    "gettext",
    "money",
    "ngettext",
    "number",
    "short_month",
]

Lang = Literal["da", "en"]
#: The languages outputs can be written in; the first is the default.
LANGS: Final[tuple[Lang, ...]] = get_args(Lang)
DEFAULT_LANG: Final[Lang] = "da"

#: Babel locale of each language.
_LOCALE: Final[dict[Lang, str]] = {"da": "da_DK", "en": "en_GB"}
#: Money patterns (Babel's): Danish "1.234,56 kr.", English "DKK 1,234.56".
_MONEY: Final[dict[Lang, str]] = {"da": "#,##0.00\xa0¤", "en": "¤\xa0#,##0.00"}


@cache
def catalogue(lang: Lang) -> dict[str, str | tuple[str, ...]]:
    """Every translated message of ``lang``: msgid to text (plural forms as a tuple).

    English is the source language and has no catalogue (an empty mapping).
    """
    messages: dict[str, str | tuple[str, ...]] = {}
    if lang == "en":
        return messages
    folder = resources.files("allocator") / "locale" / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle, locale=_LOCALE[lang]):
                if not message.id or not message.string:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string
                messages[key] = tuple(text) if isinstance(text, (tuple, list)) else text
    return messages


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it (translate it later).

    For texts defined once at module level (tables of labels), looked up
    with :func:`gettext` where the language is known. The catalogue test
    extracts ``N_``, ``_``, ``gettext`` and ``ngettext`` calls.
    """
    return message


def gettext(message: str, lang: Lang = DEFAULT_LANG) -> str:
    """``message`` (English, a catalogue msgid) in ``lang``; English if untranslated."""
    text = catalogue(lang).get(message)
    if isinstance(text, tuple):  # a plural entry: its singular form
        text = text[0]
    return text or message


def ngettext(singular: str, plural: str, n: int, lang: Lang = DEFAULT_LANG) -> str:
    """The singular or plural form for ``n`` in ``lang`` (Danish and English: n == 1)."""
    forms = catalogue(lang).get(singular)
    index = 0 if n == 1 else 1
    if isinstance(forms, tuple) and len(forms) > index and forms[index]:
        return forms[index]
    return singular if index == 0 else plural


def money(value_dkk: float, lang: Lang = DEFAULT_LANG, *, decimals: bool = True) -> str:
    """An amount in kroner: ``1.234.567,89 kr.`` (Danish), ``DKK 1,234,567.89`` (English)."""
    pattern = _MONEY[lang] if decimals else _MONEY[lang].replace(".00", "")
    amount = value_dkk if decimals else round(value_dkk)
    return format_currency(
        amount, "DKK", locale=_LOCALE[lang], format=pattern, currency_digits=False
    )


def number(value: float, lang: Lang = DEFAULT_LANG, *, decimals: int = 0) -> str:
    """A number with the language's separators, e.g. ``1.234,5`` (Danish)."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_LOCALE[lang])


def day(value: date, lang: Lang = DEFAULT_LANG, *, style: str = "long") -> str:
    """A date, e.g. ``18. april 2026`` (Danish, ``style="long"``)."""
    return format_date(value, format=style, locale=_LOCALE[lang])


def short_month(value: date, lang: Lang = DEFAULT_LANG) -> str:
    """The month of ``value`` abbreviated for a chart axis, e.g. ``jan.`` (Danish), ``Jan``."""
    return format_date(value, format="LLL", locale=_LOCALE[lang])
