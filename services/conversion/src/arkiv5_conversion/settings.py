"""Settings of the conversion service, read from `CONVERSION_*` environment variables."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings


class ConversionSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONVERSION_", extra="ignore")

    service_name: ClassVar[str] = "conversion"
