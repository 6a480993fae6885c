"""The crawl's memory on disk: frontier, seen-set, item keys and output offset in SQLite.

Each batch of finished pages is one transaction: mark them done, queue its new links, record its item
keys and the output length after its items were fsynced. A crawl killed at any instant
(SIGKILL included) therefore resumes from the last committed page: pages still 'pending'
are fetched again, and output bytes past the committed length (items of a page whose
commit never happened) are cut off before anything new is written, so every item is
written exactly once.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from seqlab.errors import SeqlabError

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',   -- pending | done | skipped | failed
    reason TEXT NOT NULL DEFAULT '',
    items INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pages_pending ON pages(status, seq);
CREATE TABLE IF NOT EXISTS item_keys (key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def state_path(output: Path) -> Path:
    return output.with_name(output.name + ".crawl.sqlite")


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

    def pending(self) -> list[tuple[str, int]]:
        return self.db.execute("SELECT url, depth FROM pages WHERE status = 'pending' ORDER BY seq").fetchall()

    def item_keys(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT key FROM item_keys")}

    def add_start_urls(self, urls: list[str]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR IGNORE INTO pages (url, depth) VALUES (?, 0)", [(u,) for u in urls])

    def finish_pages(self, pages: list[tuple[str, str, str, list[tuple[str, int]], list[str]]], output_offset: int) -> None:
        """Everything some finished pages changed, committed together: for each page
        (url, status, reason, new links, item keys), then the output length."""
        with self.db:
            self.db.execute("BEGIN")
            for url, status, reason, new_links, item_keys in pages:
                self.db.execute(
                    "UPDATE pages SET status = ?, reason = ?, items = ? WHERE url = ?",
                    (status, reason, len(item_keys), url),
                )
                self.db.executemany("INSERT OR IGNORE INTO pages (url, depth) VALUES (?, ?)", new_links)
                self.db.executemany("INSERT OR IGNORE INTO item_keys VALUES (?)", [(k,) for k in item_keys])
            self.db.execute("UPDATE meta SET value = ? WHERE name = 'output_offset'", (str(output_offset),))

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM pages GROUP BY status").fetchall()
        counts = {"pending": 0, "done": 0, "skipped": 0, "failed": 0, **dict(rows)}
        counts["items"] = self.db.execute("SELECT COUNT(*) FROM item_keys").fetchone()[0]
        return counts

    def problems(self, status: str) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT url, reason FROM pages WHERE status = ? ORDER BY seq", (status,))
        return [{"url": url, "reason": reason} for url, reason in rows]

    def close(self) -> None:
        self.db.close()
