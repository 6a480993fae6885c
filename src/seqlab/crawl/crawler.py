"""The crawl loop: a coordinator thread that owns the state, worker threads that fetch+parse.

Workers only do network and parsing; every write (output file, SQLite) happens in the
coordinator, one finished page at a time, which is what makes a kill at any instant safe.
The coordinator keeps at most ``concurrency_per_host`` pages of a host in flight and at most
``concurrency`` overall; the host gates inside the fetcher space the requests themselves.
"""

from __future__ import annotations

import sys
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from seqlab import atomic
from seqlab.crawl.config import CrawlConfig
from seqlab.crawl.fetch import Fetcher, Outcome
from seqlab.crawl.parse import PageParser, ParsedPage, item_key
from seqlab.crawl.progress import Progress
from seqlab.crawl.sink import ItemSink
from seqlab.crawl.state import CrawlState, state_path
from seqlab.crawl.urls import host_of


# The config parts that define which pages and items a crawl collects: a resume must keep
# them; politeness, retries, timeouts and concurrency may change between runs.
WHAT_TO_CRAWL = {"start_urls", "allowed_domains", "links", "items", "output"}


def summary_path(output: Path) -> Path:
    return output.with_name(output.name + ".summary.json")


@dataclass
class _Done:
    url: str
    depth: int
    outcome: Outcome
    parsed: ParsedPage | None


class Crawler:
    """``Crawler(config).run()`` crawls until the frontier is empty and returns the summary.

    Run it again on the same output to resume: finished pages are not fetched again.
    """

    def __init__(self, config: CrawlConfig, progress: TextIO | None = sys.stderr, progress_every: float = 1.0):
        self.config = config
        self.output = Path(config.output.path)
        self.state = CrawlState(state_path(self.output), config.model_dump_json(include=WHAT_TO_CRAWL))
        self.state.add_start_urls(config.start_urls)
        columns = list(config.items.fields) if config.items else []
        if config.items and config.items.url_field:
            columns.append(config.items.url_field)
        self.sink = ItemSink(self.output, config.output.format, columns, self.state.output_offset)
        self.progress = Progress(self.state.counts(), progress, progress_every)
        self.fetcher = Fetcher(config)
        self.parser = PageParser(config)
        self.seen = self.state.seen_urls()
        self.item_keys = self.state.item_keys()
        self.queues: dict[str, deque[tuple[str, int]]] = {}
        for url, depth in self.state.pending():
            self.queues.setdefault(host_of(url), deque()).append((url, depth))
        self.in_flight: dict[Future, tuple[str, int, str]] = {}
        self.host_load: dict[str, int] = {}

    def run(self) -> dict:
        pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="crawl")
        try:
            self._loop(pool)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            self.fetcher.close()
        self.progress.tick(force=True)
        summary = self.progress.summary(
            self.state.problems("failed"), self.state.problems("skipped"), str(self.output), str(self.state.path)
        )
        atomic.write_json(summary_path(self.output), summary)
        self.sink.close()
        self.state.close()
        return summary

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        while True:
            self._submit(pool)
            if not self.in_flight:
                return
            finished, _ = wait(list(self.in_flight), timeout=self.progress.every, return_when=FIRST_COMPLETED)
            batch = []
            for future in finished:
                url, depth, host = self.in_flight.pop(future)
                self.host_load[host] -= 1
                batch.append(self._result(future, url, depth))
            if batch:
                self._record(batch)
            self.progress.tick()

    def _submit(self, pool: ThreadPoolExecutor) -> None:
        per_host, total = self.config.politeness.concurrency_per_host, self.config.concurrency
        for host, queue in self.queues.items():
            while queue and self.host_load.get(host, 0) < per_host and len(self.in_flight) < total:
                url, depth = queue.popleft()
                self.in_flight[pool.submit(self._work, url, depth)] = (url, depth, host)
                self.host_load[host] = self.host_load.get(host, 0) + 1

    def _work(self, url: str, depth: int) -> _Done:
        """Runs in a worker thread: network and parsing only, no shared writes."""
        outcome = self.fetcher.fetch(url)
        parsed = None
        if outcome.kind == "html":
            parsed = self.parser.parse(url, outcome.body, outcome.content_type)
        return _Done(url, depth, outcome, parsed)

    @staticmethod
    def _result(future: Future, url: str, depth: int) -> _Done:
        try:
            return future.result()
        except Exception as exc:  # a page that breaks the parser must not stop the crawl
            return _Done(url, depth, Outcome("failed", url, reason=f"error: {type(exc).__name__}: {exc}"), None)

    def _record(self, batch: list[_Done]) -> None:
        """Write the pages' new items (one fsync), then commit each page's status, links,
        item keys and the output length in one transaction: group commit, so a slow fsync is
        paid once per batch of finished pages rather than once per page."""
        pages = []
        for done in batch:
            outcome, links = done.outcome, []
            items, keys, duplicates = self._new_items(done.parsed.items) if done.parsed else ([], [], 0)
            if done.parsed and done.depth < self.config.links.max_depth:
                links = self._admit(done.parsed.links, done.depth + 1)
            status, reason = outcome.kind, outcome.reason
            if outcome.kind == "html":
                status = "done"
            elif outcome.kind == "redirect":
                status, reason = "redirected", f"redirect to {outcome.location}"
                links = self._admit([outcome.location], done.depth)
            pages.append((done.url, status, reason, links, keys, items))
            self.progress.page(status, len(items), duplicates)
        offset = self.sink.append([item for *_, items in pages for item in items])
        self.state.finish_pages([page[:5] for page in pages], offset)

    def _new_items(self, found: list[dict]) -> tuple[list[dict], list[str], int]:
        key_field = self.config.items.key if self.config.items else None
        items, keys = [], []
        for item in found:
            if key_field is not None and item.get(key_field) in (None, ""):
                continue  # no key, no identity: cannot be de-duplicated, so not kept
            key = item_key(item, key_field)
            if key in self.item_keys:
                continue
            self.item_keys.add(key)
            items.append(item)
            keys.append(key)
        return items, keys, len(found) - len(items)

    def _admit(self, urls: list[str], depth: int) -> list[tuple[str, int]]:
        """Queue unseen URLs while under max_pages; returns them for the commit."""
        admitted = []
        for url in urls:
            if url in self.seen or len(self.seen) >= self.config.links.max_pages:
                continue
            self.seen.add(url)
            self.queues.setdefault(host_of(url), deque()).append((url, depth))
            admitted.append((url, depth))
        self.progress.queued(len(admitted))
        return admitted
