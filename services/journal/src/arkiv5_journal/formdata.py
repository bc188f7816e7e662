"""Streaming multipart/form-data: small fields in memory, every file straight into the blob store.

Starlette's form parser spools each file to a temporary file before the handler runs, so a
size limit could only be checked after the whole body was read. Here a file part streams
into the blob store as it arrives, and the limit stops the upload at the chunk that
crosses it. python-multipart does the parsing; this module only routes its callbacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from arkiv5_kit.errors import PayloadTooLarge, Unprocessable

from .blobstore import BlobStore, BlobTooLarge, BlobWriter, StoredBlob
from .errors import MalformedForm


@dataclass(frozen=True)
class FilePart:
    name: str
    """The form field name, by which the metadata refers to the file."""
    filename: str | None
    content_type: str | None
    blob: StoredBlob


@dataclass
class Form:
    fields: dict[str, bytes] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)
    writer: BlobWriter | None = None


def _decode(value: bytes, what: str) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedForm(f"The {what} of a part is not UTF-8.") from None


async def read_form(
    chunks: AsyncIterator[bytes], content_type: str, *, blobs: BlobStore, max_file_bytes: int, max_files: int,
    max_field_bytes: int,
) -> Form:
    """Read the whole form; files are in the blob store when this returns.

    Raises MalformedForm, PayloadTooLarge (a file or field over its limit) or Unprocessable
    (too many files, a field twice). Blobs of files already stored when a later part fails
    stay unreferenced in the content-addressed store; no record points at them.
    """
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedForm("multipart/form-data needs a boundary parameter in Content-Type.")
    form = Form()
    part = _Part()
    header_name = bytearray()
    header_value = bytearray()
    # Callbacks run inside parser.write (synchronous); file writes are awaited after it.
    pending: list[tuple[_Part, bytes | None]] = []  # (part, data) or (part, None) = part ended
    writers: list[BlobWriter] = []
    finished = False

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        part.headers[bytes(header_name).lower()] = bytes(header_value)
        header_name.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        disposition, options = parse_options_header(part.headers.get(b"content-disposition", b""))
        if disposition != b"form-data" or b"name" not in options:
            raise MalformedForm('Every part needs "Content-Disposition: form-data" with a name.')
        part.name = _decode(options[b"name"], "name")
        if b"filename" in options:
            if len(writers) >= max_files:
                raise Unprocessable(f"At most {max_files} documents can be sent in one request.")
            part.filename = _decode(options[b"filename"], "filename") or None
            part.writer = blobs.writer(max_bytes=max_file_bytes)
            writers.append(part.writer)
        elif part.name in form.fields:
            raise Unprocessable(f"The form field {part.name!r} is given twice.")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if part.writer is not None:
            pending.append((part, data[start:end]))
        else:
            part.data.extend(data[start:end])
            if len(part.data) > max_field_bytes:
                raise PayloadTooLarge(f"The form field {part.name!r} is larger than {max_field_bytes} bytes.")

    def on_part_end() -> None:
        if part.writer is not None:
            pending.append((part, None))
        else:
            form.fields[part.name] = bytes(part.data)

    def on_end() -> None:
        nonlocal finished
        finished = True

    parser = MultipartParser(boundary, {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished, "on_end": on_end,
    })
    try:
        async for chunk in chunks:
            try:
                parser.write(chunk)
            except FormParserError:
                raise MalformedForm("The multipart body is malformed.") from None
            for owner, data in pending:
                assert owner.writer is not None
                if data is not None:
                    try:
                        await owner.writer.write(data)
                    except BlobTooLarge:
                        raise PayloadTooLarge(
                            f"The document {owner.filename or owner.name!r} is larger than the limit of "
                            f"{max_file_bytes} bytes.") from None
                else:
                    blob = await owner.writer.commit()
                    if blob.size == 0:
                        raise Unprocessable(f"The document {owner.filename or owner.name!r} is empty.")
                    form.files.append(FilePart(name=owner.name, filename=owner.filename,
                                               content_type=_content_type(owner), blob=blob))
            pending.clear()
        if not finished:
            raise MalformedForm("The multipart body ended before its closing boundary.")
    except BaseException:
        for writer in writers:
            writer.discard()  # a committed writer has nothing left to discard
        raise
    return form


def _content_type(part: _Part) -> str | None:
    value = part.headers.get(b"content-type")
    return value.decode("latin-1") if value else None
