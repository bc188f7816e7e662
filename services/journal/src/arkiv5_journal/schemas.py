"""The API's request and response shapes, with Noark 5 element names on the wire.

Attributes are snake_case in Python and the standard's camelCase in JSON (`offentligTittel`,
`mottattDato`, `systemID`). A code is accepted as the bare code ("I") or as the REST object
`{"kode": "I", "kodenavn": ...}` and always answered as the object.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator
from pydantic.alias_generators import to_camel

from arkiv5_contracts.codelists import (
    Avskrivningsmaate,
    CodeList,
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    PartRolle,
    Saksstatus,
    SkjermingMetadata,
    Tilgangsrestriksjon,
    TilknyttetRegistreringSom,
    Variantformat,
)
from arkiv5_contracts.identifiers import Fodselsnummer, Organisasjonsnummer
from arkiv5_kit.limits import Instant

C = TypeVar("C", bound=CodeList)


def _code_validator(code_list: type[CodeList]):  # type: ignore[no-untyped-def]
    def parse(value: Any) -> Any:
        if isinstance(value, dict):
            return code_list.from_api(value)
        if isinstance(value, str):
            return code_list(value)
        return value

    return parse


def Code(code_list: type[C]) -> Any:  # noqa: N802 - reads as a type in annotations
    """A code of `code_list`: accepted as "J" or {"kode": "J"}, answered as {"kode", "kodenavn"}."""
    return Annotated[code_list, BeforeValidator(_code_validator(code_list)),
                     PlainSerializer(lambda member: member.to_api(), return_type=dict)]


_NOARK_ACCESS_CODES = {code.kode: code for code in Tilgangsrestriksjon}
AccessCode = Annotated[  # a Noark code or a local one the access service published (checked by the journal)
    str, StringConstraints(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9æøåÆØÅ._-]+$"),
    BeforeValidator(lambda value: value.get("kode") if isinstance(value, dict) else value),
    PlainSerializer(lambda code: _NOARK_ACCESS_CODES[code].to_api() if code in _NOARK_ACCESS_CODES  # local: bare
                    else {"kode": code}, return_type=dict),
    Field(description="tilgangsrestriksjon: a Noark 5 code (M500) or a local code from the access service"),
]


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, hide_input_in_errors=True, extra="forbid",
        serialize_by_alias=True,
    )


SystemID = Annotated[UUID, Field(alias="systemID")]


# --- skjerming -------------------------------------------------------------------------


class SkjermingIn(ApiModel):
    tilgangsrestriksjon: AccessCode
    skjermingshjemmel: str = Field(min_length=1, max_length=500)
    skjerming_metadata: list[Code(SkjermingMetadata)] = Field(  # type: ignore[valid-type]
        min_length=1, description="Which fields are screened"
    )
    skjerming_opphoerer_dato: date | None = None


class SkjermingOut(ApiModel):
    tilgangsrestriksjon: AccessCode
    skjermingshjemmel: str
    skjerming_metadata: list[Code(SkjermingMetadata)]  # type: ignore[valid-type]
    skjerming_opphoerer_dato: date | None = None


# --- arkivstruktur ---------------------------------------------------------------------


class KlasseIn(ApiModel):
    klasse_id: str = Field(alias="klasseID", min_length=1, max_length=100)
    tittel: str = Field(min_length=1, max_length=500)


class KlasseOut(ApiModel):
    system_id: SystemID
    klasse_id: str = Field(alias="klasseID")
    tittel: str


# --- korrespondansepart ----------------------------------------------------------------


class KorrespondansepartIn(ApiModel):
    """A sender or recipient: a person (fødselsnummer), an organisation (orgnr) or neither."""

    korrespondanseparttype: Code(Korrespondanseparttype)  # type: ignore[valid-type]
    korrespondansepart_navn: str = Field(min_length=1, max_length=500)
    foedselsnummer: Fodselsnummer | None = None
    organisasjonsnummer: Organisasjonsnummer | None = None
    postadresse: list[Annotated[str, Field(max_length=255)]] = Field(default_factory=list, max_length=5)
    postnummer: str | None = Field(default=None, pattern=r"^[0-9A-Za-z -]{2,10}$")
    poststed: str | None = Field(default=None, max_length=100)
    land: str | None = Field(default=None, max_length=100)
    epostadresse: str | None = Field(default=None, max_length=255)
    telefonnummer: str | None = Field(default=None, max_length=50)
    kontaktperson: str | None = Field(default=None, max_length=255)
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None

    @model_validator(mode="after")
    def _person_or_organisation(self) -> KorrespondansepartIn:
        if self.foedselsnummer and self.organisasjonsnummer:
            raise ValueError("a korrespondansepart is a person (foedselsnummer) or an organisation "
                             "(organisasjonsnummer), not both")
        return self


class KorrespondansepartOut(ApiModel):
    system_id: SystemID
    korrespondanseparttype: Code(Korrespondanseparttype)  # type: ignore[valid-type]
    korrespondansepart_navn: str
    foedselsnummer: str | None = None
    organisasjonsnummer: str | None = None
    postadresse: list[str] = []
    postnummer: str | None = None
    poststed: str | None = None
    land: str | None = None
    epostadresse: str | None = None
    telefonnummer: str | None = None
    kontaktperson: str | None = None
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None
    forsendelse_status: str | None = None
    forsendelse_feilkode: str | None = None
    forsendelse_feil: str | None = None


# --- saksmappe -------------------------------------------------------------------------


class KlientIn(ApiModel):
    """The client of a client case: the sakspart the case is classified by (always screened)."""

    part_navn: str = Field(min_length=1, max_length=500)
    foedselsnummer: Fodselsnummer


class SaksmappeCreate(ApiModel):
    tittel: str = Field(min_length=1, max_length=2000)
    skjermede_ord: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list,
        description="Words of the title replaced by ***** in offentligTittel (persons' names, ...)",
    )
    offentlig_tittel: str | None = Field(
        default=None, max_length=2000, description="Given explicitly instead of skjermedeOrd"
    )
    administrativ_enhet: UUID
    saksansvarlig: UUID | None = None
    klasse: str | None = Field(default=None, max_length=100, description="klasseID (arkivkode), e.g. F47")
    arkivdel: UUID | None = None
    saksdato: date | None = None
    skjerming: SkjermingIn | None = None
    klient: KlientIn | None = None


class PartOut(ApiModel):
    system_id: SystemID
    part_navn: str
    part_rolle: Code(PartRolle)  # type: ignore[valid-type]
    foedselsnummer: str | None = None


class SaksmappeOut(ApiModel):
    system_id: SystemID
    mappe_id: str = Field(alias="mappeID")
    saksaar: int
    sakssekvensnummer: int
    saksdato: date
    tittel: str
    offentlig_tittel: str
    administrativ_enhet: UUID
    saksansvarlig: UUID | None
    saksstatus: Code(Saksstatus)  # type: ignore[valid-type]
    klasse: str | None = None
    sekundaerklassifikasjon: str | None = None
    avsluttet_dato: date | None = None
    skjerming: SkjermingOut | None = None
    part: list[PartOut] = []
    merknad: list[MerknadOut] = Field(
        default_factory=list, description="The case's own remarks (in the single-case read only)"
    )
    opprettet_dato: Instant
    opprettet_av: str
    er_skjermet_for_deg: bool = Field(
        default=False, description="True when screened fields were replaced for this caller"
    )


# --- journalpost -----------------------------------------------------------------------


class DokumentIn(ApiModel):
    """A document sent as a file part of the same multipart request as its journalpost."""

    fil: str = Field(min_length=1, max_length=200, description="Name of the form part that holds the file")
    tittel: str | None = Field(
        default=None, min_length=1, max_length=2000,
        description="Default: the journalpost's title for the main document, the file name for attachments",
    )
    dokumenttype: Code(Dokumenttype) | None = None  # type: ignore[valid-type]
    tilknyttet_registrering_som: Code(TilknyttetRegistreringSom) | None = None  # type: ignore[valid-type]
    skanning_kontrollert: bool | None = None
    sjekksum: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$", description="Expected SHA-256 (hex)")


class JournalpostCreate(ApiModel):
    journalposttype: Code(Journalposttype)  # type: ignore[valid-type]
    journalstatus: Code(Journalstatus) | None = None  # type: ignore[valid-type]
    tittel: str = Field(min_length=1, max_length=2000)
    skjermede_ord: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(default_factory=list)
    offentlig_tittel: str | None = Field(default=None, max_length=2000)
    er_vedtak: bool = False
    dokumentets_dato: date | None = None
    mottatt_dato: date | None = None
    sendt_dato: date | None = None
    forfallsdato: date | None = None
    offentlighetsvurdert_dato: date | None = None
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None
    skjerming: SkjermingIn | None = None
    korrespondansepart: list[KorrespondansepartIn] = Field(default_factory=list, max_length=500)
    etterregistrering: bool = Field(
        default=False, description="Back-registration after an outage: the given dates are kept as they are"
    )
    dokumentbeskrivelse: list[DokumentIn] = Field(
        default_factory=list, max_length=50,
        description="Metadata of the documents sent as file parts (multipart/form-data); files not named here "
                    "get the defaults",
    )


class AvskrivningOut(ApiModel):
    system_id: SystemID
    avskrivningsdato: date
    avskrevet_av: str
    avskrivningsmaate: Code(Avskrivningsmaate)  # type: ignore[valid-type]
    referanse_avskrives_av_journalpost: UUID | None = None


class DokumentobjektOut(ApiModel):
    system_id: SystemID
    versjonsnummer: int
    variantformat: Code(Variantformat)  # type: ignore[valid-type]
    format: str
    format_detaljer: str | None = None
    sjekksum: str
    sjekksum_algoritme: str
    filstoerrelse: int
    filnavn: str | None = None
    # The name as the client sent it, when it had to be made safe for filnavn (metadata only).
    originalt_filnavn: str | None = None


class DokumentbeskrivelseOut(ApiModel):
    system_id: SystemID
    dokumentnummer: int
    tittel: str
    dokumenttype: Code(Dokumenttype) | None = None  # type: ignore[valid-type]
    tilknyttet_registrering_som: Code(TilknyttetRegistreringSom)  # type: ignore[valid-type]
    tilknyttet_dato: date
    skanning_kontrollert: bool | None = None
    dokumentobjekt: list[DokumentobjektOut] = []


class MerknadIn(ApiModel):
    merknadstekst: str = Field(min_length=1, max_length=10000)
    merknadstype: str | None = Field(default=None, max_length=255)


class MerknadOut(ApiModel):
    system_id: SystemID
    merknadstekst: str
    merknadstype: str | None = None
    merknadsdato: Instant
    merknad_registrert_av: str


class JournalpostOut(ApiModel):
    system_id: SystemID
    saksmappe: UUID
    mappe_id: str = Field(alias="mappeID")
    journalaar: int
    journalsekvensnummer: int
    journalpostnummer: int
    journalposttype: Code(Journalposttype)  # type: ignore[valid-type]
    journalstatus: Code(Journalstatus)  # type: ignore[valid-type]
    journaldato: date
    tittel: str
    offentlig_tittel: str
    er_vedtak: bool
    dokumentets_dato: date | None = None
    mottatt_dato: date | None = None
    sendt_dato: date | None = None
    forfallsdato: date | None = None
    offentlighetsvurdert_dato: date | None = None
    administrativ_enhet: UUID
    saksbehandler: UUID | None = None
    skjerming: SkjermingOut | None = None
    er_etterregistrert: bool = False
    har_forsendelsesfeil: bool = False
    korrespondansepart: list[KorrespondansepartOut] = []
    avskrivning: list[AvskrivningOut] = []
    merknad: list[MerknadOut] = []
    dokumentbeskrivelse: list[DokumentbeskrivelseOut] = []
    opprettet_dato: Instant
    opprettet_av: str
    er_skjermet_for_deg: bool = False


class StatusChange(ApiModel):
    journalstatus: Code(Journalstatus)  # type: ignore[valid-type]


class AvskrivningIn(ApiModel):
    avskrivningsmaate: Code(Avskrivningsmaate)  # type: ignore[valid-type]
    referanse_avskrives_av_journalpost: UUID | None = None
    avskrivningsdato: date | None = None


class AvsluttSaksmappe(ApiModel):
    saksstatus: Code(Saksstatus) = Saksstatus.A  # type: ignore[valid-type]


class KlientAvslutning(ApiModel):
    """The client whose cases are closed; in the body, so the number is never in a URL or log."""

    foedselsnummer: Fodselsnummer


class FordelingIn(ApiModel):
    saksbehandler: UUID
    administrativ_enhet: UUID | None = None


class FordelingOut(ApiModel):
    fra_saksbehandler: UUID | None
    til_saksbehandler: UUID
    til_administrativ_enhet: UUID | None
    fordelt_at: Instant
    fordelt_av: str


T = TypeVar("T")


class Page(ApiModel, Generic[T]):
    count: int
    results: list[T]


class EndringsloggOut(ApiModel):
    system_id: SystemID
    referanse_arkivenhet: UUID
    arkivenhet_type: str
    referanse_metadata: str
    endret_dato: Instant
    endret_av: str
    tidligere_verdi: str | None
    ny_verdi: str | None


class RestanseOut(ApiModel):
    journalpost: UUID
    saksmappe: UUID
    mappe_id: str = Field(alias="mappeID")
    journalaar: int
    journalsekvensnummer: int
    journalposttype: Code(Journalposttype)  # type: ignore[valid-type]
    offentlig_tittel: str
    journaldato: date
    forfallsdato: date
    dager_over_forfall: int
    saksbehandler: UUID | None
    administrativ_enhet: UUID


class OffentligJournalpost(ApiModel):
    """One line of the public journal: only public values; every screened one replaced."""

    journalaar: int
    journalsekvensnummer: int
    journalpostnummer: int
    mappe_id: str = Field(alias="mappeID")
    saksmappe_offentlig_tittel: str
    journalposttype: Code(Journalposttype)  # type: ignore[valid-type]
    journaldato: date
    dokumentets_dato: date | None
    offentlig_tittel: str
    korrespondansepart: list[str]
    tilgangsrestriksjon: str | None
    skjermingshjemmel: str | None
    administrativ_enhet: UUID
