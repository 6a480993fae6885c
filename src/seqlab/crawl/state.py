"""The crawl's memory on disk: frontier, seen-set, item keys and output offset in SQLite.

Each batch of finished pages is one transaction: mark them done, queue their new links (with
the redirect hops that led to each), record their item keys and the output length after their
items were fsynced. A crawl killed at any instant (SIGKILL included) therefore resumes from the last committed page: pages still 'pending'
are fetched again, and output bytes past the committed length (items of a page whose
commit never happened) are cut off before anything new is written, so every item is
written exactly once.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import NamedTuple

from seqlab.errors import SeqlabError

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | done | redirected | skipped | failed
    reason TEXT NOT NULL DEFAULT '',
    items INTEGER NOT NULL DEFAULT 0,
    hops INTEGER NOT NULL DEFAULT 0,          -- redirects followed to reach this URL
    bad_links INTEGER NOT NULL DEFAULT 0      -- malformed hrefs skipped on this page
);
CREATE INDEX IF NOT EXISTS pages_pending ON pages(status, seq);
CREATE TABLE IF NOT EXISTS item_keys (key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


# Columns added after the first release: a state file written before them gets them (as 0).
_ADDED_COLUMNS = ("hops", "bad_links")


def state_path(output: Path) -> Path:
    return output.with_name(output.name + ".crawl.sqlite")


class FinishedPage(NamedTuple):
    """One page's commit: its new links are (url, depth, hops) triples."""

    url: str
    status: str
    reason: str
    links: list[tuple[str, int, int]]
    item_keys: list[str]
    bad_links: int = 0


class CrawlState:
    """Owned by the coordinating thread only (SQLite connections are not shared)."""

    def __init__(self, path: Path, config_json: str):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        # WAL + NORMAL survives a killed process; the output is fsynced before each commit,
        # so a commit lost to power failure only rolls back to an earlier consistent page.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}
        for name in _ADDED_COLUMNS:
            if name not in columns:
                self.db.execute(f"ALTER TABLE pages ADD COLUMN {name} INTEGER NOT NULL DEFAULT 0")
        stored = self.get("config")
        if stored is None:
            self.set_meta({"config": config_json, "output_offset": "0"})
        elif json.loads(stored) != json.loads(config_json):
            raise SeqlabError(
                f"{path} was written by a different crawl config; "
                "resume with the same config or start again with --overwrite"
            )

    def get(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_meta(self, values: dict[str, str]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    @property
    def output_offset(self) -> int:
        return int(self.get("output_offset") or 0)

    def seen_urls(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT url FROM pages")}

    def pending(self) -> list[tuple[str, int, int]]:
        """(url, depth, redirect hops) of every page still to fetch, in queue order."""
        return self.db.execute("SELECT url, depth, hops FROM pages WHERE status = 'pending' ORDER BY seq").fetchall()

    def item_keys(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM item_keys")}

    def add_start_urls(self, urls: list[str]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO pages (url, depth) VALUES (?, 0)", [(u,) for u in urls])

    def finish_pages(self, pages: list[tuple], output_offset: int) -> None:
        """Everything some finished pages changed, committed together: each page's status,
        new links and item keys (a ``FinishedPage`` or a tuple of its fields), then the
        output length."""
        with self.db:
            self.db.execute("BEGIN")
            for page in (FinishedPage(*p) for p in pages):
                self.db.execute(
                    "UPDATE pages SET status = ?, reason = ?, items = ?, bad_links = ? WHERE url = ?",
                    (page.status, page.reason, len(page.item_keys), page.bad_links, page.url),
                )
                self.db.executemany("INSERT OR IGNORE INTO pages (url, depth, hops) VALUES (?, ?, ?)", page.links)
                self.db.executemany("INSERT OR IGNORE INTO item_keys VALUES (?)", [(k,) for k in page.item_keys])
            self.db.execute("UPDATE meta SET value = ? WHERE name = 'output_offset'", (str(output_offset),))

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM pages GROUP BY status").fetchall()
        counts = {"pending": 0, "done": 0, "skipped": 0, "failed": 0, **dict(rows)}
        counts["items"] = self.db.execute("SELECT COUNT(*) FROM item_keys").fetchone()[0]
        counts["bad_links"] = self.db.execute("SELECT COALESCE(SUM(bad_links), 0) FROM pages").fetchone()[0]
        return counts

    def problems(self, status: str) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT url, reason FROM pages WHERE status = ? ORDER BY seq", (status,))
        return [{"url": url, "reason": reason} for url, reason in rows]

    def close(self) -> None:
        self.db.close()
