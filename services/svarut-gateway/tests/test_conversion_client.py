"""The gateway's client of the conversion API: which answers mean wait, which mean refuse."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from arkiv5_svarut_gateway.conversion_client import ConversionFailed, ConversionPending, HttpConversionClient

DOC = uuid.uuid4()


def _client(status: int, body: Any = None, content: bytes = b"") -> HttpConversionClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if body is not None:
            return httpx.Response(status, json=body)
        return httpx.Response(status, content=content)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return HttpConversionClient(http, base_url="http://conversion", auth=httpx.BasicAuth("t", "t"))


def _job(**values: Any) -> dict[str, Any]:
    return {"status": "done", "archival_dokumentobjekt_id": str(uuid.uuid4()),
            "archival_media_type": "application/pdf", "reason_code": None, **values}


async def test_a_converted_pdf_is_its_id_and_a_kept_format_asks_for_a_sending_copy() -> None:
    job = _job()
    assert await _client(201, job).convert(DOC) == uuid.UUID(job["archival_dokumentobjekt_id"])
    assert await _client(200, _job(archival_media_type="image/png", kept=True)).convert(DOC) is None
    assert await _client(200, content=b"%PDF-1.7 ...").sending_copy(DOC) == b"%PDF-1.7 ..."


async def test_a_failed_job_is_refused_at_once_not_waited_for() -> None:
    with pytest.raises(ConversionFailed, match="password-protected"):
        await _client(200, _job(status="failed", archival_dokumentobjekt_id=None, archival_media_type=None,
                                reason_code="password-protected")).convert(DOC)
    with pytest.raises(ConversionFailed):
        await _client(422, {"reason_code": "corrupt"}).sending_copy(DOC)


@pytest.mark.parametrize("status", [202, 429, 500, 503])
async def test_busy_or_away_means_try_later(status: int) -> None:
    with pytest.raises(ConversionPending):
        await _client(status, _job(status="queued")).convert(DOC)
    with pytest.raises(ConversionPending):
        await _client(status, {}).sending_copy(DOC)
