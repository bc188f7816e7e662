"""The generated corpus through the real converters: each file converts, is kept, or fails cleanly."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import corpus
import pikepdf
import pytest

from arkiv5_conversion.engine.listeners import ListenerPool
from arkiv5_conversion.identify import identify
from arkiv5_conversion.pipeline import Converter


def _via_libreoffice(data: bytes, suffix: str, target: str, tmp_path: Path) -> bytes:
    """Legacy formats (DOC) are made by LibreOffice itself from a DOCX."""
    src = tmp_path / f"make.{suffix}"
    src.write_bytes(data)
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/mkprofile", "--headless", "--convert-to", target,
         "--outdir", str(tmp_path / "made"), str(src)],
        check=True, capture_output=True, timeout=120,
    )
    return next((tmp_path / "made").iterdir()).read_bytes()


def _running_in_group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


CONVERTED = {
    "docx_tables_norwegian": (corpus.docx, 1),
    "docx_40_pages": (lambda: corpus.docx(40), 40),
    "odt": (corpus.odt, 1),
    "rtf": (corpus.rtf, 1),
    "xlsx": (corpus.xlsx, None),
    "pptx": (corpus.pptx, 2),
    "html": (corpus.html, 1),
    "plain_pdf": (lambda: corpus.pdf(3), 3),
}


@pytest.mark.parametrize("name", sorted(CONVERTED))
async def test_office_and_pdf_become_validated_pdfa_2b(name: str, converter: Converter, tmp_path: Path) -> None:
    make, pages = CONVERTED[name]
    result = await converter.convert(make(), tmp_path / name)
    assert result.ok, result.reason
    output = result.output
    assert output is not None and not output.kept and output.path is not None
    assert output.puid == "fmt/477" and output.media_type == "application/pdf"
    with pikepdf.open(output.path) as pdf:
        meta = pdf.open_metadata()
        assert meta.get("pdfaid:part") == "2" and meta.get("pdfaid:conformance") == "B"
        if pages is not None:
            assert len(pdf.pages) == pages
    assert len(output.sha256) == 64 and output.size == output.path.stat().st_size


async def test_norwegian_letters_survive(converter: Converter, tmp_path: Path) -> None:
    result = await converter.convert(corpus.docx(), tmp_path / "n")
    assert result.output and result.output.path
    text = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=txtwrite", "-o", "-",
                           str(result.output.path)], capture_output=True, timeout=60).stdout.decode("utf-8", "replace")
    assert "Blåbærsyltetøy" in text and "ÆØÅ" in text


async def test_doc_converts(converter: Converter, tmp_path: Path) -> None:
    doc = _via_libreoffice(corpus.docx(), "docx", "doc", tmp_path)
    result = await converter.convert(doc, tmp_path / "doc")
    assert result.format == "doc" and result.source_puid == "fmt/40"
    assert result.ok and result.output and result.output.puid == "fmt/477"


async def test_existing_pdfa_is_reconverted_when_no_full_validator(converter: Converter, tmp_path: Path) -> None:
    first = await converter.convert(corpus.docx(), tmp_path / "a")
    assert first.output and first.output.path
    again = await converter.convert(first.output.path.read_bytes(), tmp_path / "b")
    assert again.format == "pdfa" and again.source_puid == "fmt/477"
    # Only a claim in the XMP: never kept as is without a full validator.
    assert again.ok and again.output and not again.output.kept


@pytest.mark.parametrize("name", ["jpeg", "png", "tiff"])
async def test_approved_images_are_kept(name: str, converter: Converter, tmp_path: Path) -> None:
    result = await converter.convert(getattr(corpus, name)(), tmp_path / name)
    assert result.ok and result.output and result.output.kept and result.output.path is None
    assert result.output.media_type == f"image/{name}"


@pytest.mark.parametrize(("make", "fmt"), [(corpus.txt_latin1, "txt"), (corpus.xml_latin1, "xml")])
async def test_latin1_text_is_normalised_to_utf8(make, fmt: str, converter: Converter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = await converter.convert(make(), tmp_path / fmt)
    assert result.ok and result.output and result.output.path and not result.output.kept
    text = result.output.path.read_bytes().decode("utf-8")
    assert "Ørland" in text and "ø" in text
    if fmt == "xml":
        assert 'encoding="UTF-8"' in text


async def test_utf8_text_is_kept(converter: Converter, tmp_path: Path) -> None:
    result = await converter.convert("Allerede UTF-8: æøå\n".encode(), tmp_path / "u")
    assert result.ok and result.output and result.output.kept


async def test_eml_becomes_pdfa_and_its_attachments_are_taken_out_as_sent(converter: Converter,
                                                                          tmp_path: Path) -> None:
    result = await converter.convert(corpus.eml(), tmp_path / "eml")
    assert result.format == "eml" and result.ok and result.output and result.output.puid == "fmt/477"
    assert [(a.index, a.filename, a.declared_media_type) for a in result.attachments] == [
        (0, "søknad.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (1, "kart.png", "image/png"),
    ]
    # byte for byte what was attached: each becomes its own document and its own job
    assert identify(result.attachments[0].content).format == "docx"
    assert result.attachments[1].content == corpus.png()
    assert result.output.path and "Vedlegg: søknad.docx, kart.png" in _pdf_text(result.output.path)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=txtwrite", "-o", "-", str(path)],
                          capture_output=True, timeout=60).stdout.decode("utf-8", "replace")


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (corpus.encrypted_pdf, "password-protected"),
        (corpus.corrupt_docx, "corrupt"),
        (corpus.zip_bomb_docx, "zip-bomb"),
        (lambda: b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "unsupported-format"),
        (lambda: corpus.pdf(1)[:300], "corrupt"),
    ],
    ids=["password-pdf", "corrupt-docx", "zip-bomb", "executable", "truncated-pdf"],
)
async def test_bad_files_fail_cleanly_with_a_reason(make, code: str, converter: Converter, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = await converter.convert(make(), tmp_path / code)
    assert not result.ok and result.code == code and result.reason


async def test_unknown_format_reason_names_the_format(converter: Converter, tmp_path: Path) -> None:
    result = await converter.convert(b"\x7fELF\x02\x01\x01" + b"\x00" * 200, tmp_path / "x")
    assert "application/" in (result.reason or "")


async def test_page_limit(pool: ListenerPool, tmp_path: Path, ghostscript_installed: None) -> None:
    from arkiv5_conversion.policy import load_policy
    from arkiv5_conversion.testing import settings_for_tests
    from arkiv5_conversion.validate import BasicPdfaValidator

    strict = Converter(settings_for_tests(tmp_path, max_pages=10), load_policy(), pool, BasicPdfaValidator())
    for data in (corpus.docx(40), corpus.pdf(12)):
        result = await strict.convert(data, tmp_path / "p")
        assert result.code == "too-many-pages", result.reason


async def test_hanging_conversion_is_killed_and_the_next_converts(pool: ListenerPool, tmp_path: Path) -> None:
    src = tmp_path / "big.docx"
    src.write_bytes(corpus.docx(40))
    request = {"op": "convert", "src": str(src), "dst": str(tmp_path / "big.pdf"), "pdfa": 2, "max_pages": 5000}
    # Start the listener, then give it a job it cannot finish in time.
    await pool.convert({"op": "ping"}, 60)
    listener = pool.listeners[0]
    assert listener.process is not None
    pid = listener.process.pid
    result = await listener.convert(request, timeout_s=0.001)
    assert result.code == "timeout"
    await asyncio.sleep(0.2)
    assert _running_in_group(pid) == []  # the driver and its soffice are gone
    ok = await listener.convert({**request, "dst": str(tmp_path / "again.pdf")}, timeout_s=60)
    assert ok.ok and ok.pages == 40 and listener.starts == 2


async def test_listener_restarts_after_n_jobs(libreoffice: None, tmp_path: Path) -> None:
    # No spare: every job goes to the one listener, so its restarts are counted exactly.
    pool = ListenerPool(1, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=2, spares=0)
    try:
        src = tmp_path / "a.rtf"
        src.write_bytes(corpus.rtf())
        for n in range(5):
            answer = await pool.convert({"op": "convert", "src": str(src), "dst": str(tmp_path / f"{n}.pdf"), "pdfa": 2}, 60)
            assert answer.ok
        assert pool.listeners[0].starts == 3
    finally:
        await pool.close()


async def test_profile_is_locked_down(pool: ListenerPool) -> None:
    await pool.convert({"op": "ping"}, 60)
    profile = Path(pool.listeners[0].profile or "")
    xcu = (profile / "user" / "registrymodifications.xcu").read_text("utf-8")
    for setting in ("MacroSecurityLevel", "DisableMacrosExecution", "BlockUntrustedRefererLinks"):
        assert setting in xcu
