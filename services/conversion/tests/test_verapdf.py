"""veraPDF behind the Validator interface: outputs validated, a valid PDF/A kept, a claim not enough.

These tests need veraPDF (`python3 scripts/verapdf.py fetch`); with ARKIV5_REQUIRE_SERVICES=1
they fail instead of skipping when it is missing.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import corpus
import pikepdf
import pytest
from fakes import FakeJournal

from arkiv5_conversion.engine.listeners import ListenerPool
from arkiv5_conversion.engine.verapdf import VeraPdf, parse_report
from arkiv5_conversion.pipeline import Converter
from arkiv5_conversion.policy import load_policy
from arkiv5_conversion.testing import settings_for_tests
from arkiv5_conversion.validate import VeraPdfValidator


def claims_pdfa(data: bytes) -> bytes:
    """A plain PDF that claims PDF/A-2b in its XMP and is nothing of the kind."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        pdf.save(out, compress_streams=False)  # a readable claim, as identification sees it
    return out.getvalue()


@pytest.fixture
async def full_converter(pool: ListenerPool, ghostscript_installed: None, verapdf: VeraPdf, tmp_path: Path) -> Converter:
    return Converter(settings_for_tests(tmp_path), load_policy(), pool, VeraPdfValidator(verapdf))


async def test_libreoffice_output_passes_verapdf(full_converter: Converter, verapdf: VeraPdf, tmp_path: Path) -> None:
    result = await full_converter.convert(corpus.docx(), tmp_path / "d")
    assert result.ok, result.reason
    assert result.output and result.output.path and result.output.puid == "fmt/477"
    report = await verapdf.validate(result.output.path)
    assert report.compliant and report.flavour == "2B" and report.error is None


async def test_ghostscript_output_passes_verapdf(full_converter: Converter, tmp_path: Path) -> None:
    result = await full_converter.convert(corpus.pdf(2), tmp_path / "p")
    assert result.ok, result.reason
    assert result.output and not result.output.kept and result.output.pages == 2


async def test_existing_pdfa_that_passes_verapdf_is_kept_as_is(full_converter: Converter, tmp_path: Path) -> None:
    made = await full_converter.convert(corpus.docx(), tmp_path / "a")
    assert made.output and made.output.path
    pdfa = made.output.path.read_bytes()
    kept = await full_converter.convert(pdfa, tmp_path / "b")
    assert kept.format == "pdfa" and kept.ok, kept.reason
    assert kept.output and kept.output.kept and kept.output.path is None
    assert kept.output.sha256 == hashlib.sha256(pdfa).hexdigest() and kept.output.puid == "fmt/477"


async def test_a_pdfa_claim_alone_is_not_kept_but_remade(full_converter: Converter, verapdf: VeraPdf,
                                                          tmp_path: Path) -> None:
    fake = claims_pdfa(corpus.pdf(1))
    direct = await VeraPdfValidator(verapdf).validate(_write(tmp_path / "fake.pdf", fake), pdfa_part=2,
                                                      expected_pages=1)
    # explained in words (which rule, what to do), the clause kept for experts
    reason = direct.reason or ""
    assert not direct.ok and reason.startswith("not a valid PDF/A-2B: a font is not embedded")
    assert "What to do: install the font" in reason and "6.2.11.4.1" in reason
    result = await full_converter.convert(fake, tmp_path / "f")
    assert result.format == "pdfa" and result.ok, result.reason
    assert result.output and not result.output.kept and result.output.path
    assert (await verapdf.validate(result.output.path)).compliant


async def test_pdfa_of_another_part_is_remade_as_the_policy_part(full_converter: Converter, pool: ListenerPool,
                                                                 tmp_path: Path) -> None:
    src = _write(tmp_path / "a.rtf", corpus.rtf())
    answer = await pool.convert({"op": "convert", "src": str(src), "dst": str(tmp_path / "a1.pdf"), "pdfa": 1}, 60)
    assert answer.ok
    result = await full_converter.convert((tmp_path / "a1.pdf").read_bytes(), tmp_path / "r")
    assert result.source_puid in ("fmt/95", "fmt/354")  # PDF/A-1 as it came (tagged: 1a)
    assert result.ok and result.output and not result.output.kept and result.output.puid == "fmt/477"


async def test_one_long_lived_process_for_many_files(verapdf: VeraPdf, tmp_path: Path) -> None:
    paths = [_write(tmp_path / f"{n}.pdf", corpus.pdf(1)) for n in range(3)]
    reports = [await verapdf.validate(p) for p in paths]
    assert [r.compliant for r in reports] == [False, False, False]
    assert verapdf.starts == 1 and verapdf.files == 3


async def test_timeout_kills_verapdf_and_the_next_file_validates(verapdf: VeraPdf, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.pdf", corpus.pdf(1))
    await verapdf.validate(path)  # started and warm
    pid = verapdf.process.pid if verapdf.process else None
    verapdf.timeout_s = 0.001
    slow = await verapdf.validate(path)
    assert slow.code == "timeout" and not slow.compliant and not verapdf.alive
    assert pid is not None and _gone(pid)
    verapdf.timeout_s = 120
    again = await verapdf.validate(path)
    assert again.error is None and again.flavour == "2B" and verapdf.starts == 2


async def test_corrupt_and_encrypted_files_are_reported_not_crashed(verapdf: VeraPdf, tmp_path: Path) -> None:
    corrupt = await verapdf.validate(_write(tmp_path / "c.pdf", corpus.pdf(1)[:300]))
    encrypted = await verapdf.validate(_write(tmp_path / "e.pdf", corpus.encrypted_pdf()))
    assert (corrupt.code, encrypted.code) == ("corrupt", "password-protected")
    assert verapdf.starts == 1 and verapdf.alive


def test_report_parser_reads_failed_clauses() -> None:
    report = parse_report(
        '{"report":{"jobs":[{"validationResult":[{"profileName":"PDF/A-2B validation profile","compliant":false,'
        '"details":{"failedRules":2,"ruleSummaries":[{"status":"failed","clause":"6.2.4.3"},'
        '{"status":"failed","clause":"6.6.2.1"}]}}]}]}}'
    )
    assert (report.compliant, report.flavour, report.failed_rules, report.clauses) == (
        False, "2B", 2, ["6.2.4.3", "6.6.2.1"])
    assert parse_report("").code == "validator-crashed"


async def test_auto_setting_validates_every_output_with_verapdf(make_app, verapdf: VeraPdf) -> None:  # type: ignore[no-untyped-def]
    harness = await make_app(validator="auto")
    engines = harness.app.state.engines
    assert engines["validator"] == "verapdf" and engines["verapdf"] == "ok"
    assert isinstance(harness.service.converter.validator, VeraPdfValidator)


async def test_required_verapdf_missing_fails_outputs_with_engine_missing(make_app, tmp_path: Path,
                                                                          ghostscript_installed: None) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal, validator="verapdf", verapdf_classpath=str(tmp_path / "nothing" / "*"))
    assert harness.app.state.engines["verapdf"].startswith("veraPDF is not installed")
    doc = journal.add(uuid.uuid4(), corpus.pdf(1))
    answer = await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(doc)},
                                       headers=harness.headers("conversion.convert"))
    body = answer.json()
    assert body["status"] == "failed" and body["reason_code"] == "engine-missing"
    assert "CONVERSION_VALIDATOR=verapdf" in body["reason"]
    metrics = (await harness.client.get("/metrics")).text
    assert 'arkiv5_conversion_engine_available{engine="verapdf",service="conversion"} 0.0' in metrics
    ready = await harness.client.get("/healthz/ready")
    assert ready.status_code == 200


async def test_basic_setting_never_keeps_a_pdfa(make_app) -> None:  # type: ignore[no-untyped-def]
    harness = await make_app(validator="basic")
    assert harness.app.state.engines["validator"] == "basic"
    assert not harness.service.converter.validator.full


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")
