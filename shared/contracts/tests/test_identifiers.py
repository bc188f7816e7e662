"""Fødselsnummer / D-nummer and organisasjonsnummer validation.

Valid numbers are generated here with the check-digit algorithm (written out independently
of stdnum) rather than copied from documents: several published examples fail the checksum.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import random
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from stdnum.no import fodselsnummer as stdnum_fnr

from arkiv5_contracts.identifiers import (
    BirthDateError,
    Fodselsnummer,
    IdentifierChecksumError,
    IdentifierError,
    IdentifierFormatError,
    Organisasjonsnummer,
    SyntheticIdentifierError,
    UnsupportedIdentifierError,
    allow_synthetic_identifiers,
    are_synthetic_identifiers_allowed,
    is_valid_fodselsnummer,
    is_valid_orgnr,
    kind_of_fodselsnummer,
    synthetic_identifiers_allowed,
    validate_fodselsnummer,
    validate_orgnr,
)

# --- generators -------------------------------------------------------------------------

_FNR_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_FNR_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORGNR_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit, or None where none exists (remainder gives 10)."""
    check = (11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True)) % 11) % 11
    return None if check == 10 else check


def with_fnr_check_digits(nine: str) -> str | None:
    k1 = _mod11(nine, _FNR_K1)
    if k1 is None:
        return None
    k2 = _mod11(nine + str(k1), _FNR_K2)
    return None if k2 is None else f"{nine}{k1}{k2}"


def make_fnr(day: int, month: int, yy: int, individual: int = 123) -> str:
    """An 11-digit number with correct check digits for the given DD, MM, YY fields.

    Tries individual numbers from ``individual`` within its century band until the check
    digits exist. DD and MM are written as given, so day + 40 gives a D-nummer, month + 80 a
    synthetic number, an impossible date an invalid number with good check digits.
    """
    band_end = 500 if individual < 500 else 1000
    for ind in range(individual, band_end):
        number = with_fnr_check_digits(f"{day:02d}{month:02d}{yy:02d}{ind:03d}")
        if number is not None:
            return number
    raise AssertionError("no individual number gives check digits")


def make_orgnr(eight: str) -> str | None:
    check = _mod11(eight, _ORGNR_WEIGHTS)
    return None if check is None else f"{eight}{check}"


def break_check_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# Born 15 Oct 1986 (individual numbers < 500 are 1900-1999).
FNR = make_fnr(15, 10, 86)
D_NUMMER = make_fnr(15 + 40, 10, 86)
H_NUMMER = make_fnr(15, 10 + 40, 86)
SYNTHETIC = make_fnr(15, 10 + 80, 86)
SYNTHETIC_D = make_fnr(15 + 40, 10 + 80, 86)
ORGNR = next(n for n in (make_orgnr(f"9{i:07d}") for i in range(1000, 2000)) if n)


@pytest.fixture(autouse=True)
def _switch_off() -> Iterator[None]:
    # Sync tests share one context, so start each with the switch off and restore it after,
    # even when the test itself calls allow_synthetic_identifiers(True).
    with synthetic_identifiers_allowed(False):
        yield


def test_generated_numbers_agree_with_stdnum() -> None:
    assert stdnum_fnr.is_valid(FNR)
    assert stdnum_fnr.is_valid(D_NUMMER)
    assert stdnum_fnr.is_valid(H_NUMMER)
    assert not stdnum_fnr.is_valid(SYNTHETIC)  # why the switch exists


# --- fødselsnummer: valid ---------------------------------------------------------------


def test_valid_fodselsnummer() -> None:
    assert validate_fodselsnummer(FNR) == FNR
    assert is_valid_fodselsnummer(FNR)
    assert kind_of_fodselsnummer(FNR) == "fodselsnummer"


def test_valid_fodselsnummer_born_this_century() -> None:
    # Individual numbers 500-999 with YY < 40 are 2000-2039.
    number = make_fnr(29, 2, 4, individual=500)  # 29 Feb 2004, a leap year
    assert validate_fodselsnummer(number) == number


def test_input_is_normalised() -> None:
    assert validate_fodselsnummer(f"{FNR[:6]} {FNR[6:]}") == FNR
    assert validate_fodselsnummer(f"  {FNR}\n") == FNR
    assert validate_fodselsnummer(f"{FNR[:6]}-{FNR[6:]}") == FNR


def test_d_nummer_is_valid() -> None:
    assert validate_fodselsnummer(D_NUMMER) == D_NUMMER
    assert kind_of_fodselsnummer(D_NUMMER) == "d-nummer"


def test_h_nummer_is_valid_whatever_the_switch() -> None:
    # Month + 40: H-nummer, and also NAV's synthetic numbers - the two look the same.
    assert validate_fodselsnummer(H_NUMMER) == H_NUMMER
    assert kind_of_fodselsnummer(H_NUMMER) == "h-nummer"


def test_many_generated_numbers_agree_with_stdnum() -> None:
    # With the switch off we accept exactly what stdnum accepts.
    rng = random.Random(20260521)
    for _ in range(3000):
        number = f"{rng.randrange(10**11):011d}"
        if rng.random() < 0.5:
            number = with_fnr_check_digits(number[:9]) or number
        assert is_valid_fodselsnummer(number) == stdnum_fnr.is_valid(number), number


# --- fødselsnummer: invalid -------------------------------------------------------------


def _refusal(value: object, **kwargs: bool) -> IdentifierError:
    with pytest.raises(IdentifierError) as excinfo:
        validate_fodselsnummer(value, **kwargs)  # type: ignore[arg-type]
    error = excinfo.value
    assert isinstance(error, ValueError)
    # Personal data: the message never holds the number, nor any long run of its digits.
    if isinstance(value, str):
        digits = "".join(c for c in value if c.isdigit())
        for start in range(max(len(digits) - 5, 0)):
            assert digits[start : start + 6] not in str(error)
    return error


@pytest.mark.parametrize(
    "value",
    [FNR[:-1], FNR + "1", "", "12345", f"{FNR} 1"],
    ids=["10-digits", "12-digits", "empty", "5-digits", "12-digits-with-space"],
)
def test_wrong_length(value: str) -> None:
    error = _refusal(value)
    assert isinstance(error, IdentifierFormatError)
    assert error.code == "fodselsnummer_format"
    assert "must be 11 digits" in str(error)
    assert not is_valid_fodselsnummer(value)


@pytest.mark.parametrize("value", [FNR[:5] + "O" + FNR[6:], "abcdefghijk", FNR[:10] + "x"])
def test_letters(value: str) -> None:
    error = _refusal(value)
    assert isinstance(error, IdentifierFormatError)
    assert "must be 11 digits" in str(error)
    assert "characters other than digits" in str(error)


def test_not_a_string() -> None:
    error = _refusal(int(FNR))
    assert isinstance(error, IdentifierFormatError)
    assert "string of 11 digits" in str(error)


@pytest.mark.parametrize("number", [FNR, D_NUMMER, H_NUMMER])
def test_bad_check_digit(number: str) -> None:
    for broken in (break_check_digit(number), number[:-2] + number[-1] + number[-2]):
        if broken == number:
            continue
        error = _refusal(broken)
        assert isinstance(error, IdentifierChecksumError)
        assert error.code == "fodselsnummer_checksum"
        assert "the check digits do not match" in str(error)


def test_mistyped_digit_is_caught_by_check_digits() -> None:
    typo = FNR[:3] + str((int(FNR[3]) + 1) % 10) + FNR[4:]
    assert isinstance(_refusal(typo), IdentifierChecksumError)


@pytest.mark.parametrize(
    ("day", "month", "yy", "individual"),
    [
        (31, 2, 86, 123),  # 31 February
        (29, 2, 85, 123),  # 29 February in a common year
        (0, 10, 86, 123),  # day 0
        (15, 0, 86, 123),  # month 0
        (15, 13, 86, 123),  # month 13
        (15, 60, 86, 123),  # month 60: neither H-nummer nor synthetic
        (31 + 40, 4, 86, 123),  # D-nummer for 31 April
        (15, 10, 45, 600),  # individual 500-749 with YY 40-53: no birth century
    ],
)
def test_impossible_date(day: int, month: int, yy: int, individual: int) -> None:
    error = _refusal(make_fnr(day, month, yy, individual))
    assert isinstance(error, BirthDateError)
    assert error.code == "fodselsnummer_birth_date"
    assert "the date of birth is not a real date" in str(error)


def test_date_in_the_future() -> None:
    next_year = datetime.date.today().year + 1
    assert next_year < 2040  # the 2000-2039 band of individual numbers 500-999
    error = _refusal(make_fnr(1, 1, next_year % 100, individual=500))
    assert isinstance(error, BirthDateError)
    assert "the date of birth is in the future" in str(error)


def test_fh_nummer_is_refused() -> None:
    error = _refusal(make_fnr(81, 10, 86))
    assert isinstance(error, UnsupportedIdentifierError)
    assert "FH-numbers" in str(error)


# --- synthetic numbers ------------------------------------------------------------------


@pytest.mark.parametrize("number", [SYNTHETIC, SYNTHETIC_D])
def test_synthetic_refused_by_default(number: str) -> None:
    assert not are_synthetic_identifiers_allowed()
    error = _refusal(number)
    assert isinstance(error, SyntheticIdentifierError)
    assert error.code == "fodselsnummer_synthetic"
    assert "only accepted in test environments" in str(error)
    assert not is_valid_fodselsnummer(number)


@pytest.mark.parametrize("number", [SYNTHETIC, SYNTHETIC_D])
def test_synthetic_accepted_when_switched_on(number: str) -> None:
    with synthetic_identifiers_allowed():
        assert are_synthetic_identifiers_allowed()
        assert validate_fodselsnummer(number) == number
        assert is_valid_fodselsnummer(number)
    assert not are_synthetic_identifiers_allowed()
    assert not is_valid_fodselsnummer(number)


def test_synthetic_per_call_override() -> None:
    assert validate_fodselsnummer(SYNTHETIC, allow_synthetic=True) == SYNTHETIC
    with synthetic_identifiers_allowed():
        assert not is_valid_fodselsnummer(SYNTHETIC, allow_synthetic=False)


def test_synthetic_still_needs_check_digits_and_a_real_date() -> None:
    with synthetic_identifiers_allowed():
        assert isinstance(_refusal(break_check_digit(SYNTHETIC)), IdentifierChecksumError)
        bad_date = make_fnr(30, 2 + 80, 86)  # 30 February
        assert isinstance(_refusal(bad_date), BirthDateError)
        assert isinstance(_refusal(make_fnr(15, 93, 86)), BirthDateError)  # month 13 + 80


def test_kind_of_reports_synthetic_whatever_the_switch() -> None:
    assert kind_of_fodselsnummer(SYNTHETIC) == "synthetic"
    assert kind_of_fodselsnummer(SYNTHETIC_D) == "synthetic"
    with pytest.raises(IdentifierChecksumError):
        kind_of_fodselsnummer(break_check_digit(SYNTHETIC))


def test_process_default_reaches_requests_tasks_and_threads() -> None:
    """A service sets the default at start-up; handlers in other tasks and threads see it."""
    import threading

    async def in_new_task() -> bool:
        return await asyncio.create_task(asyncio.sleep(0, result=is_valid_fodselsnummer(SYNTHETIC)))

    results: list[bool] = []
    try:
        with synthetic_identifiers_allowed(None):  # no override: the process default rules
            allow_synthetic_identifiers(True)
            assert is_valid_fodselsnummer(SYNTHETIC)
            assert asyncio.run(in_new_task())
            thread = threading.Thread(target=lambda: results.append(is_valid_fodselsnummer(SYNTHETIC)))
            thread.start()
            thread.join()
            allow_synthetic_identifiers(False)
            assert not is_valid_fodselsnummer(SYNTHETIC)
    finally:
        allow_synthetic_identifiers(False)
    assert results == [True]


def test_scoped_override_beats_the_default_and_does_not_leak() -> None:
    try:
        allow_synthetic_identifiers(True)
        with synthetic_identifiers_allowed(False):
            assert not is_valid_fodselsnummer(SYNTHETIC)
        with synthetic_identifiers_allowed(None):
            assert is_valid_fodselsnummer(SYNTHETIC)
    finally:
        allow_synthetic_identifiers(False)


def test_override_is_per_task() -> None:
    async def in_task(enabled: bool) -> bool:
        with synthetic_identifiers_allowed(enabled):
            await asyncio.sleep(0)
            return is_valid_fodselsnummer(SYNTHETIC)

    async def main() -> list[bool]:
        return list(await asyncio.gather(in_task(True), in_task(False), in_task(True)))

    assert asyncio.run(main()) == [True, False, True]
    assert not are_synthetic_identifiers_allowed()


# --- organisasjonsnummer ----------------------------------------------------------------


def test_valid_orgnr() -> None:
    assert validate_orgnr(ORGNR) == ORGNR
    assert validate_orgnr(f"{ORGNR[:3]} {ORGNR[3:6]} {ORGNR[6:]}") == ORGNR
    assert validate_orgnr(f" {ORGNR} ") == ORGNR
    assert is_valid_orgnr(ORGNR)


def test_orgnr_agrees_with_stdnum() -> None:
    from stdnum.no import orgnr as stdnum_orgnr

    rng = random.Random(7)
    for _ in range(2000):
        number = f"{rng.randrange(10**9):09d}"
        assert is_valid_orgnr(number) == stdnum_orgnr.is_valid(number), number


def _orgnr_refusal(value: object) -> IdentifierError:
    with pytest.raises(IdentifierError) as excinfo:
        validate_orgnr(value)  # type: ignore[arg-type]
    if isinstance(value, str) and value:
        assert value.strip() not in str(excinfo.value)
    return excinfo.value


@pytest.mark.parametrize("value", [ORGNR[:-1], ORGNR + "0", "", "9" * 11])
def test_orgnr_wrong_length(value: str) -> None:
    error = _orgnr_refusal(value)
    assert isinstance(error, IdentifierFormatError)
    assert error.code == "orgnr_format"
    assert "must be 9 digits" in str(error)
    assert not is_valid_orgnr(value)


@pytest.mark.parametrize("value", [ORGNR[:4] + "A" + ORGNR[5:], "NO" + ORGNR, ORGNR + "MVA"])
def test_orgnr_letters(value: str) -> None:
    error = _orgnr_refusal(value)
    assert isinstance(error, IdentifierFormatError)
    assert "must be 9 digits" in str(error)


def test_orgnr_not_a_string() -> None:
    assert "string of 9 digits" in str(_orgnr_refusal(int(ORGNR)))


def test_orgnr_bad_check_digit() -> None:
    error = _orgnr_refusal(break_check_digit(ORGNR))
    assert isinstance(error, IdentifierChecksumError)
    assert error.code == "orgnr_checksum"
    assert "check digit does not match" in str(error)


# --- pydantic ---------------------------------------------------------------------------


class Part(BaseModel):
    fnr: Fodselsnummer
    orgnr: Organisasjonsnummer


class QuietPart(Part):
    model_config = ConfigDict(hide_input_in_errors=True)


def test_pydantic_valid_and_normalised() -> None:
    part = Part(fnr=f"{FNR[:6]} {FNR[6:]}", orgnr=f"{ORGNR[:3]} {ORGNR[3:6]} {ORGNR[6:]}")
    assert part.fnr == FNR
    assert part.orgnr == ORGNR
    assert Part.model_validate_json(part.model_dump_json()) == part
    assert TypeAdapter(Fodselsnummer).validate_python(D_NUMMER) == D_NUMMER


@pytest.mark.parametrize(
    ("fnr", "orgnr", "expected"),
    [
        (
            break_check_digit(FNR),
            ORGNR,
            [(("fnr",), "fodselsnummer_checksum", "the check digits do not match")],
        ),
        (
            FNR[:-1],
            ORGNR[:-1],
            [
                (("fnr",), "fodselsnummer_format", "must be 11 digits"),
                (("orgnr",), "orgnr_format", "must be 9 digits"),
            ],
        ),
        (
            make_fnr(31, 2, 86),
            break_check_digit(ORGNR),
            [
                (("fnr",), "fodselsnummer_birth_date", "the date of birth is not a real date"),
                (("orgnr",), "orgnr_checksum", "check digit does not match"),
            ],
        ),
        (
            SYNTHETIC,
            ORGNR,
            [(("fnr",), "fodselsnummer_synthetic", "only accepted in test environments")],
        ),
    ],
    ids=["checksum", "length", "date-and-orgnr-checksum", "synthetic"],
)
def test_pydantic_errors_name_the_field_and_say_why(
    fnr: str, orgnr: str, expected: list[tuple[tuple[str, ...], str, str]]
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Part(fnr=fnr, orgnr=orgnr)
    # API error rendering must use include_input=False: pydantic otherwise adds the input.
    errors = excinfo.value.errors(include_input=False)
    assert [(e["loc"], e["type"]) for e in errors] == [(loc, kind) for loc, kind, _ in expected]
    for error, (_, _, reason) in zip(errors, expected, strict=True):
        assert reason in error["msg"]
    rendered = json.dumps(errors, ensure_ascii=False)
    assert fnr not in rendered
    assert orgnr not in rendered


def test_pydantic_str_contains_input_unless_hidden() -> None:
    bad = break_check_digit(FNR)
    # Why include_input=False / hide_input_in_errors matter: pydantic's own rendering.
    with pytest.raises(ValidationError) as excinfo:
        Part(fnr=bad, orgnr=ORGNR)
    assert bad in str(excinfo.value)
    with pytest.raises(ValidationError) as excinfo:
        QuietPart(fnr=bad, orgnr=ORGNR)
    assert bad not in str(excinfo.value)
    assert "the check digits do not match" in str(excinfo.value)


def test_pydantic_context_overrides_the_switch() -> None:
    data = {"fnr": SYNTHETIC, "orgnr": ORGNR}
    part = Part.model_validate(data, context={"allow_synthetic_identifiers": True})
    assert part.fnr == SYNTHETIC
    with synthetic_identifiers_allowed():
        assert Part.model_validate(data).fnr == SYNTHETIC
        with pytest.raises(ValidationError) as excinfo:
            Part.model_validate(data, context={"allow_synthetic_identifiers": False})
        assert excinfo.value.errors()[0]["type"] == "fodselsnummer_synthetic"
    with pytest.raises(ValidationError):
        Part.model_validate(data, context={"something_else": True})


def test_pydantic_refuses_non_strings() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Part.model_validate({"fnr": int(FNR), "orgnr": int(ORGNR)})
    assert [e["loc"] for e in excinfo.value.errors()] == [("fnr",), ("orgnr",)]
    assert {e["type"] for e in excinfo.value.errors()} == {"string_type"}


def test_pydantic_json_schema() -> None:
    schema = Part.model_json_schema()
    assert schema["properties"]["fnr"]["type"] == "string"
    assert "fødselsnummer" in schema["properties"]["fnr"]["description"]
    assert schema["properties"]["orgnr"]["type"] == "string"
