"""Settings of the journal service, read from `JOURNAL_*` environment variables."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings


class JournalSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="JOURNAL_", extra="ignore")

    service_name: ClassVar[str] = "journal"
