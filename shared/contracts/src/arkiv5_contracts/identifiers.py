"""Norwegian identifiers: fødselsnummer / D-nummer and organisasjonsnummer.

Validation is python-stdnum's (``stdnum.no.fodselsnummer``, ``stdnum.no.orgnr``); this module
adds normalisation, error messages that say *why* a number was refused, pydantic types, and
a switch for the synthetic test numbers of Norwegian test environments.

Pydantic types (plain ``str`` after validation, normalised to bare digits)::

    class Part(BaseModel):
        fnr: Fodselsnummer
        orgnr: Organisasjonsnummer

Plain functions: :func:`validate_fodselsnummer`, :func:`validate_orgnr`,
:func:`is_valid_fodselsnummer`, :func:`is_valid_orgnr`, :func:`kind_of_fodselsnummer`.

Kinds of fødselsnummer
    * ordinary fødselsnummer (DDMMYY + individual number + two check digits);
    * D-nummer: 40 added to the day; accepted;
    * H-nummer: 40 added to the month; accepted, because stdnum accepts it. NAV's synthetic
      test numbers also add 40 to the month and so cannot be told apart from H-numbers: they
      are accepted everywhere, whatever the synthetic switch says;
    * synthetic (Skatteetaten's Tenor test data, used by KS's test environments): 80 added
      to the month. stdnum refuses these. They are accepted only while synthetic numbers are
      allowed (see below), and then only with correct check digits and a real date once 80
      is subtracted from the month (a synthetic D-nummer, day + 40 as well, is fine);
    * FH-nummer (first digit 8 or 9): refused, as stdnum does - it holds no date of birth.

Allowing synthetic numbers (test environments only)
    :func:`allow_synthetic_identifiers` sets the process-wide default (a service does it at
    start-up from its ``environment`` setting; every request, task and thread sees it).
    :func:`synthetic_identifiers_allowed` overrides it for a ``with`` block through a
    :class:`contextvars.ContextVar`, so a test or one task cannot leak the override into
    another. A pydantic validation context
    ``{"allow_synthetic_identifiers": True}`` (or ``False``) overrides the switch for one
    ``model_validate(..., context=...)`` call.

Personal data in errors
    No message raised here contains the number. pydantic itself, however, puts the input in
    ``str(ValidationError)`` (``input_value=...``) and in ``ValidationError.json()`` and
    ``.errors()`` by default. API error rendering must therefore use
    ``exc.errors(include_input=False)``, and models holding these fields should set
    ``model_config = ConfigDict(hide_input_in_errors=True)`` so logged exceptions stay clean.
    In pydantic errors the ``type`` is the error's :attr:`IdentifierError.code`
    (e.g. ``"fodselsnummer_checksum"``) and ``msg`` its message.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Literal

from pydantic import AfterValidator, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat
from stdnum.no import fodselsnummer as _stdnum_fnr
from stdnum.no import orgnr as _stdnum_orgnr

__all__ = [
    "SYNTHETIC_CONTEXT_KEY",
    "BirthDateError",
    "Fodselsnummer",
    "FodselsnummerKind",
    "IdentifierChecksumError",
    "IdentifierError",
    "IdentifierFormatError",
    "Organisasjonsnummer",
    "SyntheticIdentifierError",
    "UnsupportedIdentifierError",
    "allow_synthetic_identifiers",
    "are_synthetic_identifiers_allowed",
    "is_valid_fodselsnummer",
    "is_valid_orgnr",
    "kind_of_fodselsnummer",
    "synthetic_identifiers_allowed",
    "validate_fodselsnummer",
    "validate_orgnr",
]

FodselsnummerKind = Literal["fodselsnummer", "d-nummer", "h-nummer", "synthetic"]

SYNTHETIC_CONTEXT_KEY = "allow_synthetic_identifiers"
"""Key in a pydantic validation context that overrides the synthetic-number switch."""

# Skatteetaten's (Tenor) synthetic numbers add 80 to the month, giving months 81-92.
_SYNTHETIC_MONTH_OFFSET = 80

_FNR = "fødselsnummer"
_ORGNR = "organisasjonsnummer"


# --- errors -----------------------------------------------------------------------------


class IdentifierError(ValueError):
    """An identifier was refused. The message says why and never contains the number.

    ``code`` is a stable machine-readable reason (it becomes the pydantic error ``type``).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code

    @property
    def message(self) -> str:
        """The human-readable reason."""
        return str(self.args[0])


class IdentifierFormatError(IdentifierError):
    """Wrong number of digits, or characters other than digits (and spaces)."""


class IdentifierChecksumError(IdentifierError):
    """The check digit(s) do not match the other digits - typically a typing error."""


class BirthDateError(IdentifierError):
    """The date of birth in a fødselsnummer is not a real date, or lies in the future."""


class SyntheticIdentifierError(IdentifierError):
    """A synthetic test number was given where synthetic numbers are not allowed."""


class UnsupportedIdentifierError(IdentifierError):
    """A well-formed number of a kind not accepted here (FH-nummer)."""


def _format_error(kind: str, code: str, number: str, length: int) -> IdentifierFormatError:
    if number and number.isascii() and number.isdigit():
        detail = f"must be {length} digits (got {len(number)})"
    elif not number:
        detail = f"must be {length} digits (got none)"
    else:
        detail = f"must be {length} digits, and it contains characters other than digits"
    return IdentifierFormatError(code, f"Not a valid {kind}: {detail}")


# --- synthetic switch -------------------------------------------------------------------

_synthetic_default = False
_synthetic_allowed: ContextVar[bool | None] = ContextVar(
    "arkiv5_allow_synthetic_identifiers", default=None
)


def allow_synthetic_identifiers(enabled: bool) -> None:
    """Allow (or forbid again) synthetic test fødselsnummer in the whole process.

    Only for test environments; a ``with synthetic_identifiers_allowed(...)`` block still
    overrides it locally.
    """
    global _synthetic_default
    _synthetic_default = bool(enabled)


def are_synthetic_identifiers_allowed() -> bool:
    """Whether synthetic test fødselsnummer are allowed here (override, else the default)."""
    override = _synthetic_allowed.get()
    return _synthetic_default if override is None else override


@contextmanager
def synthetic_identifiers_allowed(enabled: bool | None = True) -> Iterator[None]:
    """Override the default inside a ``with`` block (None: no override), then restore it."""
    token = _synthetic_allowed.set(None if enabled is None else bool(enabled))
    try:
        yield
    finally:
        _synthetic_allowed.reset(token)


# --- fødselsnummer ----------------------------------------------------------------------


def _birth_date(number: str) -> datetime.date:
    """The date of birth of a (de-synthesised) number, or BirthDateError."""
    try:
        born = _stdnum_fnr.get_birth_date(number)
    except InvalidComponent:
        # stdnum: impossible day/month, or an individual number that fits no birth century
        # for that year - both mean the digits do not give a real date of birth.
        raise BirthDateError(
            "fodselsnummer_birth_date", f"Not a valid {_FNR}: the date of birth is not a real date"
        ) from None
    if born > datetime.date.today():
        raise BirthDateError(
            "fodselsnummer_birth_date", f"Not a valid {_FNR}: the date of birth is in the future"
        )
    return born


def _check_fodselsnummer(value: object, *, allow_synthetic: bool) -> tuple[str, FodselsnummerKind]:
    """Validate and classify; returns (bare digits, kind) or raises an IdentifierError."""
    if not isinstance(value, str):
        raise IdentifierFormatError(
            "fodselsnummer_format", f"Not a valid {_FNR}: must be given as a string of 11 digits"
        )
    number = _stdnum_fnr.compact(value.strip())
    try:
        _stdnum_fnr.validate(number)
    except InvalidFormat:  # includes InvalidLength
        raise _format_error(_FNR, "fodselsnummer_format", number, 11) from None
    except InvalidChecksum:
        raise IdentifierChecksumError(
            "fodselsnummer_checksum", f"Not a valid {_FNR}: the check digits do not match"
        ) from None
    except InvalidComponent:
        # Check digits are fine (stdnum checks them first); the date part is not. Work out
        # whether it is a synthetic or FH number, or just an impossible date.
        pass
    else:
        if int(number[0:2]) > 40:
            return number, "d-nummer"
        if int(number[2:4]) > 40:
            return number, "h-nummer"
        return number, "fodselsnummer"

    day, month = int(number[0:2]), int(number[2:4])
    if _SYNTHETIC_MONTH_OFFSET < month <= _SYNTHETIC_MONTH_OFFSET + 12:
        if not allow_synthetic:
            raise SyntheticIdentifierError(
                "fodselsnummer_synthetic",
                f"Not a valid {_FNR}: synthetic test numbers (month + 80) are only accepted "
                "in test environments",
            )
        real_month = month - _SYNTHETIC_MONTH_OFFSET
        _birth_date(f"{number[0:2]}{real_month:02d}{number[4:]}")
        return number, "synthetic"
    if day >= 80:
        raise UnsupportedIdentifierError(
            "fodselsnummer_fh_number",
            f"Not a valid {_FNR}: FH-numbers (felles hjelpenummer, first digit 8 or 9) "
            "are not accepted",
        )
    _birth_date(number)
    # stdnum refused the date part, so _birth_date must have raised; keep a clear error in
    # case a future stdnum refuses something more.
    raise BirthDateError(
        "fodselsnummer_birth_date", f"Not a valid {_FNR}: the date of birth is not a real date"
    )


def validate_fodselsnummer(value: str, *, allow_synthetic: bool | None = None) -> str:
    """Validate a fødselsnummer or D-nummer; returns it as 11 bare digits.

    Spaces (and the separators ``-`` and ``:``) are removed first. Synthetic test numbers
    are accepted if ``allow_synthetic`` is true or, when it is ``None``, if the context's
    switch allows them. Raises an :class:`IdentifierError` subclass (a ``ValueError``).
    """
    allowed = are_synthetic_identifiers_allowed() if allow_synthetic is None else allow_synthetic
    number, _ = _check_fodselsnummer(value, allow_synthetic=allowed)
    return number


def is_valid_fodselsnummer(value: str, *, allow_synthetic: bool | None = None) -> bool:
    """Whether :func:`validate_fodselsnummer` would accept the value."""
    try:
        validate_fodselsnummer(value, allow_synthetic=allow_synthetic)
    except IdentifierError:
        return False
    return True


def kind_of_fodselsnummer(value: str) -> FodselsnummerKind:
    """Which kind of number this is: fødselsnummer, D-nummer, H-nummer or synthetic.

    Raises an :class:`IdentifierError` if the number is not valid. A synthetic number is
    reported as ``"synthetic"`` whatever the switch says (so callers can detect test data);
    use :func:`validate_fodselsnummer` to decide whether to accept it.
    """
    _, kind = _check_fodselsnummer(value, allow_synthetic=True)
    return kind


# --- organisasjonsnummer ----------------------------------------------------------------


def validate_orgnr(value: str) -> str:
    """Validate an organisasjonsnummer; returns it as 9 bare digits (spaces removed).

    Raises an :class:`IdentifierError` subclass (a ``ValueError``).
    """
    if not isinstance(value, str):
        raise IdentifierFormatError(
            "orgnr_format", f"Not a valid {_ORGNR}: must be given as a string of 9 digits"
        )
    number = _stdnum_orgnr.compact(value)
    try:
        return _stdnum_orgnr.validate(number)
    except InvalidFormat:  # includes InvalidLength
        raise _format_error(_ORGNR, "orgnr_format", number, 9) from None
    except InvalidChecksum:
        raise IdentifierChecksumError(
            "orgnr_checksum", f"Not a valid {_ORGNR}: the check digit does not match"
        ) from None


def is_valid_orgnr(value: str) -> bool:
    """Whether :func:`validate_orgnr` would accept the value."""
    try:
        validate_orgnr(value)
    except IdentifierError:
        return False
    return True


# --- pydantic types ---------------------------------------------------------------------


def _pydantic_fodselsnummer(value: str, info: ValidationInfo) -> str:
    allow: bool | None = None
    if isinstance(info.context, Mapping) and SYNTHETIC_CONTEXT_KEY in info.context:
        allow = bool(info.context[SYNTHETIC_CONTEXT_KEY])
    try:
        return validate_fodselsnummer(value, allow_synthetic=allow)
    except IdentifierError as exc:
        # A custom error gives a stable error type and a message without pydantic's
        # "Value error, " prefix; the message is ours, so it holds no digits.
        raise PydanticCustomError(exc.code, exc.message) from None


def _pydantic_orgnr(value: str) -> str:
    try:
        return validate_orgnr(value)
    except IdentifierError as exc:
        raise PydanticCustomError(exc.code, exc.message) from None


Fodselsnummer = Annotated[
    str,
    AfterValidator(_pydantic_fodselsnummer),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Norwegian fødselsnummer or D-nummer, 11 digits (spaces are removed)",
        }
    ),
]
"""A fødselsnummer or D-nummer, validated and normalised to 11 digits."""

Organisasjonsnummer = Annotated[
    str,
    AfterValidator(_pydantic_orgnr),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Norwegian organisasjonsnummer, 9 digits (spaces are removed)",
        }
    ),
]
"""An organisasjonsnummer, validated and normalised to 9 digits."""
