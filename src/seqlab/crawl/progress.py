"""What a running crawl tells its user: a progress line on stderr and a final summary.

The summary is also written as JSON next to the output, so a scheduled crawl can be checked
(failed URLs and why) without scraping its log.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO


class Progress:
    """Counts this run's pages and items; prints at most once per ``every`` seconds."""

    def __init__(self, totals: dict[str, int], stream: TextIO | None = sys.stderr, every: float = 1.0):
        self.totals = Counter(totals)
        self.stream, self.every = stream, every
        self.started = time.monotonic()
        self.last_print = 0.0
        self.pages_this_run = 0
        self.items_this_run = 0
        self.duplicates = 0

    def page(self, status: str, items: int, duplicates: int, bad_links: int = 0) -> None:
        self.totals["pending"] -= 1
        self.totals[status] += 1
        self.totals["items"] += items
        self.totals["bad_links"] += bad_links
        self.pages_this_run += 1
        self.items_this_run += items
        self.duplicates += duplicates

    def queued(self, n: int) -> None:
        self.totals["pending"] += n

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.pages_this_run / max(self.elapsed, 1e-9)

    def line(self) -> str:
        t = self.totals
        return (
            f"crawl: fetched {t['done'] + t['redirected']} | queued {t['pending']} | "
            f"failed {t['failed']} | skipped {t['skipped']} | items {t['items']} | {self.rate:.1f} pages/s"
        )

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.stream is not None and (force or now - self.last_print >= self.every):
            self.last_print = now
            print(self.line(), file=self.stream, flush=True)

    def summary(self, failed: list[dict], skipped: list[dict], output: str, state: str) -> dict:
        reasons = Counter(s["reason"].split(" to ")[0] for s in skipped)
        failures = Counter(f["reason"] for f in failed)
        return {
            "output": output,
            "state": state,
            "finished": self.totals["pending"] == 0,
            "pages": {k: self.totals[k] for k in ("done", "redirected", "skipped", "failed", "pending")},
            "items_total": self.totals["items"],
            "items_this_run": self.items_this_run,
            "duplicate_items_dropped_this_run": self.duplicates,
            "pages_this_run": self.pages_this_run,
            "elapsed_s": round(self.elapsed, 3),
            "pages_per_s": round(self.rate, 1),
            "skipped_by_reason": dict(reasons),
            "failed_by_reason": dict(failures),
            "bad_links": self.totals["bad_links"],  # malformed hrefs skipped, pages kept
            "failed": failed,
        }
