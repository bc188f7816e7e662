"""Raster image (JPEG, PNG, TIFF, multi-page TIFF) -> plain PDF, losslessly, with img2pdf.

Ghostscript then makes the PDF/A (engine/ghostscript.py, lossless image filters). Image
decoders are the riskiest code a converter runs, so this runs as a bounded child process
(`python -m arkiv5_conversion.engine.images SRC DST MAX_PIXELS`) that prints
`{"ok": true, "pages": N}` or `{"ok": false, "code": ..., "reason": ...}` as JSON.
"""

from __future__ import annotations

import io
import json
import sys


def to_pdf(src: str, dst: str, max_pixels: int) -> dict[str, object]:
    import img2pdf
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = max_pixels
    with open(src, "rb") as handle:
        data = handle.read()
    try:
        pdf = img2pdf.convert(data, rotation=img2pdf.Rotation.ifvalid)
    except img2pdf.AlphaChannelError:
        # PDF/A-2 allows transparency, but img2pdf will not split the alpha channel off:
        # flatten every frame onto white (the colour channels stay lossless).
        frames = []
        with Image.open(io.BytesIO(data)) as image:
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                rgba = image.convert("RGBA")
                flat = Image.new("RGB", rgba.size, (255, 255, 255))
                flat.paste(rgba, mask=rgba.getchannel("A"))
                out = io.BytesIO()
                flat.save(out, format="PNG")
                frames.append(out.getvalue())
        pdf = img2pdf.convert(frames)
    with open(dst, "wb") as handle:
        handle.write(pdf)
    import pikepdf

    with pikepdf.open(dst) as document:
        pages = len(document.pages)
    return {"ok": True, "pages": pages}


def main() -> int:
    src, dst, max_pixels = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        answer = to_pdf(src, dst, max_pixels)
    except MemoryError:
        answer = {"ok": False, "code": "too-large", "reason": "the image needs more memory than allowed"}
    except Exception as exc:
        from PIL import Image

        if isinstance(exc, Image.DecompressionBombError):
            answer = {"ok": False, "code": "image-bomb", "reason": "the image has more pixels than allowed"}
        else:
            answer = {"ok": False, "code": "corrupt",
                      "reason": f"the image cannot be converted to PDF ({type(exc).__name__})"}
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
