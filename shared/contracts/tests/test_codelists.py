"""The Noark 5 code list enums against the packaged copy of the reference notes."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib.resources import files

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from arkiv5_contracts.codelists import (
    CODE_LISTS,
    NOARK5_METADATA_RELATION_BASE,
    CodeList,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    Tilgangsrestriksjon,
)

REFERENCE = files("arkiv5_contracts") / "reference"


@dataclass(frozen=True)
class ParsedList:
    name: str
    noark_id: str
    relation: str | None
    rows: list[tuple[str, str, str | None]]  # (kode, kodenavn, merknad or None)


_HEADING = re.compile(r"^(?P<name>\w+) \((?P<id>M\d{3})\)")
_RELATION = re.compile(r"^Relation: `(?P<url>[^`]+)`", re.MULTILINE)
_ROW = re.compile(
    r"^\|\s*`(?P<kode>[^`]+)`\s*\|(?P<navn>[^|]*)\|(?P<merknad>[^|]*)\|\s*$", re.MULTILINE
)


def _parse_reference() -> tuple[dict[str, ParsedList], str]:
    """The code lists in the packaged noark5-kodelister.md, keyed by list name."""
    text = (REFERENCE / "noark5-kodelister.md").read_text(encoding="utf-8")
    lists: dict[str, ParsedList] = {}
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading = _HEADING.match(section)
        if heading is None:  # e.g. "## Notes"
            assert not _ROW.search(section), "a code table in a section the parser cannot name"
            continue
        relation = _RELATION.search(section)
        rows = [
            (m["kode"], m["navn"].strip(), m["merknad"].strip() or None)
            for m in _ROW.finditer(section)
        ]
        lists[heading["name"]] = ParsedList(
            heading["name"], heading["id"], relation["url"] if relation else None, rows
        )
    return lists, text


PARSED, TEXT = _parse_reference()
CODE_TABLES = {name: parsed for name, parsed in PARSED.items() if parsed.rows}


def test_reference_copy_matches_the_digest_in_sources() -> None:
    sources = (REFERENCE / "SOURCES.txt").read_text(encoding="utf-8")
    digest = hashlib.sha256((REFERENCE / "noark5-kodelister.md").read_bytes()).hexdigest()
    assert f"sha256 {digest}  noark5-kodelister.md" in sources


def test_parser_saw_every_table_row() -> None:
    # Guards the parser itself: every "| `code` |" line in the file landed in some list.
    table_lines = [line for line in TEXT.splitlines() if line.startswith("| `")]
    assert len(table_lines) == sum(len(p.rows) for p in PARSED.values())
    assert len(CODE_TABLES) == 18


def test_every_list_in_the_reference_is_an_enum_and_no_more() -> None:
    assert set(CODE_LISTS) == set(CODE_TABLES)
    assert set(CodeList.__subclasses__()) == set(CODE_LISTS.values())


def test_sections_without_a_table_are_not_code_lists() -> None:
    # skjermingshjemmel (M501) is free text in the standard, not a code list.
    assert "skjermingshjemmel" in PARSED
    assert not PARSED["skjermingshjemmel"].rows
    assert "skjermingshjemmel" not in CODE_LISTS


@pytest.mark.parametrize("name", sorted(CODE_TABLES))
def test_enum_matches_reference_exactly(name: str) -> None:
    parsed = CODE_TABLES[name]
    enum = CODE_LISTS[name]
    assert enum.list_name == name
    assert enum.noark_id == parsed.noark_id
    assert enum.relation == parsed.relation == f"{NOARK5_METADATA_RELATION_BASE}{name}/"
    # Same codes, names and remarks, in the same order, and nothing extra.
    assert [(m.kode, m.kodenavn, m.merknad) for m in enum] == parsed.rows


@pytest.mark.parametrize("name", sorted(CODE_TABLES))
def test_docstring_names_metadata_id_and_relation(name: str) -> None:
    enum = CODE_LISTS[name]
    assert enum.__doc__ is not None
    assert enum.noark_id in enum.__doc__
    assert enum.relation in enum.__doc__


@pytest.mark.parametrize("name", sorted(CODE_TABLES))
def test_codes_and_names_are_unique_within_a_list(name: str) -> None:
    enum = CODE_LISTS[name]
    members = list(enum)
    assert len({m.kode for m in members}) == len(members)
    # from_kodenavn relies on this.
    assert len({m.kodenavn for m in members}) == len(members)


@pytest.mark.parametrize("name", sorted(CODE_TABLES))
def test_member_names_are_the_code_where_possible(name: str) -> None:
    for member in CODE_LISTS[name]:
        if member.kode.isidentifier():
            assert member.name == member.kode
        else:
            assert member.name.isidentifier()


def test_sanitised_member_names() -> None:
    assert Tilgangsrestriksjon.OFFL_5.kode == "5"
    assert Tilgangsrestriksjon.OFFL_5A.kode == "5a"
    assert Tilgangsrestriksjon.OFFL_6.kode == "6"
    assert Tilgangsrestriksjon.OFFL_11.kode == "11"
    assert Tilgangsrestriksjon("5a") is Tilgangsrestriksjon.OFFL_5A
    assert Tilgangsrestriksjon.OFFL_5A.kodenavn == "Unntatt etter offentlighetsloven § 5a"


def test_member_is_its_code() -> None:
    member = Journalstatus.J
    assert member.kode == member.value == "J"
    assert member.kodenavn == "Journalført"
    assert member.merknad is None
    assert member == "J"
    assert isinstance(member, str)
    assert str(member) == "J"
    assert f"{member}" == "J"
    assert Journalstatus("J") is member
    assert Journalstatus.M.merknad == "Anbefalt"


def test_from_kodenavn() -> None:
    assert Journalstatus.from_kodenavn("Journalført") is Journalstatus.J
    # XML text nodes may be padded with whitespace.
    assert Journalstatus.from_kodenavn("\n  Utgår\n") is Journalstatus.U
    for enum in CODE_LISTS.values():
        for member in enum:
            assert enum.from_kodenavn(member.kodenavn) is member


def test_from_kodenavn_refuses_unknown_name() -> None:
    with pytest.raises(ValueError, match="not a kodenavn in the Noark 5 code list journalstatus"):
        Journalstatus.from_kodenavn("journalført")  # names are case-sensitive
    with pytest.raises(ValueError, match="valid names: Journalført, "):
        Journalstatus.from_kodenavn("Journalført og sendt")


def test_unknown_code_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError) as excinfo:
        Journalstatus("Q")
    message = str(excinfo.value)
    assert "'Q' is not a code in the Noark 5 code list journalstatus (M053)" in message
    assert "J (Journalført)" in message
    with pytest.raises(ValueError, match="not a code"):
        Journalstatus("j")  # codes are case-sensitive ("5a" exists in tilgangsrestriksjon)
    with pytest.raises(ValueError, match="not a code"):
        Tilgangsrestriksjon("5A")


def test_api_form() -> None:
    assert Journalstatus.J.to_api() == {"kode": "J", "kodenavn": "Journalført"}
    assert Journalstatus.as_api("J") == {"kode": "J", "kodenavn": "Journalført"}
    assert Journalstatus.as_api(Journalstatus.E) == {"kode": "E", "kodenavn": "Ekspedert"}
    assert Korrespondanseparttype.from_api({"kode": "EA"}) is Korrespondanseparttype.EA
    assert (
        Korrespondanseparttype.from_api({"kode": "EA", "kodenavn": "Avsender"})
        is Korrespondanseparttype.EA
    )
    for enum in CODE_LISTS.values():
        for member in enum:
            assert enum.from_api(json.loads(json.dumps(member.to_api()))) is member


def test_api_form_refuses_contradictions_and_garbage() -> None:
    with pytest.raises(ValueError, match="does not match kode 'EA'"):
        Korrespondanseparttype.from_api({"kode": "EA", "kodenavn": "Mottaker"})
    with pytest.raises(ValueError, match="object with a string 'kode'"):
        Korrespondanseparttype.from_api({"kodenavn": "Avsender"})
    with pytest.raises(ValueError, match="object with a string 'kode'"):
        Korrespondanseparttype.from_api("EA")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a code"):
        Korrespondanseparttype.as_api("XX")


class Journalpost(BaseModel):
    journalstatus: Journalstatus
    journalposttype: Journalposttype
    tilgangsrestriksjon: Tilgangsrestriksjon | None = None


def test_pydantic_accepts_code_and_serialises_to_code() -> None:
    post = Journalpost.model_validate(
        {"journalstatus": "J", "journalposttype": "I", "tilgangsrestriksjon": "5a"}
    )
    assert post.journalstatus is Journalstatus.J
    assert post.tilgangsrestriksjon is Tilgangsrestriksjon.OFFL_5A
    assert post.model_dump(mode="json") == {
        "journalstatus": "J",
        "journalposttype": "I",
        "tilgangsrestriksjon": "5a",
    }
    assert post.model_dump()["journalstatus"] == "J"
    dumped = post.model_dump_json()
    assert json.loads(dumped)["journalstatus"] == "J"
    assert Journalpost.model_validate_json(dumped) == post


def test_pydantic_strict_json_accepts_code() -> None:
    post = Journalpost.model_validate_json(
        '{"journalstatus": "A", "journalposttype": "U"}', strict=True
    )
    assert post.journalstatus is Journalstatus.A


def test_pydantic_refuses_unknown_code_per_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Journalpost.model_validate({"journalstatus": "Q", "journalposttype": "I"})
    (error,) = excinfo.value.errors(include_input=False)
    assert error["loc"] == ("journalstatus",)
    assert error["type"] == "enum"
    assert "'J'" in error["msg"] and "'R'" in error["msg"]


def test_pydantic_json_schema_lists_the_codes() -> None:
    schema = TypeAdapter(Journalstatus).json_schema()
    assert schema["enum"] == [m.kode for m in Journalstatus]
    assert "M053" in schema["description"]
