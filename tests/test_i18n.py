"""The message catalogue and Babel formatting (allocator/i18n.py)."""

from __future__ import annotations

from datetime import date

from allocator.i18n import LANGS, catalogue, day, gettext, money, ngettext, number


def test_danish_is_the_default_and_english_is_the_source() -> None:
    assert LANGS[0] == "da"
    assert gettext("Total cost") == "Samlet omkostning"
    assert gettext("Total cost", "en") == "Total cost"
    assert ngettext("household", "households", 1) == "husstand"
    assert ngettext("household", "households", 2) == "husstande"
    assert ngettext("household", "households", 2, "en") == "households"


def test_an_untranslated_message_falls_back_to_english() -> None:
    assert gettext("no such message in any catalogue") == "no such message in any catalogue"


def test_danish_catalogue_is_read_from_po_files() -> None:
    assert len(catalogue("da")) >= 3
    assert catalogue("en") == {}


def test_babel_formats_money_numbers_and_dates_per_language() -> None:
    assert money(1234567.891) == "1.234.567,89\xa0kr."
    assert money(1234.4, decimals=False) == "1.234\xa0kr."
    assert money(1234567.891, "en") == "DKK\xa01,234,567.89"
    assert money(1234.4, "en", decimals=False) == "DKK\xa01,234"
    assert number(1234.5, decimals=1) == "1.234,5"
    assert number(1234.5, "en", decimals=1) == "1,234.5"
    assert day(date(2026, 4, 18)) == "18. april 2026"
    assert day(date(2026, 4, 18), "en") == "18 April 2026"


def test_no_message_is_translated_twice_differently() -> None:
    """Topics keep their own .po files; one msgid must not get two Danish texts."""
    from importlib import resources

    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, object]] = {}
    clashes = []
    folder = resources.files("allocator") / "locale" / "da"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or not message.string:
                    continue
                key = message.id if isinstance(message.id, str) else message.id[0]
                text = message.string
                if key in seen and seen[key][1] != text:
                    clashes.append(f"{key!r}: {seen[key][0]} vs {entry.name}")
                seen.setdefault(key, (entry.name, text))
    assert clashes == []


def test_gettext_of_a_plural_entry_is_its_singular() -> None:
    assert gettext("household") == "husstand"
