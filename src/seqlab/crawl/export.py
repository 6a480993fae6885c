"""From crawled review items to the NSMC raw format the text pipeline builds from.

NSMC (Naver sentiment movie corpus) is movie reviews with their 1-10 ratings; seqlab's text
pipeline reads it as a gzip TSV with the header ``review_id movie_id rating date review``.
Crawled items become that file through a field mapping in the crawl config::

    export:
      nsmc: {review: text, rating: rating, review_id: review_id, movie_id: movie}

then ``seqlab crawl export CONFIG --format nsmc-tsv --out reviews.tsv.gz`` and
``seqlab data build nsmc --source reviews.tsv.gz`` (ratings 1-4 negative, 9-10 positive).
Items without text or a 1-10 rating are skipped and counted; tabs and newlines in the text
become spaces so each review stays one TSV row.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from seqlab import atomic
from seqlab.crawl.config import NsmcMapping
from seqlab.crawl.sink import read_items
from seqlab.errors import DataError

NSMC_HEADER = ("review_id", "movie_id", "rating", "date", "review")


def _clean(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def nsmc_row(item: dict, mapping: NsmcMapping, pattern: re.Pattern, fallback_id: int) -> tuple[str, ...] | None:
    """One TSV row for an item, or None when it has no text or no 1-10 rating.

    >>> m = NsmcMapping(review="text", rating="stars")
    >>> nsmc_row({"text": "최고의\\t영화", "stars": "별점 9점"}, m, re.compile(m.rating_pattern), 7)
    ('7', '', '9', '', '최고의 영화')
    """
    text = _clean(item.get(mapping.review))
    found = pattern.search(str(item.get(mapping.rating) or ""))
    if not text or not found:
        return None
    rating = int(found.group(1) if found.groups() else found.group(0))
    if not 1 <= rating <= 10:
        return None
    review_id = _clean(item.get(mapping.review_id)) if mapping.review_id else ""
    return (
        review_id or str(fallback_id),
        _clean(item.get(mapping.movie_id)) if mapping.movie_id else "",
        str(rating),
        _clean(item.get(mapping.date)) if mapping.date else "",
        text,
    )


def to_nsmc_tsv(items_path: str | Path, out_path: str | Path, mapping: NsmcMapping) -> dict[str, int]:
    """Write the NSMC gzip TSV (atomically); returns counts of rows written and skipped."""
    items_path, out_path = Path(items_path), Path(out_path)
    if not items_path.exists():
        raise DataError(f"no crawled items at {items_path}; run `seqlab crawl CONFIG` first")
    pattern = re.compile(mapping.rating_pattern)
    rows, skipped = [], 0
    for n, item in enumerate(read_items(items_path), start=1):
        row = nsmc_row(item, mapping, pattern, n)
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    if not rows:
        raise DataError(f"none of the {skipped} items in {items_path} has a review text and a 1-10 rating; check export.nsmc")
    text = "\t".join(NSMC_HEADER) + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    with atomic.atomic_open(out_path, "wb") as fh:
        with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(text.encode("utf-8"))
    return {"written": len(rows), "skipped": skipped}


def read_nsmc_tsv(path: str | Path) -> list[dict[str, str]]:
    """Rows of an NSMC gzip TSV as dicts (for checks and tests)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


__all__ = ["NSMC_HEADER", "to_nsmc_tsv", "read_nsmc_tsv", "nsmc_row"]
