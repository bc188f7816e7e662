"""Noark 5 code names (`Journalført`) as the journal's codes (`J`); an older system's bare codes are accepted too."""

from __future__ import annotations

from arkiv5_contracts.codelists import CodeList


class Unmappable(Exception):
    """A value the journal cannot hold; the record it belongs to is refused."""


def _by_name(codes: type[CodeList]) -> dict[str, str]:
    found = _NAMES.get(codes.list_name)
    if found is None:
        found = {member.kodenavn.casefold(): member.kode for member in codes}
        found.update({member.kode.casefold(): member.kode for member in codes})
        _NAMES[codes.list_name] = found
    return found


_NAMES: dict[str, dict[str, str]] = {}


def optional_code_of(codes: type[CodeList], name: str | None) -> str | None:
    """The journal's code of a code name (or of the code itself, as older systems write it); None if unknown."""
    if name is None or not name.strip():
        return None
    return _by_name(codes).get(name.strip().casefold())


def code_of(codes: type[CodeList], name: str | None) -> str:
    """As `optional_code_of`, for a code the record must have."""
    if name is None or not name.strip():
        raise Unmappable(f"{codes.list_name} is missing")
    found = optional_code_of(codes, name)
    if found is None:
        raise Unmappable(f"{codes.list_name}: not a code name of the Noark 5 list")
    return found
