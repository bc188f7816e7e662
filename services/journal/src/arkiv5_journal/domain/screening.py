"""Skjerming: public titles and which fields a reader without clearance must not see.

Screened words in a title are replaced by ***** (offentligTittel); the skjermingMetadata
codes of a record say which other fields are screened. A screening lifts the day after
skjermingOpphoererDato has passed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

MASK = "*****"

# skjermingMetadata codes and what they cover.
TITLE_CODES_MAPPE = frozenset({"TMO", "TM1", "M"})
TITLE_CODES_REGISTRERING = frozenset({"TRO", "TR1", "M"})
SENDER_CODES = frozenset({"NA", "M"})
RECIPIENT_CODES = frozenset({"NM", "M"})
PARTY_CODES = frozenset({"NPS", "M"})
DOCUMENT_TITLE_CODES = frozenset({"TD", "M"})
REMARK_CODES = frozenset({"MT", "M"})
CLASS_CODES = frozenset({"KID", "M"})

SENDER_TYPES = frozenset({"EA", "IA", "IS"})


def chosen_public_title(tittel: str, offentlig: str | None, skjermede_ord: Iterable[str], metadata: Iterable[str],
                        title_codes: frozenset[str]) -> str:
    """offentligTittel as given, or else the title with its screened words masked (TM1/TR1: first line only)."""
    if offentlig is not None:
        return offentlig
    codes = set(metadata)
    return public_title(tittel, skjermede_ord, first_line_only=bool({"TM1", "TR1"} & codes) and bool(title_codes & codes))


def public_title(tittel: str, skjermede_ord: Iterable[str], *, first_line_only: bool = False) -> str:
    """The title with every screened word or phrase replaced by *****.

    Longest phrases first, so a full name is masked before a part of it; matching ignores
    case, since a name may be written "OLA" or "Ola".
    """
    result = tittel.split("\n", 1)[0] + (f" {MASK}" if "\n" in tittel else "") if first_line_only else tittel
    for word in sorted({w.strip() for w in skjermede_ord if w.strip()}, key=len, reverse=True):
        result = re.sub(re.escape(word), MASK, result, flags=re.IGNORECASE)
    return result


def is_active(tilgangsrestriksjon: str | None, opphoerer: date | None, today: date) -> bool:
    return bool(tilgangsrestriksjon) and (opphoerer is None or opphoerer >= today)


def screens(codes: Iterable[str], wanted: frozenset[str]) -> bool:
    return not wanted.isdisjoint(codes)


def active_codes(record: Any, today: date) -> list[str]:
    """The skjermingMetadata codes of a saksmappe or journalpost in force today (none once lifted)."""
    if not is_active(record.tilgangsrestriksjon, record.skjerming_opphoerer_dato, today):
        return []
    return list(record.skjerming_metadata) or ["M"]


def journalpost_codes(journalpost: Any, saksmappe: Any, today: date) -> list[str]:
    """Screened fields of a journalpost: its own skjerming, else the one it inherits from its case."""
    own = active_codes(journalpost, today)
    if own:
        return own
    inherited = active_codes(saksmappe, today)
    if not inherited:
        return []
    # A screened case screens its posts' titles and parties too.
    return sorted(set(inherited) | {"TRO", "NA", "NM"})


def marked_words(tittel: str, offentlig_tittel: str) -> list[str]:
    """The words skjermedeOrd took out of a title, read back from its offentligTittel.

    offentligTittel is the title with each screened word replaced by *****, so the title
    matched against the public one with a group at every ***** gives the words back — for
    every record ever written, without a column of its own. A public title written by hand
    (not derived from the title) gives nothing.
    """
    if MASK not in offentlig_tittel:
        return []
    pattern = "(.+?)".join(re.escape(piece) for piece in offentlig_tittel.split(MASK))
    found = re.fullmatch(pattern, tittel, flags=re.IGNORECASE | re.DOTALL)
    if found is None:
        return []
    return [word.strip() for word in found.groups() if len(word.strip()) >= 2 and MASK not in word]


def party_words(names: Iterable[str | None], numbers: Iterable[str | None] = ()) -> list[str]:
    """The words that screen a party: its full name, each part of the name, its numbers."""
    words: list[str] = []
    for name in names:
        if name and name.strip() and name.strip() != MASK:
            words.append(name.strip())
            words += [part for part in name.split() if len(part) >= 3]
    words += [number for number in numbers if number]
    return words


def screen_text(text: str, words: Iterable[str]) -> str:
    """Every screened word or phrase in any text field replaced by ***** (longest first, any case)."""
    return public_title(text, words) if text else text
