"""Settings of the conversion service, read from `CONVERSION_*` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings

from .engine.priority import DEFAULT_NICENESS


class ConversionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVERSION_", extra="ignore")

    service_name: ClassVar[str] = "conversion"
    calls_services: ClassVar[bool] = True  # `serve` refuses to start without a client (token URL, id, secret)

    journal_url: str = Field(default="http://127.0.0.1:8001", description="Base URL of the journal service")
    journal_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one call to the journal")

    format_policy_file: Path | None = Field(
        default=None, description="The operator's own format policy (YAML); default: the built-in policy"
    )

    soffice_path: str = Field(default="soffice", description="LibreOffice's soffice executable")
    uno_python: str = Field(
        default="/usr/bin/python3", description="The interpreter that has LibreOffice's `uno` module (python3-uno)"
    )
    ghostscript_path: str = Field(default="gs", description="Ghostscript's executable")
    listeners: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="Persistent LibreOffice listeners (default: one per core)",
    )
    listener_spares: int = Field(
        default=1,
        ge=0,
        le=8,
        description="LibreOffice listeners kept started beyond `listeners`: one takes the job when a listener crashes "
        "or is restarted, so no job waits for LibreOffice to start (each costs its memory, ~200 MB)",
    )
    listener_restart_after: int = Field(default=100, ge=1, description="Restart a listener after this many jobs")
    listener_start_timeout_s: float = Field(default=60.0, gt=0)

    validator: Literal["auto", "verapdf", "basic"] = Field(
        default="auto",
        description="PDF/A validator: verapdf (required: without it every PDF output fails), basic (structure and "
        "XMP claim only; an existing PDF/A is never kept), auto (veraPDF when installed, else basic)",
    )
    java_path: str = Field(default="java", description="Java (17+) for veraPDF")
    verapdf_classpath: str | None = Field(
        default=None,
        description="veraPDF's jars as a Java class path; default: the cache of `scripts/verapdf.py fetch` "
        "(~/.cache/arkiv5/verapdf-<version>/libs/*)",
    )
    verapdf_heap_mb: int = Field(default=1024, ge=128, description="veraPDF's Java heap (-Xmx)")
    verapdf_timeout_s: float = Field(default=120.0, gt=0, description="Limit of one veraPDF validation")
    verapdf_restart_after: int = Field(default=500, ge=1, description="Restart veraPDF after this many files")

    tool_niceness: int = Field(
        default=DEFAULT_NICENESS,
        ge=0,
        le=19,
        description="How many steps below the service's own OS priority every converter process runs (LibreOffice, "
        "Ghostscript, veraPDF, the PDF and image checks): requests get the CPU first, a conversion backlog takes "
        "what is left (0: the same priority)",
    )
    job_timeout_s: float = Field(default=120.0, gt=0, description="Wall-clock limit of one conversion")
    memory_limit_mb: int = Field(
        default=4096,
        ge=256,
        description="Address-space cap of every converter process (LibreOffice, Ghostscript, checks)",
    )
    max_input_mb: int = Field(default=200, ge=1, description="Larger source files fail as too-large")
    max_pages: int = Field(default=2000, ge=1, description="Documents with more pages fail as too-many-pages")
    max_unzipped_mb: int = Field(
        default=500, ge=1, description="Zip-based formats (DOCX, XLSX, ODT, ...) declaring more fail as zip-bomb"
    )
    max_zip_entries: int = Field(default=10000, ge=1)
    max_zip_ratio: int = Field(default=200, ge=2, description="Largest allowed compression ratio of one big entry")
    max_image_pixels: int = Field(default=178_956_970, ge=1, description="Pillow's decompression-bomb limit")

    workers: int | None = Field(default=None, ge=1, description="Concurrent jobs; default = listeners")
    convert_on_event: bool = Field(
        default=True, description="Convert as soon as a journalpost reaches J (else only in the nightly batch)"
    )
    work_dir: Path | None = Field(
        default=None,
        description="Where conversions unpack and write (default: the system temp dir); readiness "
        "fails when it is not writable",
    )
    poll_interval_s: float = Field(
        default=1.0, gt=0, description="First idle poll of the job queue after work; new jobs wake the worker at once"
    )
    idle_poll_max_s: float = Field(
        default=5.0, gt=0,
        description="The idle poll doubles while it finds nothing, up to this (expired leases, retries that fell due)",
    )
    job_lease_s: float | None = Field(
        default=None,
        gt=0,
        description="A running job not finished after this is taken again (default 2 × timeout + 60 s)",
    )
    retry_after_s: float = Field(
        default=60.0, ge=0, description="Wait before retrying after the journal was unreachable"
    )

    nightly_enabled: bool = Field(default=True)
    nightly_time: str = Field(default="01:00", pattern=r"^\d{2}:\d{2}$", description="Local time of the nightly batch")
    timezone: str = Field(default="Europe/Oslo", description="Time zone of the schedule and the morning report")
    report_cutoff_hour: int = Field(default=12, ge=0, le=23, description="'Last night' ends at this local hour")
    batch_progress_every: int = Field(
        default=100, ge=1, description="A batch logs how far it got after every this many documents (and at the end)"
    )

    def resolved_workers(self) -> int:
        return self.workers or self.listeners

    def resolved_lease_s(self) -> float:
        return self.job_lease_s or 2 * self.job_timeout_s + 60
