"""Images -> PDF/A when the format policy says so: a multi-page TIFF becomes one PDF/A-2b."""

from __future__ import annotations

from pathlib import Path

import corpus
import pikepdf
import pytest

from arkiv5_conversion.engine.verapdf import VeraPdf
from arkiv5_conversion.pipeline import Converter
from arkiv5_conversion.policy import FormatPolicy, FormatRule, load_policy
from arkiv5_conversion.testing import settings_for_tests
from arkiv5_conversion.validate import BasicPdfaValidator, VeraPdfValidator


@pytest.fixture
def image_converter(ghostscript_installed: None, tmp_path: Path) -> Converter:
    """Images need no LibreOffice: Ghostscript and img2pdf only."""
    return Converter(settings_for_tests(tmp_path), load_policy(), None, BasicPdfaValidator())


async def test_multipage_tiff_becomes_one_pdfa_2b(image_converter: Converter, tmp_path: Path) -> None:
    result = await image_converter.convert(corpus.tiff_multipage(3), tmp_path / "t")
    assert result.format == "tiff" and result.source_puid == "fmt/353"
    assert result.ok, result.reason
    output = result.output
    assert output and not output.kept and output.path and output.puid == "fmt/477" and output.pages == 3
    with pikepdf.open(output.path) as pdf:
        assert len(pdf.pages) == 3
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("2", "B")
        # lossless: each page's image has exactly the pixels of its frame
        for n, page in enumerate(pdf.pages):
            (image,) = page.get_images().values()
            pixels = pikepdf.PdfImage(image).as_pil_image().convert("RGB")
            assert pixels.size == (120, 160) and pixels.getpixel((5, 5)) == (40 * n, 100, 255 - 40 * n)


async def test_single_page_tiff_is_still_kept(image_converter: Converter, tmp_path: Path) -> None:
    result = await image_converter.convert(corpus.tiff(), tmp_path / "s")
    assert result.ok and result.output and result.output.kept


async def test_policy_can_send_every_png_to_pdfa(ghostscript_installed: None, tmp_path: Path) -> None:
    policy = load_policy()
    policy = FormatPolicy(pdfa_part=2, formats={**policy.formats, "png": FormatRule(action="image-pdfa")})
    converter = Converter(settings_for_tests(tmp_path), policy, None, BasicPdfaValidator())
    for name, data in (("plain", corpus.png()), ("alpha", corpus.png_with_alpha())):
        result = await converter.convert(data, tmp_path / name)
        assert result.ok, (name, result.reason)
        assert result.output and result.output.puid == "fmt/477" and result.output.pages == 1


async def test_image_pdfa_passes_verapdf(ghostscript_installed: None, verapdf: VeraPdf, tmp_path: Path) -> None:
    converter = Converter(settings_for_tests(tmp_path), load_policy(), None, VeraPdfValidator(verapdf))
    result = await converter.convert(corpus.tiff_multipage(2), tmp_path / "v")
    assert result.ok, result.reason
    assert result.output and result.output.path
    assert (await verapdf.validate(result.output.path)).compliant


async def test_damaged_multipage_tiff_fails_cleanly(image_converter: Converter, tmp_path: Path) -> None:
    data = corpus.tiff_multipage(3)
    result = await image_converter.convert(data[: len(data) // 2], tmp_path / "d")
    assert not result.ok and result.code == "corrupt" and result.reason

