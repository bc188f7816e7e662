"""Settings of the journal service, read from `JOURNAL_*` environment variables."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings

# scheme://host[:port], as a browser sends it in `Origin`.
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


class JournalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="JOURNAL_", extra="ignore")

    service_name: ClassVar[str] = "journal"

    blob_dir: Path | None = Field(
        default=None, description="Folder of the content-addressed document store; default <var_dir>/blobs"
    )
    max_upload_bytes: int = Field(
        default=200 * 1024 * 1024, ge=1, description="Largest document accepted in one upload (bytes)"
    )
    noark5_bulk_limit_bytes: int = Field(
        default=150 * 1024 * 1024, ge=1,
        description="The Noark 5 interface's bulkgrense: the largest file it takes in one POST (bytes); a "
                    "larger one is refused with 403 and goes in chunks, up to max_upload_bytes",
    )

    @property
    def noark5_bulkgrense(self) -> int:
        """The single POST's limit as the interface announces it: never above the upload limit itself."""
        return min(self.noark5_bulk_limit_bytes, self.max_upload_bytes)
    blob_sweep_interval_hours: float = Field(
        default=24, ge=0, description="How often orphan blobs and unfinished uploads are swept; 0 turns it off"
    )
    blob_orphan_grace_hours: float = Field(
        default=24, ge=1, description="A blob no dokumentobjekt names is removed only when older than this"
    )
    uttrekk_runner: bool = Field(
        default=True, description="Run arkivuttrekk jobs asked for through the API in this process (every replica may; a job runs once)"
    )
    uttrekk_keep_days: int = Field(
        default=30, ge=1, le=3650,
        description="Days a finished arkivuttrekk's tar and reports are kept for download; then they are removed and the job is marked expired"
    )
    max_documents_per_registration: int = Field(
        default=20, ge=1, le=50, description="Most documents sent with one journalpost in a multipart registration"
    )
    default_arkiv_tittel: str = Field(
        default="Arkiv", description="Title of the arkiv created on first use when none is named"
    )
    default_arkivdel_tittel: str = Field(
        default="Sakarkiv", description="Title of the default arkivdel created on first use"
    )
    public_journal_types: list[str] = Field(
        default=["I", "U", "N"], description="Journalposttype codes the public journal lists"
    )
    public_journal_statuses: list[str] = Field(
        default=["J", "E", "A"], description="Journalstatus codes the public journal lists"
    )
    client_case_tilgangsrestriksjon: str = Field(
        default="KL", description="Access code put on every client case (klientsak)"
    )
    client_case_skjermingshjemmel: str = Field(
        default="Offl. § 13 jf. fvl. § 13 første ledd nr. 1",
        description="Legal basis put on every client case",
    )
    restanse_default_days: int = Field(
        default=21, ge=0, description="Days after journaldato an incoming document is due when no forfallsdato is set"
    )

    noark5_token_endpoint: str | None = Field(
        default=None,
        description="The access service's token endpoint as Noark 5 clients reach it (advertised by the Noark 5 "
                    "root); default: derived from the JWKS URL",
    )
    noark5_cors_origins: list[str] = Field(
        default=[],
        description="Origins (scheme://host[:port]) whose browser applications may call the Noark 5 interface "
                    "across origins (CORS: preflight answered, ETag and Location readable); '*' for any origin; "
                    "default none: no CORS header is sent",
    )

    @field_validator("noark5_cors_origins")
    @classmethod
    def _origins_only(cls, origins: list[str]) -> list[str]:
        """An origin is compared as the browser sends it: scheme, host and port, no path or slash."""
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin such as https://arkiv.example.no (no path)")
        return origins

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.var_dir / "blobs"
