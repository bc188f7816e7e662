"""One document through identification, the format policy, its converter and validation.

Everything here treats the input as hostile: sizes, zip declarations and page counts are
checked before a converter sees the file, converters run in bounded child processes, and
every failure ends as a `Result` with a machine code and a reason — never an exception
and never document content in the reason.

The work done in this process (decoding text, parsing e-mail, reading zip directories,
hashing, writing the work files) runs in worker threads, not on the event loop: in the
one-process suite that loop also answers every request, and a large document must not
hold it.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import io
import re
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import textcodec
from .engine import ghostscript, textlayer
from .engine.listeners import ListenerError, OfficeResult
from .engine.sandbox import run_limited
from .identify import FORMATS, PDFA_PUIDS, Identification, identify
from .policy import FormatPolicy, FormatRule
from .settings import ConversionSettings
from .validate import Validator, checksum

MAX_ATTACHMENTS = 50
PASSWORD_PROTECTED = ("the document is password-protected: ask the sender for a copy without a password "
                      "and file that as a new version")


class OfficeEngine(Protocol):
    async def convert(self, request: dict[str, Any], timeout_s: float) -> OfficeResult: ...


@dataclass
class Output:
    kept: bool                   # the source itself is the archival variant
    path: Path | None
    media_type: str
    puid: str | None
    sha256: str
    size: int
    pages: int | None = None


@dataclass
class Attachment:
    """One attachment of an e-mail, as sent: it becomes its own document and its own job."""

    index: int                   # 0-based position in the message: with the source checksum, its identity
    filename: str
    declared_media_type: str     # what the sender declared (never trusted: the job identifies the bytes)
    content: bytes

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.content).hexdigest()


@dataclass
class Result:
    format: str                  # bounded format label (docx, pdf, unknown, ...)
    source_puid: str | None
    source_media_type: str
    output: Output | None = None
    code: str | None = None
    reason: str | None = None
    attachments: list[Attachment] = field(default_factory=list)  # of an e-mail, taken out as sent

    @property
    def ok(self) -> bool:
        return self.output is not None


def failed(ident: Identification | None, code: str, reason: str) -> Result:
    if ident is None:
        return Result("unknown", None, "application/octet-stream", code=code, reason=reason[:500])
    return Result(ident.label, ident.puid, ident.media_type, code=code, reason=reason[:500])


class Converter:
    def __init__(
        self, settings: ConversionSettings, policy: FormatPolicy, office: OfficeEngine | None,
        validator: Validator, *, office_missing: str | None = None, ghostscript_missing: str | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy
        self.office = office
        self.validator = validator
        self.office_missing = office_missing
        self.ghostscript_missing = ghostscript_missing

    async def convert(self, data: bytes, workdir: Path, *, depth: int = 0) -> Result:
        workdir.mkdir(parents=True, exist_ok=True)
        if len(data) > self.settings.max_input_mb * 1024 * 1024:
            return failed(None, "too-large", f"the file is larger than {self.settings.max_input_mb} MB")
        ident = await asyncio.to_thread(identify, data)
        if ident.encrypted:
            return failed(ident, "password-protected", PASSWORD_PROTECTED)
        rule = self.policy.rule(ident.format)
        if rule is None:
            return failed(ident, "unsupported-format", f"no archival rule for the format {ident.media_type}"
                          + (f" ({ident.puid})" if ident.puid else ""))
        if rule.action == "reject":
            return failed(ident, "rejected-format", rule.reason or f"the format {ident.label} is not accepted")
        handler = {
            "libreoffice": self._office, "ghostscript": self._pdf, "keep": self._keep_image,
            "image-pdfa": self._image_pdfa, "utf8": self._text, "eml": self._eml,
        }[rule.action]
        try:
            return await handler(data, ident, rule, workdir, depth)
        except OSError as exc:
            return failed(ident, "converter-error", f"the converter could not run ({type(exc).__name__})")

    async def sending_pdf(self, data: bytes, workdir: Path) -> Result:
        """A PDF copy for sending (SvarUt takes PDF only) of any document, the kept ones included.

        A format the policy keeps as it is (an image, UTF-8 text or XML) is its own archival
        variant, so it has no PDF; this renders one: an image losslessly to PDF/A, text through
        LibreOffice Writer. Nothing is filed: the copy is what was sent, the archive keeps the
        original. Every other format is converted as for the archive.
        """
        workdir.mkdir(parents=True, exist_ok=True)
        if len(data) > self.settings.max_input_mb * 1024 * 1024:
            return failed(None, "too-large", f"the file is larger than {self.settings.max_input_mb} MB")
        ident = await asyncio.to_thread(identify, data)
        rule = self.policy.rule(ident.format)
        if ident.encrypted or rule is None or rule.action not in ("keep", "utf8"):
            return await self.convert(data, workdir)
        if rule.action == "keep":
            return await self._image_pdfa(data, ident, rule, workdir, 0)
        decoded = await asyncio.to_thread(textcodec.decode, data)
        if decoded is None:
            return failed(ident, "unknown-charset", UNKNOWN_CHARSET)
        writer = FormatRule(action="libreoffice", kind="writer")
        result = await self._office(decoded.text.encode("utf-8"), Identification("txt", ident.puid, ident.media_type),
                                    writer, workdir, 0, import_filter="Text (encoded)", filter_options="UTF8,LF,,,")
        result.format, result.source_puid, result.source_media_type = ident.label, ident.puid, ident.media_type
        return result

    # -- office documents -----------------------------------------------------------------

    def _zip_problem(self, data: bytes) -> tuple[str, str] | None:
        """Check a package's declared sizes before LibreOffice inflates it."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as package:
                entries = package.infolist()
        except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, RuntimeError):
            return ("corrupt", "the file is damaged (not a readable zip package)")
        if len(entries) > self.settings.max_zip_entries:
            return ("zip-bomb", f"the package has more than {self.settings.max_zip_entries} entries")
        total = sum(e.file_size for e in entries)
        if total > self.settings.max_unzipped_mb * 1024 * 1024:
            return ("zip-bomb", f"the package unpacks to more than {self.settings.max_unzipped_mb} MB")
        for entry in entries:
            if entry.file_size > 1 << 20 and entry.file_size > self.settings.max_zip_ratio * max(entry.compress_size, 1):
                return ("zip-bomb", f"a package entry is compressed more than {self.settings.max_zip_ratio}:1")
        return None

    async def _office(
        self, data: bytes, ident: Identification, rule: FormatRule, workdir: Path, _depth: int,
        *, import_filter: str | None = None, filter_options: str | None = None,
    ) -> Result:
        if data[:4] == b"PK\x03\x04" or ident.format in ("docx", "xlsx", "xlsb", "pptx", "odt", "ods", "odp"):
            problem = await asyncio.to_thread(self._zip_problem, data)
            if problem:
                return failed(ident, *problem)
        if ident.format == "html" and import_filter is None:
            utf8 = await asyncio.to_thread(html_as_utf8, data)
            if utf8 is None:
                return failed(ident, "unknown-charset", UNKNOWN_CHARSET)
            data = utf8
        if self.office is None:
            return failed(ident, "engine-missing", self.office_missing or "LibreOffice is not installed")
        src = workdir / f"source.{ident.format}"
        dst = workdir / "archival.pdf"
        await asyncio.to_thread(src.write_bytes, data)
        request = {
            "op": "convert", "src": str(src), "dst": str(dst), "pdfa": self.policy.pdfa_part,
            "import_filter": import_filter or rule.import_filter, "filter_options": filter_options,
            "max_pages": self.settings.max_pages, "expect_kind": rule.kind,
        }
        try:
            answer = await self.office.convert(request, self.settings.job_timeout_s)
        except ListenerError as exc:
            return failed(ident, "engine-missing", str(exc))
        if not answer.ok:
            code = {"load-failed": "corrupt"}.get(answer.code or "", answer.code or "converter-error")
            reason = answer.reason or "LibreOffice could not convert the file"
            if code == "corrupt":
                reason = "the file is damaged or cannot be read (LibreOffice could not load it)"
            return failed(ident, code, reason)
        return await self._validated(ident, dst, expected_pages=answer.pages)

    async def _validated(self, ident: Identification, dst: Path, *, expected_pages: int | None) -> Result:
        check = await self.validator.validate(dst, pdfa_part=self.policy.pdfa_part, expected_pages=expected_pages)
        if not check.ok:
            return failed(ident, check.code or "validation-failed", check.reason or "the output failed validation")
        if check.pages is not None and check.pages > self.settings.max_pages:
            return failed(ident, "too-many-pages", f"{check.pages} pages, the limit is {self.settings.max_pages}")
        assert check.sha256 is not None and check.size is not None
        part_conf = (str(self.policy.pdfa_part), (check.pdfa or "B")[-1:])
        output = Output(
            kept=False, path=dst, media_type="application/pdf", puid=PDFA_PUIDS.get(part_conf),
            sha256=check.sha256, size=check.size, pages=check.pages,
        )
        return Result(ident.label, ident.puid, ident.media_type, output=output)

    # -- PDF ------------------------------------------------------------------------------

    async def _pdf(self, data: bytes, ident: Identification, rule: FormatRule, workdir: Path, _depth: int) -> Result:
        src = workdir / "source.pdf"
        await asyncio.to_thread(src.write_bytes, data)
        extracted = workdir / "embedded"
        extracted.mkdir(exist_ok=True)
        probe = await run_limited(
            [sys.executable, "-m", "arkiv5_conversion.engine.pdfcheck", str(src), str(extracted)],
            timeout_s=min(self.settings.job_timeout_s, 60), memory_mb=self.settings.memory_limit_mb,
            niceness=self.settings.tool_niceness,
        )
        if probe.timed_out:
            return failed(ident, "timeout", "reading the PDF did not finish in time")
        try:
            import json

            facts = json.loads(probe.stdout or b"{}")
        except ValueError:
            facts = {}
        if facts.get("needs_password"):
            return failed(ident, "password-protected", "the PDF is password-protected: ask the sender for a copy "
                          "without a password and file that as a new version")
        if not facts.get("opens"):
            return failed(ident, "corrupt", "the PDF is damaged and cannot be read (no readable page tree): "
                          "ask the sender for a new copy")
        pages = int(facts.get("pages") or 0)
        if pages > self.settings.max_pages:
            return failed(ident, "too-many-pages", f"{pages} pages, the limit is {self.settings.max_pages}")
        # Embedded files become their own documents (filed like an e-mail's attachments), and the
        # PDF/A is made from a copy without them: PDF/A-2 allows no embedded files but PDF/A ones.
        attachments = [
            Attachment(index=index, filename=str(item.get("name") or f"vedlegg-{index + 1}"),
                       declared_media_type=str(item.get("media_type") or "application/octet-stream"),
                       content=await asyncio.to_thread(Path(str(item["file"])).read_bytes))
            for index, item in enumerate(facts.get("embedded") or [])
        ]
        if attachments:
            src = extracted / "stripped.pdf"
        if rule.keep_if_valid and self.validator.full and not attachments:
            check = await self.validator.validate(src, pdfa_part=self.policy.pdfa_part, expected_pages=pages)
            if check.ok and check.sha256 and check.size is not None:
                output = Output(True, None, "application/pdf", ident.puid, check.sha256, check.size, pages)
                return Result(ident.label, ident.puid, ident.media_type, output=output)
        if self.ghostscript_missing:
            return failed(ident, "engine-missing", self.ghostscript_missing)
        dst = workdir / "archival.pdf"
        done = await ghostscript.to_pdfa(
            self.settings.ghostscript_path, src, dst, part=self.policy.pdfa_part,
            timeout_s=self.settings.job_timeout_s, memory_mb=self.settings.memory_limit_mb,
            niceness=self.settings.tool_niceness,
        )
        if done.timed_out:
            return failed(ident, "timeout", f"the conversion did not finish in {self.settings.job_timeout_s:g} s")
        if done.returncode != 0:
            return failed(ident, "converter-error", f"Ghostscript failed (exit {done.returncode})")
        lost = await self._text_lost(src, dst)
        if lost:
            return failed(ident, "text-lost", lost)
        result = await self._validated(ident, dst, expected_pages=pages)
        if result.ok:
            result.attachments = attachments
        return result

    async def _text_lost(self, src: Path, dst: Path) -> str | None:
        """A reason when the PDF/A lost most of the source's text layer, else None."""
        timeout_s, memory_mb = min(self.settings.job_timeout_s, 60), self.settings.memory_limit_mb
        niceness = self.settings.tool_niceness
        before = await textlayer.words(src, timeout_s=timeout_s, memory_mb=memory_mb, niceness=niceness)
        after = await textlayer.words(dst, timeout_s=timeout_s, memory_mb=memory_mb, niceness=niceness)
        if before is None or after is None:
            return None
        share = textlayer.kept_share(before, after)
        if share is None or share >= textlayer.MIN_KEPT:
            return None
        return (f"making the PDF/A lost the text layer ({share:.0%} of the words were kept): the pages look the "
                "same, but the text could no longer be searched or copied. The original is kept as filed; ask the "
                "sender for a PDF/A, or make one from the source document")

    # -- images ---------------------------------------------------------------------------

    async def _keep_image(
        self, data: bytes, ident: Identification, rule: FormatRule, workdir: Path, _depth: int
    ) -> Result:
        problem, frames = await asyncio.to_thread(self._image_problem, data)
        if problem:
            return failed(ident, *problem)
        if frames > 1 and rule.multipage_action == "image-pdfa":
            return await self._image_pdfa(data, ident, rule, workdir, _depth)
        sha256, size = await asyncio.to_thread(_digest, data)
        output = Output(True, None, ident.media_type, ident.puid, sha256, size)
        return Result(ident.label, ident.puid, ident.media_type, output=output)

    def _image_problem(self, data: bytes) -> tuple[tuple[str, str] | None, int]:
        """(a problem, or None; the number of pages/frames)."""
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = self.settings.max_image_pixels
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                with Image.open(io.BytesIO(data)) as image:
                    frames = int(getattr(image, "n_frames", 1) or 1)
                    image.verify()
                if frames > self.settings.max_pages:
                    return ("too-many-pages", f"{frames} pages, the limit is {self.settings.max_pages}"), frames
                # verify() reads only the structure: decode every pixel of every frame, so that a
                # truncated or damaged image is refused now, not found unreadable years later.
                with Image.open(io.BytesIO(data)) as image:
                    for index in range(frames):
                        image.seek(index)
                        image.load()
            except (Image.DecompressionBombError, Image.DecompressionBombWarning):
                return ("image-bomb", "the image has more pixels than allowed"), 0
            except OSError as exc:
                if "truncated" in str(exc):
                    return ("corrupt", "the image is incomplete (the file ends before the picture does): "
                            "ask the sender for the whole file"), 0
                return ("corrupt", "the image is damaged and cannot be decoded"), 0
            except Exception:
                return ("corrupt", "the image is damaged and cannot be read"), 0
        return None, frames

    async def _image_pdfa(
        self, data: bytes, ident: Identification, rule: FormatRule, workdir: Path, _depth: int
    ) -> Result:
        """Image -> PDF (img2pdf, lossless, bounded child) -> PDF/A (Ghostscript) -> validated."""
        problem, frames = await asyncio.to_thread(self._image_problem, data)
        if problem:
            return failed(ident, *problem)
        if self.ghostscript_missing:
            return failed(ident, "engine-missing", self.ghostscript_missing)
        src = workdir / f"source.{ident.format or 'img'}"
        mid = workdir / "image.pdf"
        await asyncio.to_thread(src.write_bytes, data)
        made = await run_limited(
            [sys.executable, "-m", "arkiv5_conversion.engine.images", str(src), str(mid),
             str(self.settings.max_image_pixels)],
            timeout_s=self.settings.job_timeout_s, memory_mb=self.settings.memory_limit_mb,
            niceness=self.settings.tool_niceness,
        )
        if made.timed_out:
            return failed(ident, "timeout", f"the conversion did not finish in {self.settings.job_timeout_s:g} s")
        try:
            import json

            answer = json.loads(made.stdout or b"{}")
        except ValueError:
            answer = {}
        if not answer.get("ok"):
            if made.returncode not in (0, None) and not answer:
                return failed(ident, "converter-crashed", f"the image converter stopped (exit {made.returncode})")
            return failed(ident, str(answer.get("code") or "converter-error"),
                          str(answer.get("reason") or "the image could not be converted"))
        dst = workdir / "archival.pdf"
        done = await ghostscript.to_pdfa(
            self.settings.ghostscript_path, mid, dst, part=self.policy.pdfa_part,
            timeout_s=self.settings.job_timeout_s, memory_mb=self.settings.memory_limit_mb, lossless=True,
            niceness=self.settings.tool_niceness,
        )
        if done.timed_out:
            return failed(ident, "timeout", f"the conversion did not finish in {self.settings.job_timeout_s:g} s")
        if done.returncode != 0:
            return failed(ident, "converter-error", f"Ghostscript failed (exit {done.returncode})")
        return await self._validated(ident, dst, expected_pages=frames)

    # -- text -----------------------------------------------------------------------------

    async def _text(self, data: bytes, ident: Identification, rule: FormatRule, workdir: Path, _depth: int) -> Result:
        puid, media_type = FORMATS[ident.format or "txt"]
        decoded = await asyncio.to_thread(textcodec.decode, data)
        if decoded is None:
            return failed(ident, "unknown-charset", UNKNOWN_CHARSET)
        if decoded.charset == "utf-8":
            sha256, size = await asyncio.to_thread(_digest, data)
            return Result(ident.label, ident.puid, ident.media_type,
                          output=Output(True, None, f"{media_type}; charset=utf-8", puid, sha256, size))
        text = decoded.text
        if ident.format == "xml":
            # The declaration must name what the bytes now are: UTF-8.
            text = _XML_DECL_ENCODING.sub(r"\1UTF-8\2", text, count=1)
        out = workdir / "archival.txt"
        encoded = text.encode("utf-8")
        await asyncio.to_thread(out.write_bytes, encoded)
        sha256, size = await asyncio.to_thread(_digest, encoded)
        return Result(ident.label, ident.puid, ident.media_type,
                      output=Output(False, out, f"{media_type}; charset=utf-8", puid, sha256, size))

    # -- e-mail ---------------------------------------------------------------------------

    async def _eml(self, data: bytes, ident: Identification, rule: FormatRule, workdir: Path, depth: int) -> Result:
        try:
            message, body, is_html, attachments = await asyncio.to_thread(_parse_message, data)
        except _Undecodable:
            return failed(ident, "unknown-charset", "the message's text is in a character set that could not be "
                          "determined: ask the sender to send it again as UTF-8")
        except Exception:
            return failed(ident, "corrupt", "the e-mail message cannot be parsed")
        if len(attachments) > MAX_ATTACHMENTS:
            return failed(ident, "too-many-attachments", f"more than {MAX_ATTACHMENTS} attachments")
        names = [a.get_filename() or f"vedlegg {i + 1}" for i, a in enumerate(attachments)]
        header_lines = [f"{label}: {message.get(name, '')}" for label, name in
                        (("Fra", "From"), ("Til", "To"), ("Kopi", "Cc"), ("Dato", "Date"), ("Emne", "Subject"))
                        if message.get(name)]
        if names:
            header_lines.append("Vedlegg: " + ", ".join(names))
        if is_html:
            import html

            head = "".join(f"<p>{html.escape(line)}</p>" for line in header_lines) + "<hr/>"
            body = _HTML_CHARSET_META.sub("", body)
            opening = _HTML_BODY.search(body)
            if opening:
                body = body[: opening.end()] + head + body[opening.end():]
            else:
                body = f"<body>{head}{body}</body>"
            document = f"<html><head><meta charset=\"utf-8\"></head>{body}</html>"
            filter_name, options, suffix = "HTML (StarWriter)", None, "html"
        else:
            document = "\n".join(header_lines) + "\n\n" + body
            filter_name, options, suffix = "Text (encoded)", "UTF8,LF,,,", "txt"
        rendered = Identification(suffix, ident.puid, ident.media_type)
        writer = FormatRule(action="libreoffice", kind="writer")
        result = await self._office(document.encode("utf-8"), rendered, writer, workdir, depth,
                                    import_filter=filter_name, filter_options=options)
        result.format, result.source_puid, result.source_media_type = ident.label, ident.puid, ident.media_type
        if not result.ok:
            return result
        # Each attachment becomes its own document in the journal and its own conversion job
        # (service.py); here it is only taken out of the message, as it was sent.
        result.attachments = await asyncio.to_thread(
            lambda: [_extract(attachment, index) for index, attachment in enumerate(attachments)])
        return result


_HTML_BODY = re.compile(r"<body[^>]*>", re.I)
_TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.I | re.S)


class _Undecodable(Exception):
    """A body part whose bytes no charset decodes faithfully."""


def _part_text(part: email.message.EmailMessage | None) -> str:
    """The part's text, decoded strictly: by its declared charset when that fits the bytes,
    else by what the bytes are (a mislabelled charset is common), else refused."""
    if part is None:
        return ""
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return ""
    declared = part.get_content_charset()
    if declared:
        try:
            return raw.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    decoded = textcodec.decode(raw)
    if decoded is None:
        raise _Undecodable
    return decoded.text


def _parse_message(
    data: bytes,
) -> tuple[email.message.EmailMessage, str, bool, list[email.message.EmailMessage]]:
    """The message, its richest body (and whether it is HTML) and its attachments."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    body, is_html = _richest_body(message)
    return message, body, is_html, list(message.iter_attachments())


def _richest_body(message: email.message.EmailMessage) -> tuple[str, bool]:
    """The richest alternative that says something: HTML unless it is empty, then plain text."""
    html_body = _part_text(message.get_body(preferencelist=("html",)))  # type: ignore[arg-type]
    if _TAGS.sub("", html_body).replace("&nbsp;", " ").strip():
        return html_body, True
    plain_body = _part_text(message.get_body(preferencelist=("plain",)))  # type: ignore[arg-type]
    return plain_body, False


def _extract(part: email.message.EmailMessage, index: int) -> Attachment:
    filename = part.get_filename() or f"vedlegg-{index + 1}"
    try:
        content = part.get_content()
        if isinstance(content, email.message.Message):  # a forwarded message (message/rfc822)
            payload = content.as_bytes()
        elif isinstance(content, bytes):
            payload = content
        else:
            payload = str(content).encode("utf-8")
    except Exception:
        # Undecodable transfer encoding: keep what was sent, so nothing is lost; its own job
        # will then fail with a reason the morning report shows.
        raw = part.get_payload(decode=False)
        payload = raw.encode("utf-8", "replace") if isinstance(raw, str) else b""
    return Attachment(index=index, filename=filename[:255], declared_media_type=part.get_content_type(),
                      content=payload)


_XML_DECL_ENCODING = re.compile(r"""(<\?xml[^>]*encoding\s*=\s*["'])[^"']+(["'])""")


UNKNOWN_CHARSET = ("the text's character set could not be determined (no declaration, and no character set "
                   "decodes it without errors): ask the sender for the text saved as UTF-8")
_HTML_CHARSET_META = re.compile(r"""<meta[^>]+?charset\s*=\s*["']?\s*[A-Za-z0-9._:-]+["']?[^>]*>""", re.I)
_HTML_HEAD = re.compile(r"<head[^>]*>", re.I)


def html_as_utf8(data: bytes) -> bytes | None:
    """The page decoded by its declared or detected charset, re-encoded as UTF-8 that says so."""
    decoded = textcodec.decode(data)
    if decoded is None:
        return None
    text = _HTML_CHARSET_META.sub("", decoded.text)
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    head = _HTML_HEAD.search(text)
    text = text[: head.end()] + meta + text[head.end():] if head else meta + text
    return text.encode("utf-8")


def _digest(data: bytes) -> tuple[str, int]:
    import hashlib

    return hashlib.sha256(data).hexdigest(), len(data)


__all__ = ["Attachment", "Converter", "Output", "Result", "checksum"]
