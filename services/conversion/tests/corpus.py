"""The generated test corpus: every document is made here, nothing is downloaded."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage

NORWEGIAN = "Blåbærsyltetøy på Ørland — æøå ÆØÅ"


def docx(pages: int = 1) -> bytes:
    from docx import Document
    from docx.enum.text import WD_BREAK

    document = Document()
    document.add_heading(f"Vedtak om {NORWEGIAN}", level=1)
    table = document.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"Celle {r}/{c} æøå"
    for page in range(1, pages):
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph(f"Side {page + 1}: {NORWEGIAN}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def odt() -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    document = OpenDocumentText()
    document.text.addElement(P(text=f"Saksframlegg {NORWEGIAN}"))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def rtf() -> bytes:
    return (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0 Times New Roman;}}"
            r"\f0\fs24 Bl\'e5b\'e6rsyltet\'f8y \'c6\'d8\'c5\par}").encode("ascii")


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Post", "Beløp"])
    sheet.append(["Brøyting", 1200])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pptx() -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for n in range(2):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Lysbilde {n + 1} æøå"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def html() -> bytes:
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>t</title></head><body>"
            f"<h1>{NORWEGIAN}</h1><table border='1'><tr><td>a</td><td>ø</td></tr></table>"
            # an external image must never be fetched (the profile blocks it)
            "<img src='http://127.0.0.1:9/x.png'></body></html>").encode()


def txt_latin1() -> bytes:
    return ("Referat fra møtet i formannskapet.\nSaken gjelder søknad om støtte til "
            "kulturhuset på Ørland, og rådmannen tilrår at søknaden innvilges.\n").encode("iso-8859-1")


def xml_latin1() -> bytes:
    return ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<melding><tekst>Søknad om løyve på Ørland</tekst>'
            "</melding>\n").encode("iso-8859-1")


def _image(fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def jpeg() -> bytes:
    return _image("JPEG")


def png() -> bytes:
    return _image("PNG")


def tiff() -> bytes:
    return _image("TIFF")


def tiff_multipage(pages: int = 3) -> bytes:
    """A scanned letter: one TIFF, several pages (frames), each its own colour."""
    from PIL import Image

    frames = [Image.new("RGB", (120, 160), (40 * n, 100, 255 - 40 * n)) for n in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return out.getvalue()


def png_with_alpha() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (64, 48), (10, 120, 200, 128)).save(out, format="PNG")
    return out.getvalue()


def pdf(pages: int = 3) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    for n in range(pages):
        page.drawString(72, 720, f"Side {n + 1}: {NORWEGIAN}")
        page.showPage()
    page.save()
    return out.getvalue()


def encrypted_pdf() -> bytes:
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf(1))) as document:
        document.save(out, encryption=pikepdf.Encryption(user="hemmelig", owner="hemmelig"))
    return out.getvalue()


def eml(attachments: bool = True) -> bytes:
    message = EmailMessage()
    message["From"] = "Kari Nordmann <kari@example.no>"
    message["To"] = "postmottak@kommune.example.no"
    message["Subject"] = "Søknad om løyve"
    message["Date"] = "Fri, 20 Nov 2026 10:00:00 +0100"
    message.set_content(f"Hei,\nvedlagt søknaden. {NORWEGIAN}\n")
    if attachments:
        message.add_attachment(docx(), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                               filename="søknad.docx")
        message.add_attachment(png(), maintype="image", subtype="png", filename="kart.png")
    return message.as_bytes()


def encrypted_docx(password: str = "hemmelig") -> bytes:
    """A password-protected DOCX (ECMA-376 agile encryption, as Word writes it)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx())).encrypt(password, out)
    return out.getvalue()


def big_alpha_png(side: int = 8000) -> bytes:
    """Small on disk, `side`² × 4 bytes once decoded (for the memory cap)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (side, side), (1, 2, 3, 100)).save(out, format="PNG")
    return out.getvalue()


def corrupt_docx() -> bytes:
    good = docx()
    return good[: len(good) // 3] + b"\x00garbage" * 50


def zip_bomb_docx(unpacked_mb: int = 64) -> bytes:
    """A valid-looking DOCX whose one entry inflates to `unpacked_mb` of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        with zipfile.ZipFile(io.BytesIO(docx())) as source:
            for item in source.infolist():
                package.writestr(item, source.read(item))
        with package.open("word/media/bomb.bin", "w", force_zip64=True) as bomb:
            chunk = b"\0" * (1 << 20)
            for _ in range(unpacked_mb):
                bomb.write(chunk)
    return out.getvalue()
