"""Append-only item output (JSONL or CSV), fsynced per page, cut back to the last commit.

The file is only ever appended to; ``CrawlState`` stores its length after each committed
page, and on open anything beyond that length (a page whose commit was interrupted) is
truncated away, so a resumed crawl never duplicates items.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from seqlab.errors import SeqlabError


class ItemSink:
    def __init__(self, path: Path, fmt: str, columns: list[str], committed_offset: int):
        self.path, self.fmt, self.columns = path, fmt, columns
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(path, "ab")
        size = self.fh.seek(0, os.SEEK_END)
        if size < committed_offset:
            raise SeqlabError(
                f"{path} is shorter ({size} bytes) than the crawl state says ({committed_offset}); "
                "it was edited or replaced: start again with --overwrite"
            )
        if size > committed_offset:  # items of a page whose commit did not happen
            self.fh.truncate(committed_offset)
            self.fh.seek(committed_offset)
            self._sync()

    def append(self, items: list[dict]) -> int:
        """Write the items durably; returns the new file length to commit."""
        data = self._encode(items, header=self.fh.tell() == 0)
        if data:
            self.fh.write(data)
            self._sync()
        return self.fh.tell()

    def _encode(self, items: list[dict], header: bool) -> bytes:
        if self.fmt == "jsonl":
            return "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items).encode("utf-8")
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.columns, extrasaction="ignore", lineterminator="\n")
        if header and items:
            writer.writeheader()
        writer.writerows(items)
        return buf.getvalue().encode("utf-8")

    def _sync(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def close(self) -> None:
        self.fh.close()


def read_items(path: Path) -> list[dict]:
    """Items back from a JSONL or CSV output (format from the suffix)."""
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
