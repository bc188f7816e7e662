"""Readiness: a missing converter does not take the service out of the load balancer."""

from __future__ import annotations

import uuid
from pathlib import Path

import corpus
from fakes import FakeJournal


async def test_missing_libreoffice_keeps_the_service_ready_and_fails_only_its_documents(make_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal, soffice_path="/nonexistent/soffice", ghostscript_path="/nonexistent/gs")
    ready = await harness.client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "workspace": "ok"}

    engines = (await harness.client.get("/internal/engines", headers=harness.headers("conversion.report"))).json()
    assert engines["libreoffice"] == "LibreOffice (soffice) is not installed"
    assert engines["ghostscript"] == "Ghostscript is not installed"
    assert "libreoffice-writer-nogui" in engines["install"]
    metrics = (await harness.client.get("/metrics")).text
    assert 'arkiv5_conversion_engine_available{engine="libreoffice",service="conversion"} 0.0' in metrics

    jp = uuid.uuid4()
    docx, text = journal.add(jp, corpus.docx()), journal.add(jp, "Notat om Ørland\n".encode("iso-8859-1"))
    headers = harness.headers("conversion.convert")
    failed = (await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(docx)},
                                        headers=headers)).json()
    assert (failed["status"], failed["reason_code"]) == ("failed", "engine-missing")
    assert failed["reason"] == "LibreOffice (soffice) is not installed"
    done = (await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(text)},
                                      headers=headers)).json()
    assert done["status"] == "done"  # what needs no missing engine still converts


async def test_unwritable_work_dir_makes_the_service_not_ready(make_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    harness = await make_app(FakeJournal(), work_dir=blocker / "work")
    ready = await harness.client.get("/healthz/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["workspace"].startswith("failing")
