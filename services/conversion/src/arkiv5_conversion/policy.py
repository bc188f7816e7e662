"""The format policy: data an operator can read and change (YAML), validated at start-up."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field


class FormatRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["libreoffice", "ghostscript", "keep", "image-pdfa", "utf8", "eml", "reject"]
    kind: Literal["writer", "calc", "impress", "draw"] | None = None
    import_filter: str | None = None
    keep_if_valid: bool = False
    multipage_action: Literal["image-pdfa"] | None = Field(
        default=None, description="For a kept image: what an image with more than one page (frame) becomes instead",
    )
    reason: str | None = Field(default=None, max_length=300)


class FormatPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pdfa_part: Literal[1, 2, 3] = 2
    formats: dict[str, FormatRule]

    def rule(self, format_key: str | None) -> FormatRule | None:
        return self.formats.get(format_key) if format_key else None


def load_policy(path: Path | None = None) -> FormatPolicy:
    if path is None:
        text = resources.files("arkiv5_conversion").joinpath("data/format_policy.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return FormatPolicy.model_validate(yaml.safe_load(text))
