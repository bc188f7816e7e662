"""Who a letter goes to: the korrespondanseparttyper sent through SvarUt, and those sent internally."""

from __future__ import annotations

from arkiv5_contracts.codelists import Korrespondanseparttype

EXTERNAL_RECIPIENTS = {Korrespondanseparttype.EM.kode, Korrespondanseparttype.EK.kode, Korrespondanseparttype.GM.kode}
INTERNAL_RECIPIENTS = {Korrespondanseparttype.IM.kode, Korrespondanseparttype.IK.kode}
