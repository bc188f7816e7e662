"""Addressing rules of the municipality's routine (seed 000), one test per rule."""

from __future__ import annotations

import random
import uuid

import pytest
from svarut_helpers import address, break_check_digit, make_fnr, make_orgnr

from arkiv5_svarut_gateway.domain.addressing import Channel, Refusal, Route, route
from arkiv5_svarut_gateway.domain.material import Recipient

RNG = random.Random(5)


def recipient(**values: object) -> Recipient:
    return Recipient(korrespondansepart_id=uuid.uuid4(), navn=values.pop("navn", "Ola Nordmann"), **values)  # type: ignore[arg-type]


@pytest.mark.parametrize("d_nummer", [False, True])
async def test_person_with_a_valid_fodselsnummer_goes_to_the_person_endpoint(d_nummer: bool) -> None:
    fnr = make_fnr(RNG, d_nummer=d_nummer)
    decided = route(recipient(fodselsnummer=fnr), screened=False)
    assert isinstance(decided, Route)
    assert (decided.channel, decided.digital_id, decided.high_security) == (Channel.PERSON, fnr, False)


async def test_organisation_with_a_valid_orgnr_goes_to_the_organisation_endpoint() -> None:
    orgnr = make_orgnr(RNG)
    decided = route(recipient(navn="Eksempel AS", organisasjonsnummer=orgnr, postadresse=address()), screened=False)
    assert isinstance(decided, Route)
    assert (decided.channel, decided.digital_id, decided.confidential) == (Channel.ORGANISASJON, orgnr, False)
    assert decided.address is not None and decided.address.poststed == "OSLO"


async def test_neither_number_but_a_sensible_address_goes_to_print() -> None:
    decided = route(recipient(postadresse=address(adresselinje2="  c/o  Hansen ")), screened=False)
    assert isinstance(decided, Route)
    assert decided.channel is Channel.PRINT and decided.digital_id is None
    assert decided.address is not None and decided.address.adresselinje2 == "c/o Hansen"


async def test_invalid_fodselsnummer_is_refused_even_with_a_sensible_address_never_printed() -> None:
    # The journal registers no party with an invalid number; one that reaches the gateway anyway
    # is refused with what to do, not sent on paper to whatever address is on file.
    fnr = break_check_digit(make_fnr(RNG))
    decided = route(recipient(fodselsnummer=fnr, postadresse=address()), screened=False)
    assert isinstance(decided, Refusal) and decided.reason_code == "invalid-fodselsnummer"
    assert "check digits do not match" in decided.reason and "no number and a full postal address" in decided.reason
    assert fnr not in decided.reason and "Ola" not in decided.reason and len(decided.reason) <= 300


async def test_invalid_orgnr_is_refused() -> None:
    decided = route(recipient(organisasjonsnummer=break_check_digit(make_orgnr(RNG)),
                              postadresse=address()), screened=False)
    assert isinstance(decided, Refusal) and decided.reason_code == "invalid-organisasjonsnummer"
    assert "organisasjonsnummer is not valid" in decided.reason


async def test_wrong_length_orgnr_says_so() -> None:
    decided = route(recipient(organisasjonsnummer="12345"), screened=False)
    assert isinstance(decided, Refusal) and "must be 9 digits (got 5)" in decided.reason


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"adresselinje1": None}, "has no address line"),
        ({"poststed": "  "}, "has no poststed"),
        ({"postnummer": None}, "has no postnummer"),
        ({"postnummer": "155"}, "not four digits"),
        ({"landkode": "NOR"}, "ISO 3166"),
        ({"adresselinje1": "x" * 71}, "longer than 70"),
    ],
)
async def test_incomplete_addresses_are_refused(overrides: dict[str, str | None], problem: str) -> None:
    decided = route(recipient(postadresse=address(**overrides)), screened=False)
    assert isinstance(decided, Refusal) and decided.reason_code == "no-valid-address"
    assert problem in decided.reason
    assert "neither a fødselsnummer nor an organisasjonsnummer" in decided.reason and len(decided.reason) <= 300


async def test_foreign_address_needs_no_norwegian_postnummer() -> None:
    decided = route(recipient(postadresse=address(postnummer="SW1A 1AA", poststed="London", landkode="gb")),
                    screened=False)
    assert isinstance(decided, Route) and decided.channel is Channel.PRINT
    assert decided.address is not None and decided.address.landkode == "GB"


async def test_missing_name_is_refused() -> None:
    decided = route(recipient(navn=" ", fodselsnummer=make_fnr(RNG)), screened=False)
    assert isinstance(decided, Refusal) and decided.reason_code == "missing-name"


async def test_screened_letters_get_the_highest_level_or_confidential_post() -> None:
    person = route(recipient(fodselsnummer=make_fnr(RNG)), screened=True)
    org = route(recipient(organisasjonsnummer=make_orgnr(RNG)), screened=True)
    paper = route(recipient(postadresse=address()), screened=True)
    assert isinstance(person, Route) and person.high_security and not person.confidential
    assert isinstance(org, Route) and org.confidential and not org.high_security
    assert isinstance(paper, Route) and paper.channel is Channel.PRINT  # paper post is allowed


async def test_file_names_are_made_valid_unique_and_pdf() -> None:
    from arkiv5_svarut_gateway.domain.forsendelse import valid_unique_filenames

    names = valid_unique_filenames(['Vedtak: "endelig"?.docx', "vedtak_ _endelig__.docx", None, "x" * 300])
    assert names[0] == "Vedtak_ _endelig__.docx.pdf"
    assert names[1] == "vedtak_ _endelig__.docx (2).pdf"  # unique regardless of case
    assert names[2] == "dokument-3.pdf"
    assert len(names[3]) == 226 and names[3].endswith(".pdf")
