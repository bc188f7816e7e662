"""Untrusted files: password-protected, memory-hungry, mislabelled — each fails cleanly or converts."""

from __future__ import annotations

import subprocess
import unicodedata
import uuid
from pathlib import Path

import corpus
import pytest
from fakes import FakeJournal

from arkiv5_conversion.pipeline import Converter
from arkiv5_conversion.policy import FormatPolicy, FormatRule, load_policy
from arkiv5_conversion.testing import settings_for_tests
from arkiv5_conversion.validate import BasicPdfaValidator


def pdf_text(path: Path) -> str:
    """The text layer of a PDF, as a reader's copy-paste would see it."""
    out = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=txtwrite", "-o", "-", str(path)],
                         capture_output=True, timeout=60, check=True).stdout.decode("utf-8", "replace")
    return unicodedata.normalize("NFC", " ".join(out.split()))


async def test_password_protected_docx_fails_cleanly_with_a_reason(converter: Converter, tmp_path: Path) -> None:
    data = corpus.encrypted_docx()
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE container, as Word writes it
    result = await converter.convert(data, tmp_path / "enc")
    assert not result.ok and result.code == "password-protected"
    assert (result.reason or "").startswith("the document is password-protected: ask the sender for a copy")
    # which OOXML format is inside cannot be seen without the password: named as what it is
    assert result.format == "ooxml-encrypted" and result.source_puid == "fmt/494" and result.output is None


async def test_password_protected_docx_fails_the_job_without_touching_libreoffice(make_app) -> None:  # type: ignore[no-untyped-def]
    class NoOffice:
        calls = 0

        async def convert(self, request, timeout_s):  # type: ignore[no-untyped-def]
            NoOffice.calls += 1
            raise AssertionError("an encrypted file must never reach LibreOffice")

    journal = FakeJournal()
    harness = await make_app(journal, office=NoOffice())
    doc = journal.add(uuid.uuid4(), corpus.encrypted_docx())
    body = (await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(doc)},
                                      headers=harness.headers("conversion.convert"))).json()
    assert (body["status"], body["reason_code"], body["format"]) == ("failed", "password-protected", "ooxml-encrypted")
    assert NoOffice.calls == 0 and journal.puts == []


async def test_norwegian_letters_survive_the_ghostscript_pdf_to_pdfa_path(ghostscript_installed: None,
                                                                          tmp_path: Path) -> None:
    converter = Converter(settings_for_tests(tmp_path), load_policy(), None, BasicPdfaValidator())
    source = tmp_path / "source.pdf"
    source.write_bytes(corpus.pdf(2))
    result = await converter.convert(source.read_bytes(), tmp_path / "gs")
    assert result.ok and result.format == "pdf", result.reason
    assert result.output and result.output.path and result.output.puid == "fmt/477"
    before, after = pdf_text(source), pdf_text(result.output.path)
    assert "Blåbærsyltetøy på Ørland" in before and "æøå ÆØÅ" in before
    assert after == before


async def test_memory_cap_kills_a_converter_that_exceeds_it_and_the_next_job_converts(
    ghostscript_installed: None, tmp_path: Path,
) -> None:
    policy = load_policy()
    policy = FormatPolicy(pdfa_part=2, formats={**policy.formats, "png": FormatRule(action="image-pdfa")})
    # 256 MB address space; the bomb check is lifted so the decoder itself meets the cap.
    settings = settings_for_tests(tmp_path, memory_limit_mb=256, max_image_pixels=10**9)
    converter = Converter(settings, policy, None, BasicPdfaValidator())
    hungry = await converter.convert(corpus.big_alpha_png(8000), tmp_path / "big")  # 256 MB of pixels decoded
    assert not hungry.ok and hungry.code == "too-large", hungry.reason
    assert "memory" in (hungry.reason or "")
    after = await converter.convert(corpus.png_with_alpha(), tmp_path / "small")
    assert after.ok and after.output and after.output.puid == "fmt/477", after.reason


async def test_memory_cap_applies_to_the_libreoffice_listener(libreoffice: None, tmp_path: Path) -> None:
    from arkiv5_conversion.engine.listeners import ListenerPool

    pool = ListenerPool(1, soffice="soffice", python="/usr/bin/python3", memory_mb=64, restart_after=10,
                        start_timeout_s=20)
    try:
        src = tmp_path / "a.rtf"
        src.write_bytes(corpus.rtf())
        from arkiv5_conversion.engine.listeners import ListenerError

        with pytest.raises(ListenerError):  # 64 MB is far below what LibreOffice needs: it cannot even start
            await pool.convert({"op": "convert", "src": str(src), "dst": str(tmp_path / "a.pdf"), "pdfa": 2}, 30)
    finally:
        await pool.close()


async def test_file_with_wrong_extension_is_identified_by_content(converter: Converter, tmp_path: Path) -> None:
    misnamed = tmp_path / "vedtak.pdf"  # a DOCX saved as .pdf
    misnamed.write_bytes(corpus.docx())
    result = await converter.convert(misnamed.read_bytes(), tmp_path / "w")
    assert (result.format, result.source_puid) == ("docx", "fmt/412")
    assert result.source_media_type.endswith("wordprocessingml.document")
    assert result.ok and result.output and result.output.puid == "fmt/477"


async def test_file_with_wrong_declared_media_type_is_identified_by_content_in_a_job(make_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal)
    # Uploaded as "bilde.jpg" / image/jpeg, but it is ISO 8859-1 text.
    doc = journal.add(uuid.uuid4(), "Merknad til søknaden fra Ørland\n".encode("iso-8859-1"), media_type="image/jpeg")
    body = (await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(doc)},
                                      headers=harness.headers("conversion.convert"))).json()
    assert (body["status"], body["format"], body["source_puid"]) == ("done", "txt", "x-fmt/111")
    assert body["archival_media_type"] == "text/plain; charset=utf-8"
