"""Settings of the svarut-gateway service, read from `SVARUT_GATEWAY_*` environment variables."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings


class SvarutGatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SVARUT_GATEWAY_", extra="ignore")

    service_name: ClassVar[str] = "svarut-gateway"
