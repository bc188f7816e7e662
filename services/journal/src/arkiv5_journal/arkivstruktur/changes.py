"""What the archive's administrators send to create or change the archive structure.

A create model per entity (`…In`) and a merge-patch model (`…Patch`, every field optional:
what is sent is changed). The names are the standard's; codes are accepted as "A" or
{"kode": "A"}, as everywhere in the journal's JSON.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

from arkiv5_contracts.codelists import Arkivdelstatus, Arkivstatus

from ..schemas import ApiModel, Code

# klassifikasjonstype (M086): the standard's codes (GBN, K-kode, …) or a local one, as "K-kode" or {"kode": …}.
Klassifikasjonstype = Annotated[str, StringConstraints(min_length=1, max_length=100),
                                BeforeValidator(lambda value: value.get("kode") if isinstance(value, dict) else value)]
Tittel = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Beskrivelse = Annotated[str, StringConstraints(max_length=10_000)]


class ArkivIn(ApiModel):
    tittel: Tittel
    beskrivelse: Beskrivelse | None = None
    arkivstatus: Code(Arkivstatus) | None = None  # type: ignore[valid-type]


class ArkivPatch(ApiModel):
    tittel: Tittel | None = None
    beskrivelse: Beskrivelse | None = None
    arkivstatus: Code(Arkivstatus) | None = None  # type: ignore[valid-type]


class ArkivdelIn(ApiModel):
    tittel: Tittel
    arkivdelstatus: Code(Arkivdelstatus) | None = None  # type: ignore[valid-type]


class ArkivdelPatch(ApiModel):
    tittel: Tittel | None = None
    arkivdelstatus: Code(Arkivdelstatus) | None = None  # type: ignore[valid-type]


class KlassifikasjonssystemIn(ApiModel):
    tittel: Tittel
    klassifikasjonstype: Klassifikasjonstype | None = None


class KlassifikasjonssystemPatch(ApiModel):
    tittel: Tittel | None = None
    klassifikasjonstype: Klassifikasjonstype | None = None


class KlassePatch(ApiModel):
    tittel: Tittel | None = Field(default=None)
