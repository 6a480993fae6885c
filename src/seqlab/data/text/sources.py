"""Reading raw corpus files: a broken ``.gz`` becomes a one-line error naming the file."""

from __future__ import annotations

import contextlib
import gzip
import zlib
from pathlib import Path

from seqlab.errors import DataError


@contextlib.contextmanager
def gzip_errors(path: str | Path):
    """Turn a broken ``.gz`` (not gzip, truncated, corrupt) into a one-line DataError.

    gzip only notices while reading, deep inside a loop, so the whole read goes in here."""
    try:
        yield
    except EOFError:
        raise DataError(f"{path}: the gzip file is truncated (ends before its end-of-stream "
                        "marker); re-download it") from None
    except gzip.BadGzipFile as exc:
        what = "not a gzip file" if "Not a gzipped" in str(exc) else f"corrupt gzip data ({exc})"
        raise DataError(f"{path}: {what}; re-download it or give the uncompressed file") from None
    except zlib.error as exc:
        raise DataError(f"{path}: corrupt gzip data ({exc}); re-download it") from None
