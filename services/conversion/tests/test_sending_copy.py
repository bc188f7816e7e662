"""A PDF to send of a document the format policy keeps as it is (SvarUt takes PDF only), not filed."""

from __future__ import annotations

import io
import uuid

import corpus
import pikepdf
from fakes import FakeJournal

SENDING_COPY = "/internal/conversions/sending-copy"


def _pages(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


async def test_kept_image_text_and_multipage_scan_each_come_back_as_a_pdf_and_nothing_is_filed(make_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal)
    jp = uuid.uuid4()
    sources = {"png": (journal.add(jp, corpus.png()), 1), "text": (journal.add(jp, "Vedtak om støtte\n".encode()), 1),
               "scan": (journal.add(jp, corpus.tiff_multipage(3)), 3)}
    headers = harness.headers("conversion.convert")
    for name, (dokumentobjekt_id, pages) in sources.items():
        response = await harness.client.post(SENDING_COPY, json={"dokumentobjekt_id": str(dokumentobjekt_id)},
                                             headers=headers)
        assert response.status_code == 200, (name, response.text)
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF") and _pages(response.content) == pages, name
    assert journal.puts == [] and journal.attachment_posts == []  # a copy for sending, not an archival variant

    # A document converted for the archive anyway (a PDF) comes back as a PDF too.
    pdf = journal.add(jp, corpus.pdf(2))
    response = await harness.client.post(SENDING_COPY, json={"dokumentobjekt_id": str(pdf)}, headers=headers)
    assert response.status_code == 200 and _pages(response.content) == 2


async def test_what_cannot_become_a_pdf_is_a_precise_problem(make_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal)
    headers = harness.headers("conversion.convert")
    image = corpus.png()
    broken = journal.add(uuid.uuid4(), image[: len(image) // 2])  # the file ends before the picture does
    refused = await harness.client.post(SENDING_COPY, json={"dokumentobjekt_id": str(broken)}, headers=headers)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["reason_code"] == "corrupt"
    unknown = await harness.client.post(SENDING_COPY, json={"dokumentobjekt_id": str(uuid.uuid4())}, headers=headers)
    assert unknown.status_code == 404
    journal.unavailable = True
    away = await harness.client.post(SENDING_COPY, json={"dokumentobjekt_id": str(broken)}, headers=headers)
    assert away.status_code == 503
    no_scope = await harness.client.post(SENDING_COPY, json={"dokumentobjekt_id": str(broken)},
                                         headers=harness.headers("conversion.report"))
    assert no_scope.status_code == 403
