"""Identification by content: the PUID and media type come from the bytes, never a name."""

from __future__ import annotations

from pathlib import Path

import corpus
import pytest

from arkiv5_conversion.identify import identify
from arkiv5_conversion.policy import FormatPolicy, load_policy


@pytest.mark.parametrize(
    ("make", "fmt", "puid"),
    [
        (corpus.docx, "docx", "fmt/412"),
        (corpus.odt, "odt", "fmt/291"),
        (corpus.rtf, "rtf", "fmt/355"),
        (corpus.xlsx, "xlsx", "fmt/214"),
        (corpus.pptx, "pptx", "fmt/215"),
        (corpus.html, "html", "fmt/471"),
        (corpus.txt_latin1, "txt", "x-fmt/111"),
        (corpus.xml_latin1, "xml", "fmt/101"),
        (corpus.jpeg, "jpeg", "fmt/43"),
        (corpus.png, "png", "fmt/13"),
        (corpus.tiff, "tiff", "fmt/353"),
        (corpus.pdf, "pdf", "fmt/17"),
        (corpus.eml, "eml", "fmt/950"),
    ],
)
def test_identifies_by_content(make, fmt: str, puid: str) -> None:  # type: ignore[no-untyped-def]
    found = identify(make())
    assert (found.format, found.puid) == (fmt, puid)


def test_pdfa_claim_is_read_but_is_only_a_claim() -> None:
    fake_claim = corpus.pdf(1).replace(b"%%EOF", b"<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>\n%%EOF")
    found = identify(fake_claim)
    assert found.format == "pdfa" and found.puid == "fmt/477" and found.pdfa_claim == "2B"


def test_unknown_bytes_have_no_format() -> None:
    found = identify(b"\x00\x01\x02\x03" * 100)
    assert found.format is None and found.label == "unknown"


def test_empty_file() -> None:
    assert identify(b"").format is None


def test_policy_file_is_data_an_operator_can_replace(tmp_path: Path) -> None:
    builtin = load_policy()
    assert builtin.rule("docx").action == "libreoffice"  # type: ignore[union-attr]
    assert builtin.rule("pdfa").keep_if_valid  # type: ignore[union-attr]
    own = tmp_path / "policy.yaml"
    own.write_text("pdfa_part: 2\nformats:\n  png: {action: reject, reason: no images}\n", encoding="utf-8")
    policy = load_policy(own)
    assert isinstance(policy, FormatPolicy)
    assert policy.rule("png").action == "reject" and policy.rule("docx") is None  # type: ignore[union-attr]


def test_policy_rejects_unknown_actions(tmp_path: Path) -> None:
    own = tmp_path / "policy.yaml"
    own.write_text("formats:\n  png: {action: shred}\n", encoding="utf-8")
    with pytest.raises(ValueError):
        load_policy(own)
