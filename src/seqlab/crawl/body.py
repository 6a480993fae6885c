"""Read one response body within a deadline and a size cap, whatever the server does.

httpx's read timeout applies to each socket read, so a server that sends one byte a second
holds a request forever; and its decoders inflate a whole network chunk at once, so a 64 KB
gzip chunk can become 64 MB before a size check sees it (gigabytes for a stacked
``gzip, gzip``). Here the raw bytes are read, the deadline is checked after every chunk, and
gzip/deflate are inflated with ``max_length``, so the decoded body never grows past the cap.
"""

from __future__ import annotations

import time
import zlib

import httpx

# What the crawler asks servers for: the encodings it can inflate within the cap.
ACCEPT_ENCODING = "gzip, deflate"
# Compressions it cannot bound (or never asked for): a response using one fails.
_UNSUPPORTED = {"br", "zstd", "compress", "x-compress"}


class BodyError(Exception):
    """The body was not read whole; ``data`` holds what was (at most the cap)."""

    def __init__(self, message: str, data: bytes = b""):
        super().__init__(message)
        self.data = data


class TooLarge(BodyError):
    pass


class TooSlow(BodyError):
    pass


class BadEncoding(BodyError):
    pass


class _Inflater:
    """gzip, deflate (zlib-wrapped or raw, as httpx accepts) or identity, at most ``room``
    decoded bytes per call."""

    def __init__(self, encoding: str):
        self.encoding = encoding
        self.first = True
        wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
        self.zlib = None if encoding == "identity" else zlib.decompressobj(wbits)

    def feed(self, data: bytes, room: int) -> bytes:
        if self.zlib is None:
            return data[:room]
        try:
            out = self.zlib.decompress(data, room)
        except zlib.error:
            if not (self.first and self.encoding == "deflate"):
                raise BadEncoding(f"corrupt {self.encoding} body") from None
            self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no zlib header
            out = self.zlib.decompress(data, room)
        self.first = False
        return out

    def flush(self) -> bytes:
        return self.zlib.flush() if self.zlib is not None else b""


def content_encoding(response: httpx.Response) -> str:
    """'identity', 'gzip' or 'deflate'; BadEncoding for anything it could not bound."""
    value = response.headers.get("Content-Encoding", "")
    codings = [c.strip().lower() for c in value.split(",") if c.strip().lower() not in ("", "identity")]
    codings = ["gzip" if c == "x-gzip" else c for c in codings]
    known = [c for c in codings if c in ("gzip", "deflate") or c in _UNSUPPORTED]
    if len(known) > 1 or (known and known[0] in _UNSUPPORTED):
        raise BadEncoding(f"unsupported Content-Encoding {value!r}")
    return known[0] if known else "identity"  # unknown tokens are ignored, as httpx does


def read_body(response: httpx.Response, limit: int, deadline: float, truncate: bool = False) -> bytes:
    """The decoded body; TooSlow once ``time.monotonic()`` passes ``deadline`` with the body
    still incomplete; past ``limit`` bytes TooLarge, or with ``truncate`` the first ``limit``
    bytes (the rest is never downloaded).

    Memory stays within about ``limit`` plus one network chunk, however the body is encoded.
    """
    inflater = _Inflater(content_encoding(response))
    declared = response.headers.get("Content-Length", "")
    if not truncate and inflater.encoding == "identity" and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"Content-Length {declared} is over the cap")
    body = bytearray()
    for chunk in response.iter_raw():
        body += inflater.feed(chunk, limit - len(body) + 1)
        if len(body) > limit:
            break
        if time.monotonic() > deadline:
            raise TooSlow("body not complete by the deadline", bytes(body))
    else:
        body += inflater.flush()
    if len(body) > limit and not truncate:
        raise TooLarge("body over the cap", bytes(body[:limit]))
    return bytes(body[:limit])
