"""PDF -> PDF/A with Ghostscript (`pdfwrite -dPDFA=N`), always under -dSAFER.

Ghostscript exits 0 even when PDF/A creation failed (it may fall back to plain PDF), so
the caller validates the output afterwards; it is fed PDFs only, never PostScript.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .priority import DEFAULT_NICENESS
from .sandbox import Completed, run_limited

ICC_CANDIDATES = (
    "/usr/share/color/icc/ghostscript/srgb.icc",
    "/usr/share/ghostscript/iccprofiles/srgb.icc",
)

PDFA_DEF = """%!
% The PDF/A OutputIntent: sRGB.
/ICCProfile ({icc}) def
[/_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[{{icc_PDFA}} << /N 3 >> /PUT pdfmark
[{{icc_PDFA}} ICCProfile (r) file /PUT pdfmark
[/_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[{{OutputIntent_PDFA}} <<
  /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB)
>> /PUT pdfmark
[{{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""


def find_icc() -> str | None:
    return next((p for p in ICC_CANDIDATES if Path(p).exists()), None)


def available(executable: str) -> bool:
    return shutil.which(executable) is not None and find_icc() is not None


async def to_pdfa(
    executable: str, src: Path, dst: Path, *, part: int, timeout_s: float, memory_mb: int, lossless: bool = False,
    niceness: int = DEFAULT_NICENESS,
) -> Completed:
    """`lossless`: keep raster images exactly (Flate, JPEGs passed through, no downsampling) —
    for scanned images, where the image is the document."""
    icc = find_icc()
    if icc is None:
        raise FileNotFoundError("no sRGB ICC profile for the PDF/A OutputIntent")
    definition = dst.parent / "pdfa_def.ps"
    definition.write_text(PDFA_DEF.format(icc=icc), encoding="ascii")
    argv = [
        executable, "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dQUIET", "-dNOOUTERSAVE",
        f"--permit-file-read={icc}", f"--permit-file-read={definition}",
        f"-dPDFA={part}", "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB",
        "-sProcessColorModel=DeviceRGB", "-sDEVICE=pdfwrite", f"-sOutputFile={dst}",
    ]
    if lossless:
        argv += [
            "-dAutoFilterColorImages=false", "-dAutoFilterGrayImages=false", "-sColorImageFilter=FlateEncode",
            "-sGrayImageFilter=FlateEncode", "-dDownsampleColorImages=false", "-dDownsampleGrayImages=false",
            "-dDownsampleMonoImages=false", "-dPassThroughJPEGImages=true",
        ]
    argv += [str(definition), str(src)]
    return await run_limited(argv, timeout_s=timeout_s, memory_mb=memory_mb, cwd=str(dst.parent), niceness=niceness)
