"""Noark 5 v5.0 code lists (kodelister) as Python enums.

Every code list in ``reference/noark5-kodelister.md`` (a verbatim copy of the project's
Noark 5 reference notes; sources in ``reference/SOURCES.txt``) is one :class:`CodeList`
subclass here. The lists, codes and names are those of the REST interface standard
(tjenestegrensesnitt 1.1), which exchanges a code as ``{"kode": "J", "kodenavn": "Journalført"}``.

A member *is* its code: ``CodeList`` is a ``str`` enum whose value is the ``kode``, so a
pydantic field annotated ``Journalstatus`` accepts ``"J"`` and serialises to ``"J"``, and the
member compares equal to ``"J"``. The member also carries the ``kodenavn`` and the spec's
remark (``merknad``, or ``None``)::

    >>> Journalstatus.J.kode, Journalstatus.J.kodenavn
    ('J', 'Journalført')
    >>> Journalstatus.from_kodenavn("Journalført") is Journalstatus.J
    True
    >>> Journalstatus.J.to_api()
    {'kode': 'J', 'kodenavn': 'Journalført'}

The three forms a code appears in:

* **database / events / pydantic fields** – the bare code, ``"J"``;
* **REST API** – ``{"kode": ..., "kodenavn": ...}``: :meth:`CodeList.to_api`,
  :meth:`CodeList.as_api`, :meth:`CodeList.from_api`;
* **extraction (arkivuttrekk XML)** – the element holds the *name*, e.g.
  ``<journalstatus>Journalført</journalstatus>``: :attr:`CodeList.kodenavn` and
  :meth:`CodeList.from_kodenavn`.

Member names are the code where the code is a valid Python identifier; the only exceptions
are the offentlighetsloven codes of :class:`Tilgangsrestriksjon` (``"5"``, ``"5a"``, ``"6"``,
``"11"``), named ``OFFL_5``, ``OFFL_5A``, ``OFFL_6`` and ``OFFL_11``. Always treat
:attr:`CodeList.kode` as authoritative, never the member name.

The standard allows an archive to add its own values (relation ``metadata/ny-<liste>/``);
these enums hold only the standard's values.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar, Self

__all__ = [
    "CODE_LISTS",
    "NOARK5_METADATA_RELATION_BASE",
    "Arkivdelstatus",
    "Arkivstatus",
    "Avskrivningsmaate",
    "CodeList",
    "Dokumentmedium",
    "Dokumentstatus",
    "Dokumenttype",
    "Graderingskode",
    "Journalposttype",
    "Journalstatus",
    "Korrespondanseparttype",
    "PartRolle",
    "Saksstatus",
    "SkjermingDokument",
    "SkjermingMetadata",
    "Slettingstype",
    "Tilgangsrestriksjon",
    "TilknyttetRegistreringSom",
    "Variantformat",
]

NOARK5_METADATA_RELATION_BASE = "https://rel.arkivverket.no/noark5/v5/api/metadata/"
"""Prefix of every code list's relation URL; the list name follows, then a slash."""


class _CodeAttributes:
    """What every code carries besides its value (declared outside the Enum, where a type
    checker would take an annotation for a member)."""

    kodenavn: str
    merknad: str | None


class CodeList(str, _CodeAttributes, Enum):
    """Base class of the Noark 5 code lists.

    Subclasses declare each member as ``CODE = "kode", "kodenavn"`` or
    ``CODE = "kode", "kodenavn", "merknad"`` and pass the list's metadata id and
    relation name as class keywords::

        class Journalstatus(CodeList, noark_id="M053", list_name="journalstatus"):
            J = "J", "Journalført"
    """

    # Set per list by __init_subclass__ (ClassVar annotations do not become members).
    noark_id: ClassVar[str]
    """The metadata id in the Noark 5 metadata catalogue, e.g. ``"M053"``."""
    list_name: ClassVar[str]
    """The list's name in its relation URL, e.g. ``"journalstatus"``."""
    relation: ClassVar[str]
    """The list's relation URL in the REST interface standard."""

    _value_: str

    def __new__(cls, kode: str, kodenavn: str, merknad: str | None = None) -> Self:
        member = str.__new__(cls, kode)
        member._value_ = kode
        member.kodenavn = kodenavn
        member.merknad = merknad
        return member

    def __init_subclass__(cls, *, noark_id: str, list_name: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.noark_id = noark_id
        cls.list_name = list_name
        cls.relation = f"{NOARK5_METADATA_RELATION_BASE}{list_name}/"

    # Behave like the plain code in str() and f-strings (as StrEnum does), so a member can
    # go wherever the code string is expected without ".value".
    __str__ = str.__str__
    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)

    @property
    def kode(self) -> str:
        """The code, e.g. ``"J"`` (the same as the member's value)."""
        return self._value_

    @classmethod
    def of(cls, kode: str) -> Self:
        """The member with this code, as ``cls(kode)`` (raises ``ValueError`` naming the valid codes)."""
        member = cls._value2member_map_.get(kode)
        return member if isinstance(member, cls) else cls._missing_(kode)

    @classmethod
    def _missing_(cls, value: object) -> Self:
        # Replaces Enum's terse "'X' is not a valid Journalstatus" with the list and its codes.
        raise ValueError(
            f"{value!r} is not a code in the Noark 5 code list {cls.list_name} "
            f"({cls.noark_id}); valid codes: {cls._describe()}"
        )

    @classmethod
    def _describe(cls) -> str:
        return ", ".join(f"{m.kode} ({m.kodenavn})" for m in cls)

    @classmethod
    def from_kodenavn(cls, kodenavn: str) -> Self:
        """The member whose name is ``kodenavn`` (as in extraction XML), e.g. ``"Journalført"``.

        The name must match exactly, apart from surrounding whitespace (XML text nodes may
        carry line breaks). Raises ``ValueError`` for an unknown name.
        """
        wanted = kodenavn.strip()
        for member in cls:
            if member.kodenavn == wanted:
                return member
        raise ValueError(
            f"{kodenavn!r} is not a kodenavn in the Noark 5 code list {cls.list_name} "
            f"({cls.noark_id}); valid names: {', '.join(m.kodenavn for m in cls)}"
        )

    def to_api(self) -> dict[str, str]:
        """The REST form, ``{"kode": "J", "kodenavn": "Journalført"}``."""
        return {"kode": self.kode, "kodenavn": self.kodenavn}

    @classmethod
    def as_api(cls, value: str) -> dict[str, str]:
        """The REST form of a code or member: ``Journalstatus.as_api("J")``."""
        return cls.of(value).to_api()

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """The member for a REST object ``{"kode": ..., "kodenavn": ...}``.

        ``kodenavn`` may be left out (clients often send only the code); when given it must
        be the code's name, so a client cannot send a code and a contradicting name.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("kode"), str):
            # ValueError, not TypeError: this is bad client input, which callers catch as such.
            raise ValueError(  # noqa: TRY004
                f"a {cls.list_name} value must be an object with a string 'kode'"
            )
        member = cls.of(data["kode"])
        kodenavn = data.get("kodenavn")
        if kodenavn is not None and kodenavn != member.kodenavn:
            raise ValueError(
                f"kodenavn {kodenavn!r} does not match kode {member.kode!r} in {cls.list_name} "
                f"(expected {member.kodenavn!r})"
            )
        return member


class Journalstatus(CodeList, noark_id="M053", list_name="journalstatus"):
    """journalstatus (M053), used on journalpost.

    Obligatory in the standard: Journalført, Ekspedert, Arkivert, Utgår. Only a journalpost
    with status R (Reservert dokument) may be deleted (tjenestegrensesnitt kap. 6).

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/journalstatus/
    """

    J = "J", "Journalført"
    F = "F", "Ferdigstilt fra saksbehandler"
    G = "G", "Godkjent av leder"
    E = "E", "Ekspedert"
    A = "A", "Arkivert"
    U = "U", "Utgår"
    M = "M", "Midlertidig registrering av innkommet dokument", "Anbefalt"
    S = (
        "S",
        "Saksbehandler har registrert innkommet dokument",
        "Anbefalt. Dette gjelder hovedsakelig e-post",
    )
    R = (
        "R",
        "Reservert dokument",
        "Reservert dokument, dvs. egenprodusert dokument er under arbeid.",
    )


class Journalposttype(CodeList, noark_id="M082", list_name="journalposttype"):
    """journalposttype (M082), used on journalpost.

    All five values are obligatory in the standard.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/journalposttype/
    """

    I = "I", "Inngående dokument"
    U = "U", "Utgående dokument"
    N = "N", "Organinternt dokument for oppfølging"
    X = "X", "Organinternt dokument uten oppfølging"
    S = "S", "Saksframlegg"


class Saksstatus(CodeList, noark_id="M052", list_name="saksstatus"):
    """saksstatus (M052), used on saksmappe.

    Obligatory in the standard: Under behandling, Avsluttet, Utgår; the API adds R/S/P/F.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/saksstatus/
    """

    B = "B", "Under behandling"
    A = "A", "Avsluttet"
    U = "U", "Utgår"
    R = "R", "Opprettet av saksbehandler", "anbefalt"
    S = "S", "Avsluttet av saksbehandler", "anbefalt"
    P = "P", "Unntatt prosesstyring", "anbefalt"
    F = "F", "Ferdig fra saksbehandler"


class Korrespondanseparttype(CodeList, noark_id="M087", list_name="korrespondanseparttype"):
    """korrespondanseparttype (M087), used on korrespondansepart.

    IK (Intern kopimottaker) and IS (Medavsender) are in the API list but not among the
    standard's obligatory values.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/korrespondanseparttype/
    """

    EA = "EA", "Avsender"
    EM = "EM", "Mottaker"
    EK = "EK", "Kopimottaker"
    GM = "GM", "Gruppemottaker"
    IA = "IA", "Intern avsender"
    IM = "IM", "Intern mottaker"
    IK = "IK", "Intern kopimottaker"
    IS = "IS", "Medavsender"


class Avskrivningsmaate(CodeList, noark_id="M619", list_name="avskrivningsmaate"):
    """avskrivningsmaate (M619), used on avskrivning.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/avskrivningsmaate/
    """

    BU = "BU", "Besvart med brev"
    BE = "BE", "Besvart med e-post"
    TLF = "TLF", "Besvart på telefon"
    TE = "TE", "Tatt til etterretning"
    TO = "TO", "Tatt til orientering"
    BN = "BN", "Besvart med notat"
    SA = "SA", "Saken ble avsluttet"


class Tilgangsrestriksjon(CodeList, noark_id="M500", list_name="tilgangsrestriksjon"):
    """tilgangsrestriksjon (M500), used on skjerming.

    Skjerming applies to arkivdel, klasse, mappe, registrering and dokumentbeskrivelse. The
    standard itself has only «Unntatt offentlighet» (obligatory); these are the API's codes.
    The § numbers in the names are those of the old offentlighetsloven (1970), not of
    offentleglova (2006), so an archive will likely add its own codes via
    ``metadata/ny-tilgangsrestriksjon/``.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/tilgangsrestriksjon/
    """

    B = "B", "Begrenset etter sikkerhetsinstruksen"
    K = "K", "Konfidensielt etter sikkerhetsinstruksen"
    H = "H", "Hemmelig etter sikkerhetsinstruksen"
    F = "F", "Fortrolig etter beskyttelsesinstruksen"
    SF = "SF", "Strengt fortrolig etter beskyttelsesinstruksen"
    OFFL_5 = "5", "Unntatt etter offentlighetsloven § 5"
    OFFL_5A = "5a", "Unntatt etter offentlighetsloven § 5a"
    OFFL_6 = "6", "Unntatt etter offentlighetsloven § 6"
    OFFL_11 = "11", "Unntatt etter offentlighetsloven § 11"
    XX = "XX", "Midlertidig sperret"
    P = "P", "Personalsaker"
    KL = "KL", "Klientsaker"


class Dokumentstatus(CodeList, noark_id="M054", list_name="dokumentstatus"):
    """dokumentstatus (M054), used on dokumentbeskrivelse.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/dokumentstatus/
    """

    B = "B", "Dokumentet er under redigering"
    F = "F", "Dokumentet er ferdigstilt"


class Variantformat(CodeList, noark_id="M700", list_name="variantformat"):
    """variantformat (M700), used on dokumentobjekt.

    All three values are obligatory in the standard and may not be changed.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/variantformat/
    """

    P = "P", "Produksjonsformat"
    A = "A", "Arkivformat"
    O = "O", "Dokument hvor deler av innholdet er skjermet"


class TilknyttetRegistreringSom(CodeList, noark_id="M217", list_name="tilknyttetregistreringsom"):
    """tilknyttetregistreringsom (M217), used on dokumentbeskrivelse.

    The JSON attribute and XML element are ``tilknyttetRegistreringSom``; the relation name
    is lower case.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/tilknyttetregistreringsom/
    """

    H = "H", "Hoveddokument"
    V = "V", "Vedlegg"


class SkjermingDokument(CodeList, noark_id="M503", list_name="skjermingdokument"):
    """skjermingdokument (M503), used on skjerming.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/skjermingdokument/
    """

    H = "H", "Skjerming av hele dokumentet"
    D = "D", "Skjerming av deler av dokumentet"


class SkjermingMetadata(CodeList, noark_id="M502", list_name="skjermingmetadata"):
    """skjermingmetadata (M502), used on skjerming.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/skjermingmetadata/
    """

    KID = "KID", "Skjerming klasseID"
    TKL = "TKL", "Skjerming tittel klasse"
    TM1 = "TM1", "Skjerming tittel mappe - unntatt første linje"
    TMO = "TMO", "Skjerming tittel mappe - utvalgte ord"
    NPS = "NPS", "Skjerming navn part i sak"
    TR1 = "TR1", "Skjerming tittel registrering - unntatt første linje"
    TRO = "TRO", "Skjerming tittel registrering - utvalgte ord"
    NA = "NA", "Skjerming navn avsender"
    NM = "NM", "Skjerming navn mottaker"
    TD = "TD", "Skjerming tittel dokumentbeskrivelse"
    MT = "MT", "Skjerming merknadstekst"
    M = "M", "Midlertidig skjerming"


class Dokumenttype(CodeList, noark_id="M083", list_name="dokumenttype"):
    """dokumenttype (M083), used on dokumentbeskrivelse.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/dokumenttype/
    """

    B = "B", "Brev", "Valgfri"
    R = "R", "Rundskriv", "Valgfri"
    F = "F", "Faktura", "Valgfri"
    O = "O", "Ordrebekreftelse", "Valgfri"


class PartRolle(CodeList, noark_id="M303", list_name="partrolle"):
    """partrolle (M303), used on part.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/partrolle/
    """

    KLI = "KLI", "Klient", "Valgfri"
    PAA = "PAA", "Pårørende", "Valgfri"
    FORM = "FORM", "Formynder", "Valgfri"
    ADV = "ADV", "Advokat", "Valgfri"


class Dokumentmedium(CodeList, noark_id="M300", list_name="dokumentmedium"):
    """dokumentmedium (M300), used on arkiv, arkivdel, mappe and further down.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/dokumentmedium/
    """

    F = "F", "Fysisk medium"
    E = "E", "Elektronisk arkiv"
    B = "B", "Blandet fysisk og elektronisk arkiv"


class Arkivstatus(CodeList, noark_id="M050", list_name="arkivstatus"):
    """arkivstatus (M050), used on arkiv.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/arkivstatus/
    """

    O = "O", "Opprettet"
    A = "A", "Avsluttet"


class Arkivdelstatus(CodeList, noark_id="M051", list_name="arkivdelstatus"):
    """arkivdelstatus (M051), used on arkivdel.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/arkivdelstatus/
    """

    A = "A", "Aktiv periode"
    O = "O", "Overlappingsperiode"
    P = "P", "Avsluttet periode"
    U = "U", "Uaktuelle mapper"


class Graderingskode(CodeList, noark_id="M506", list_name="graderingskode"):
    """graderingskode (M506), used on gradering.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/graderingskode/
    """

    SH = "SH", "Strengt hemmelig (sikkerhetsgrad)"
    H = "H", "Hemmelig (sikkerhetsgrad)"
    K = "K", "Konfidensielt (sikkerhetsgrad)"
    B = "B", "Begrenset (sikkerhetsgrad)"
    F = "F", "Fortrolig (beskyttelsesgrad)"
    SF = "SF", "Strengt fortrolig (beskyttelsesgrad)"


class Slettingstype(CodeList, noark_id="M089", list_name="slettingstype"):
    """slettingstype (M089), used on sletting.

    Relation: https://rel.arkivverket.no/noark5/v5/api/metadata/slettingstype/
    """

    SP = "SP", "Sletting av produksjonsformat"
    SV = "SV", "Sletting av tidligere versjon"
    SS = "SS", "Sletting av variant med sladdet informasjon"
    SA = "SA", "Sletting av hele innholdet i arkivdelen"


CODE_LISTS: dict[str, type[CodeList]] = {
    code_list.list_name: code_list
    for code_list in (
        Journalstatus,
        Journalposttype,
        Saksstatus,
        Korrespondanseparttype,
        Avskrivningsmaate,
        Tilgangsrestriksjon,
        Dokumentstatus,
        Variantformat,
        TilknyttetRegistreringSom,
        SkjermingDokument,
        SkjermingMetadata,
        Dokumenttype,
        PartRolle,
        Dokumentmedium,
        Arkivstatus,
        Arkivdelstatus,
        Graderingskode,
        Slettingstype,
    )
}
"""Every code list, keyed by the list name in its relation URL (e.g. ``"journalstatus"``)."""
