"""The 78 real files of the conversion corpus (other projects' test data) through the real converters.

Every file must become what a municipality expects: a PDF/A that veraPDF accepts and that
still holds the source's text (pdftotext), an approved format kept as is, faithful UTF-8,
or a refusal with the right reason. The files are read from the reference folder
(`arkiv5_kit.reference`, never copied into the project). All files are converted once,
two at a time through a pool of two listeners, and each file's outcome is its own test.
First pages of ten outputs are rendered to `test-artifacts/conversion/` for a person to look at.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from required import missing

from arkiv5_conversion.engine.listeners import ListenerPool, libreoffice_available
from arkiv5_conversion.engine.verapdf import VeraPdf, default_classpath, verapdf_available
from arkiv5_conversion.pipeline import Converter, Result
from arkiv5_conversion.policy import load_policy
from arkiv5_conversion.testing import settings_for_tests
from arkiv5_conversion.validate import VeraPdfValidator
from arkiv5_kit.reference import ReferenceFileMissing, manifest, reference_file

# Under pytest-xdist one worker takes the whole module (ONE_WORKER_MODULES in the root conftest):
# the module's fixture converts all 78 files, once.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
FOLDER = "conversion-corpus/"
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "conversion"


@dataclass(frozen=True)
class Pdfa:
    """Converted to a PDF/A that veraPDF accepts; `text` is found in its text layer.

    Without `text`, the source is a PDF and most of its words must still be in the output."""

    text: tuple[str, ...] = ()
    attachments: int = 0


@dataclass(frozen=True)
class Kept:
    """An approved archival format, kept as it is."""


@dataclass(frozen=True)
class Utf8:
    """Text, as faithful UTF-8 (kept when it already was), holding `text`."""

    text: tuple[str, ...]
    kept: bool = False


@dataclass(frozen=True)
class Refused:
    code: str
    says: str  # a word of the reason that tells a person what to do


PASSWORD = Refused("password-protected", "without a password")
EXPECTED: dict[str, Pdfa | Kept | Utf8 | Refused] = {
    "doc-concert-booking-form.doc": Pdfa(("School Concert Program",)),
    "doc-named-docm-hello.docm": Pdfa(("Hello world",)),
    "doc-orthodox-calendar.doc": Pdfa(("Apostle James",)),
    "doc-password-protected.doc": PASSWORD,
    "doc-travel-approval-form.doc": Pdfa(("International Travel Approval Request Form",)),
    "doc-word95.doc": Pdfa(("The quick brown fox jumps over the lazy dog",)),
    "docx-cyrillic-chernigovka.docx": Pdfa(("Большечерниговская районная библиотека",)),
    "docx-danish-mailmerge-52449.docx": Pdfa(("Ansættelse",)),
    "docx-encrypted-password-is-pass.docx": PASSWORD,
    "docx-various-pictures.docx": Pdfa(("Sheet with various pictures",)),
    "docx-with-ole-attachments.docx": Pdfa(("Русский вариант",)),  # crashes a listener: the one-shot converts it
    "eml-chinese-gb2312.eml": Pdfa(("代开各地增值税发票", "我公司可代开各类增值税发票")),
    "eml-malformed.eml": Pdfa(("Sent from my iPhone",)),
    "eml-order-attachments.eml": Pdfa(("mi puoi dire se il mio cliente", "Vedlegg: image001.jpg"), attachments=8),
    "eml-russian-html.eml": Pdfa(("Информируем Вас об имеющейся задолженности",), attachments=1),
    "eml-weather-bulletin-attachments.eml": Pdfa(("Bollettino Meteorologico", "Vedlegg: Bollettino.pdf"),
                                                 attachments=1),
    "gif-hopper.gif": Refused("rejected-format", "PNG"),
    "html-arkade-report-norwegian.html": Pdfa(("Utrolig dårlig",)),  # crashes a listener too
    "html-koi8r-no-charset.html": Pdfa(("РИА Новости",)),
    "html-windows1252.html": Pdfa(("£825",)),
    "jpeg-cmyk.jpg": Kept(),
    "jpeg-hopper.jpg": Kept(),
    "jpeg-truncated.jpg": Refused("corrupt", "whole file"),
    "msg-outlook.msg": Refused("rejected-format", "EML"),
    "msg-strange-date.msg": Refused("rejected-format", "EML"),
    "odp-example.odp": Pdfa(("This is the second page",)),
    "ods-big.ods": Pdfa(("Feuille1",)),
    "ods-picture.ods": Pdfa(("工作表1",)),
    "odt-collection-images.odt": Pdfa(("The Hitchhiker's Guide to the Galaxy",)),
    "odt-dormeur-french.odt": Pdfa(("C'est un trou de verdure où chante une rivière",)),
    "odt-planes.odt": Pdfa(("pictured from planes",)),
    "pdf-arabic.pdf": Refused("text-lost", "text layer"),
    "pdf-cmyk-image.pdf": Pdfa(),
    "pdf-damaged-xref.pdf": Pdfa(),
    "pdf-geotopo-thesis.pdf": Pdfa(),
    "pdf-google-docs.pdf": Pdfa(),
    "pdf-owner-password-only.pdf": Pdfa(),  # opens without a password: only editing is restricted
    "pdf-password-aes256-r6.pdf": PASSWORD,
    "pdf-password-libreoffice-writer.pdf": PASSWORD,
    "pdf-unreadable-metadata.pdf": Refused("corrupt", "new copy"),
    "pdf-with-attachment.pdf": Pdfa(attachments=1),
    "pdfa-1b-arkade.pdf": Pdfa(),          # PDF/A-1b: re-made as the policy's PDF/A-2b
    "pdfa-2b-claimed-but-fails.pdf": Pdfa(),  # claims PDF/A-2b, veraPDF disagrees: re-made
    "pdfa-2b-pass-verapdf.pdf": Kept(),
    "pdfa-3a-arkade.pdf": Pdfa(),
    "pdfa-crazyones.pdf": Pdfa(),
    "png-hopper.png": Kept(),
    "ppt-password-hello.ppt": PASSWORD,
    "ppt-pensar.ppt": Pdfa(("Talvez Deus queira",)),
    "ppt-programa-alianca.ppt": Pdfa(("Programa Aliança",)),
    "pptx-chart-types.pptx": Pdfa(("Sales", "Series 1")),
    "pptx-conference-talk.pptx": Pdfa(("How effective communication can help evaluation achieve influence",)),
    "pptx-geometry-lecture.pptx": Pdfa(("Foundations of Geometry", "Father of Geometry")),  # uses Symbol
    "rtf-court-decision.rtf": Pdfa(("IM NAMEN DER REPUBLIK",)),
    "rtf-gnu-agpl.rtf": Pdfa(("GNU AFFERO GENERAL PUBLIC LICENSE",)),
    "rtf-speiseplan-german.rtf": Pdfa(("Speiseplan",)),
    "tiff-16bit.tif": Kept(),
    "tiff-g4-multipage-fax.tiff": Pdfa(),   # several pages: one PDF/A, a page per frame (a scan: no text)
    "tiff-g4-single.tif": Kept(),
    "tiff-multipage-3.tiff": Pdfa(),
    "txt-cp1250-polish.txt": Utf8(("zauważyli", "wewnętrznego")),
    "txt-cp1252-smart-quotes.txt": Utf8(("“The names Bod, James Bond.”", "spam – served")),
    "txt-koi8r-russian.txt": Utf8(("В гимназии он не был",)),
    "txt-latin1-norwegian-nb_NO.aff": Utf8(("ensrtialkogdmpuvfbjhøyåæ",)),
    "txt-latin1-portuguese.txt": Utf8(("tão bem determinada",)),
    "txt-utf16le-nobom.csv.txt": Utf8(("DateTime,Bid,Ask",)),
    "txt-utf8-bom-japanese.txt": Utf8(("コンソール アプリケーション",), kept=True),
    "xls-inscripcion-form.xls": Pdfa(("DETALLE DE BAJAS",)),
    "xls-password.xls": PASSWORD,
    "xls-upper-austria-stats.xls": Pdfa(("Bundespräsidentenwahl",)),
    "xlsb-issues.xlsb": Pdfa(("test",)),
    "xlsx-encrypted-passtika.xlsx": PASSWORD,
    "xlsx-issue174.xlsx": Pdfa(("Contact Name",)),
    "xlsx-kyc-file-structure.xlsx": Pdfa(("KYC INFORMATION FILE HEADER",)),
    "xlsx-pivots.xlsx": Pdfa(("calculated",)),
    "xlsx-strict-ooxml.xlsx": Pdfa(("150-031260-001_B",)),
    "xml-koi8r-rss.xml": Utf8(('<?xml version="1.0" encoding="UTF-8" ?>', "Афиша ТА")),
    "zip-package.zip": Refused("rejected-format", "unpack"),
}
RENDERED = (  # first pages for a person to look at: CJK, Cyrillic, Symbol, a crasher, a scan
    "eml-chinese-gb2312.eml", "ods-picture.ods", "docx-cyrillic-chernigovka.docx", "html-koi8r-no-charset.html",
    "pptx-geometry-lecture.pptx", "docx-with-ole-attachments.docx", "html-arkade-report-norwegian.html",
    "odt-dormeur-french.odt", "xls-upper-austria-stats.xls", "tiff-g4-multipage-fax.tiff",
)


@dataclass
class Converted:
    result: Result
    source: Path
    verapdf_compliant: bool | None  # of the output, validated again on its own


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Converted]:
    problem = libreoffice_available("soffice", "/usr/bin/python3") or verapdf_available("java", default_classpath())
    if problem:
        missing(problem, state="not installed")
    if shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None:
        missing("poppler-utils (pdftotext, pdftoppm)", state="not installed")
    sources: dict[str, Path] = {}
    for name in sorted(EXPECTED):
        try:
            sources[name] = reference_file(FOLDER + name)
        except ReferenceFileMissing as missing_file:
            missing(str(missing_file), state="missing")
    work = tmp_path_factory.mktemp("corpus")
    return asyncio.run(_convert_all(sources, work))


async def _convert_all(sources: dict[str, Path], work: Path) -> dict[str, Converted]:
    pool = ListenerPool(2, soffice="soffice", python="/usr/bin/python3", memory_mb=4096, restart_after=100)
    verapdf = VeraPdf(timeout_s=120)
    converter = Converter(settings_for_tests(work, job_timeout_s=120), load_policy(), pool, VeraPdfValidator(verapdf))
    slots = asyncio.Semaphore(2)

    async def one(name: str, source: Path) -> tuple[str, Converted]:
        async with slots:
            result = await converter.convert(source.read_bytes(), work / name)
        # The output validated again on its own, after the slot is free: the one veraPDF process
        # checks it while the listeners convert the next files (one after another it added
        # ~20 s of veraPDF alone at the end).
        compliant = None
        if result.output and result.output.path and result.output.media_type == "application/pdf":
            compliant = (await verapdf.validate(result.output.path)).compliant
        return name, Converted(result, source, compliant)

    try:
        return dict(await asyncio.gather(*(one(name, path) for name, path in sources.items())))
    finally:
        await pool.close()
        await verapdf.stop()


def _text(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=120).stdout
    return unicodedata.normalize("NFC", " ".join(out.decode("utf-8", "replace").split()))


def _words(path: Path) -> list[str]:
    return re.findall(r"\w{4,}", unicodedata.normalize("NFKC", _text(path)))


def test_every_file_of_the_corpus_has_an_expected_outcome() -> None:
    in_manifest = {p.removeprefix(FOLDER) for p in manifest() if p.startswith(FOLDER) and not p.endswith("SOURCES.txt")}
    assert in_manifest == set(EXPECTED) and len(EXPECTED) == 78


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file_becomes_what_a_municipality_expects(name: str, converted: dict[str, Converted]) -> None:
    done = converted[name]
    result, expected = done.result, EXPECTED[name]
    if isinstance(expected, Refused):
        assert (result.ok, result.code) == (False, expected.code), result.reason
        assert result.reason and expected.says in result.reason
        return
    assert result.ok, f"{result.code}: {result.reason}"
    output = result.output
    assert output is not None
    if isinstance(expected, Kept):
        assert output.kept and output.path is None
        return
    if isinstance(expected, Utf8):
        assert output.kept == expected.kept
        text = (done.source if output.kept else output.path).read_bytes().decode("utf-8")  # type: ignore[union-attr]
        assert "\x00" not in text and "\ufffd" not in text
        for snippet in expected.text:
            assert snippet in text
        return
    assert not output.kept and output.path is not None and output.puid == "fmt/477"
    assert done.verapdf_compliant is True
    text = _text(output.path)
    for snippet in expected.text:
        assert snippet in text, f"{snippet!r} not in the output's text: {text[:300]!r}"
    if not expected.text and done.source.suffix == ".pdf":
        source_words = _words(done.source)
        if len(source_words) >= 3:
            kept = set(_words(output.path))
            share = sum(1 for word in source_words if word in kept) / len(source_words)
            assert share >= 0.9, f"only {share:.0%} of the source's words are in the output"
    assert len(result.attachments) == expected.attachments
    if name in RENDERED:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / Path(name).stem
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(output.path),
                        str(target)], check=True, timeout=120)
        assert target.with_suffix(".png").stat().st_size > 1000
