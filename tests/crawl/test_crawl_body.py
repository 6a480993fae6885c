"""Reading a body within a size cap and a deadline, for every encoding a server may send."""

from __future__ import annotations

import gzip
import time
import zlib

import httpx
import pytest

from seqlab.crawl.body import BadEncoding, TooLarge, TooSlow, read_body

TEXT = b"<html>" + b"review " * 2000 + b"</html>"  # 14 KB
FAR = time.monotonic() + 3600


def response(body: bytes, chunk: int = 1000, **headers) -> httpx.Response:
    headers = {k.replace("_", "-"): v for k, v in headers.items()}
    return httpx.Response(200, headers=headers, content=iter([body[i : i + chunk] for i in range(0, len(body), chunk)]))


@pytest.mark.parametrize(
    "encoded, encoding",
    [
        (TEXT, None),
        (gzip.compress(TEXT), "gzip"),
        (gzip.compress(TEXT), "x-gzip"),
        (zlib.compress(TEXT), "deflate"),
        (zlib.compress(TEXT)[2:-4], "deflate"),  # raw deflate, no zlib header: servers send both
    ],
)
def test_every_supported_encoding_decodes(encoded, encoding):
    headers = {"Content_Encoding": encoding} if encoding else {}
    assert read_body(response(encoded, **headers), 100_000, FAR) == TEXT


def test_cap_counts_decoded_bytes_and_truncate_keeps_the_head():
    bomb = gzip.compress(b"\0" * 5_000_000)
    with pytest.raises(TooLarge) as err:
        read_body(response(bomb, chunk=65536, Content_Encoding="gzip"), 10_000, FAR)
    assert err.value.data == b"\0" * 10_000
    assert read_body(response(TEXT), 100, FAR, truncate=True) == TEXT[:100]
    with pytest.raises(TooLarge):  # a declared length over the cap is refused before reading
        read_body(response(TEXT, Content_Length=str(len(TEXT))), 100, FAR)


@pytest.mark.parametrize("encoding", ["br", "gzip, gzip", "zstd"])
def test_encodings_that_cannot_be_bounded_fail(encoding):
    with pytest.raises(BadEncoding, match="unsupported Content-Encoding"):
        read_body(response(TEXT, Content_Encoding=encoding), 100_000, FAR)


def test_corrupt_gzip_and_deadline():
    with pytest.raises(BadEncoding, match="corrupt gzip"):
        read_body(response(b"not gzip at all", Content_Encoding="gzip"), 100_000, FAR)
    with pytest.raises(TooSlow):
        read_body(response(TEXT), 100_000, time.monotonic() - 1)
    assert read_body(response(TEXT, Content_Encoding="identity, utf-8"), 100_000, FAR) == TEXT  # unknown: ignored
