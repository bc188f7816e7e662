"""Reading a Noark 5 v5.0 extraction's XML safely and streamed: one saksmappe (with its journalposts) at a time.

The parser never resolves an entity, never loads a DTD, never touches the network and keeps
lxml's limits on huge trees; a file that declares a DOCTYPE is refused before its first
element is read (external entities and entity expansion both need one). Each saksmappe is
built (records.py) when its element ends and then dropped from the tree, so memory holds one
case; one that cannot be held is `Refused` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from ..models import Endringslogg
from .records import AS, EN, XSI_TYPE, Mappe, Unmappable, endring_of, mappe_of

PARSER_OPTIONS: dict[str, Any] = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                                  "load_dtd": False}


class HostileXml(Exception):
    """The file declares a DTD (the door to external entities and entity expansion); it is not read."""


@dataclass
class Refused:
    system_id: str
    reason: str


def refuse_dtd(path: Path) -> None:
    """Raise `HostileXml` when the file has a DOCTYPE: read up to its root's start only."""
    for _, element in etree.iterparse(str(path), events=("start",), **PARSER_OPTIONS):
        docinfo = element.getroottree().docinfo
        if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
            raise HostileXml(f"{path.name} declares a DTD (entities); refused unread")
        return


def mapper(path: Path) -> Iterator[Mappe | Refused]:
    """Every saksmappe of arkivstruktur.xml in document order, or why it cannot be imported."""
    refuse_dtd(path)
    for _, element in etree.iterparse(str(path), events=("end",), tag=AS + "mappe", **PARSER_OPTIONS):
        if element.get(XSI_TYPE, "").split(":")[-1] not in ("saksmappe", ""):
            yield Refused(element.findtext(AS + "systemID") or "", "mappe that is not a saksmappe")
        else:
            try:
                yield mappe_of(element)
            except Unmappable as problem:
                yield Refused(element.findtext(AS + "systemID") or "", str(problem))
        element.clear(keep_tail=True)
        while (previous := element.getprevious()) is not None and previous.tag == AS + "mappe":
            element.getparent().remove(previous)


def changes(path: Path) -> Iterator[Endringslogg | Refused]:
    """Every endring of endringslogg.xml, in order."""
    refuse_dtd(path)
    for number, (_, element) in enumerate(
            etree.iterparse(str(path), events=("end",), tag=EN + "endring", **PARSER_OPTIONS)):
        try:
            yield endring_of(element, number)
        except Unmappable as problem:
            yield Refused((element.findtext(EN + "referanseArkivenhet") or "").strip(), f"endring {number + 1}: {problem}")
        element.clear(keep_tail=True)
        while element.getprevious() is not None:
            del element.getparent()[0]
