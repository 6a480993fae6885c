"""A multipart/form-data body streamed into the request's own directory, under a byte cap.

Why not FastAPI's ``UploadFile``: Starlette spools parts into temporary files of its own and
has no cap on a file part's size, so a client could fill the disk before the handler runs.
Here the body is counted as it arrives, chunked bodies included: the chunk that would pass
the cap is refused before it is written, and a ``Content-Length`` above the cap is refused
before a byte is read. File parts are written to ``part-N`` in the directory given; the
name the client sent is kept as a string only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from python_multipart.multipart import MultipartParser, parse_options_header

from seqlab.errors import DataError
from seqlab.serve.records import Upload

MAX_PARTS = 16
MAX_FIELD_BYTES = 1 << 20  # a form field (run id, sampling rate, pasted text)
MAX_HEADER_BYTES = 32 << 10  # a part's headers: room for a 10 KB file name


class UploadTooLarge(Exception):
    """The body passed the cap (HTTP 413)."""

    def __init__(self, cap: int):
        super().__init__(f"upload larger than the {cap / 1e6:g} MB limit (seqlab serve --max-upload-mb)")


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)


class _Collector:
    """python-multipart callbacks: headers per part, then data to a file or a field buffer."""

    def __init__(self, dest: Path):
        self.dest, self.form = dest, Form()
        self.headers: dict[bytes, bytes] = {}
        self.field, self.value = b"", b""
        self.name, self.filename, self.buffer, self.fh = "", None, bytearray(), None
        self.size, self.parts, self.ended = 0, 0, False

    def callbacks(self) -> dict:
        return {"on_part_begin": self.part_begin, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
                "on_part_end": self.part_end, "on_end": self.end}

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise DataError(f"more than {MAX_PARTS} parts in the form: upload one record")
        self.headers, self.field, self.value = {}, b"", b""

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def header_end(self) -> None:
        self.headers[self.field.lower()] = self.value
        self.field, self.value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        self.filename = None if raw is None else raw.decode("utf-8", "replace")
        self.buffer, self.size = bytearray(), 0
        if self.filename is not None:
            self.path = self.dest / f"part-{self.parts}"
            self.fh = open(self.path, "xb")  # noqa: SIM115  (closed in part_end or close)

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        self.size += len(chunk)
        if self.fh is not None:
            self.fh.write(chunk)
        elif self.size > MAX_FIELD_BYTES:
            raise DataError(f"form field {short_field(self.name)} is over {MAX_FIELD_BYTES:,} bytes")
        else:
            self.buffer += chunk

    def part_end(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None
            self.form.files.append(Upload(self.filename, self.path, self.size))
        else:
            self.form.fields[self.name] = self.buffer.decode("utf-8", "replace")

    def end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def short_field(name: str) -> str:
    return repr(name[:40])


def boundary_of(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise DataError("send the record as multipart/form-data (a form with file fields)")
    return boundary


async def receive_form(request, dest: Path, cap: int) -> Form:
    """Parse the request's multipart body into ``dest``; ``UploadTooLarge`` past ``cap`` bytes."""
    boundary = boundary_of(request.headers.get("content-type", ""))
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        raise UploadTooLarge(cap)
    collector = _Collector(dest)
    parser = MultipartParser(boundary, collector.callbacks(), max_header_size=MAX_HEADER_BYTES)
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > cap:
                raise UploadTooLarge(cap)
            parser.write(chunk)
        parser.finalize()
    except ValueError as exc:  # python-multipart's parse errors are ValueErrors
        raise DataError(f"malformed multipart body ({str(exc)[:120]})") from None
    finally:
        collector.close()
    if not collector.ended:
        raise DataError("the upload ended before the form did: send the whole form")
    return collector.form
