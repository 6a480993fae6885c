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
from seqlab.crawl.state import CrawlState, FinishedPage, state_path
from seqlab.crawl.urls import host_of


# The config parts that define which pages and items a crawl collects: a resume must keep
# them; politeness, retries, timeouts and concurrency may change between runs.
WHAT_TO_CRAWL = {"start_urls", "allowed_domains", "links", "items", "output"}


def summary_path(output: Path) -> Path:
    return output.with_name(output.name + ".summary.json")


@dataclass
class _Task:
    """A queued URL: ``depth`` clicks and ``hops`` redirects from its start URL."""

    url: str
    depth: int
    hops: int = 0


@dataclass
class _Done:
    task: _Task
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
        self.queues: dict[str, deque[_Task]] = {}
        for url, depth, hops in self.state.pending():
            self.queues.setdefault(host_of(url), deque()).append(_Task(url, depth, hops))
        self.in_flight: dict[Future, tuple[_Task, str]] = {}
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
                task, host = self.in_flight.pop(future)
                self.host_load[host] -= 1
                batch.append(self._result(future, task))
            if batch:
                self._record(batch)
            self.progress.tick()

    def _submit(self, pool: ThreadPoolExecutor) -> None:
        per_host, total = self.config.politeness.concurrency_per_host, self.config.concurrency
        for host, queue in self.queues.items():
            while queue and self.host_load.get(host, 0) < per_host and len(self.in_flight) < total:
                task = queue.popleft()
                self.in_flight[pool.submit(self._work, task)] = (task, host)
                self.host_load[host] = self.host_load.get(host, 0) + 1

    def _work(self, task: _Task) -> _Done:
        """Runs in a worker thread: network and parsing only, no shared writes."""
        outcome = self.fetcher.fetch(task.url)
        parsed = None
        if outcome.kind == "html":
            parsed = self.parser.parse(task.url, outcome.body, outcome.content_type)
        return _Done(task, outcome, parsed)

    @staticmethod
    def _result(future: Future, task: _Task) -> _Done:
        try:
            return future.result()
        except Exception as exc:  # a page that breaks the parser must not stop the crawl
            return _Done(task, Outcome("failed", task.url, reason=f"error: {type(exc).__name__}: {exc}"), None)

    def _record(self, batch: list[_Done]) -> None:
        """Write the pages' new items (one fsync), then commit each page's status, links,
        item keys and the output length in one transaction: group commit, so a slow fsync is
        paid once per batch of finished pages rather than once per page."""
        pages = []
        for done in batch:
            task, parsed = done.task, done.parsed
            items, keys, duplicates = self._new_items(parsed.items) if parsed else ([], [], 0)
            links = []
            if parsed and task.depth < self.config.links.max_depth:
                links = self._admit(parsed.links, task.depth + 1)
            status, reason, redirect = self._status(done)
            if redirect is not None:
                links = self._admit([redirect], task.depth, task.hops + 1)
            bad = parsed.bad_links if parsed else 0
            pages.append((FinishedPage(task.url, status, reason, links, keys, bad), items))
            self.progress.page(status, len(items), duplicates, bad)
        offset = self.sink.append([item for _, items in pages for item in items])
        self.state.finish_pages([page for page, _ in pages], offset)

    def _status(self, done: _Done) -> tuple[str, str, str | None]:
        """(status, reason, redirect target to queue) of a finished page. A redirect is
        followed only ``max_redirects`` times from the URL first queued: a server that
        answers every URL with a redirect to a fresh one cannot keep the crawl busy forever."""
        outcome, cap = done.outcome, self.config.max_redirects
        if outcome.kind == "html":
            return "done", outcome.reason, None
        if outcome.kind != "redirect":
            return outcome.kind, outcome.reason, None
        if done.task.hops >= cap:
            return "failed", f"more than {cap} redirects in a row (max_redirects)", None
        return "redirected", f"redirect to {outcome.location}", outcome.location

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

    def _admit(self, urls: list[str], depth: int, hops: int = 0) -> list[tuple[str, int, int]]:
        """Queue unseen URLs while under max_pages; returns them for the commit."""
        admitted = []
        for url in urls:
            if url in self.seen or len(self.seen) >= self.config.links.max_pages:
                continue
            self.seen.add(url)
            self.queues.setdefault(host_of(url), deque()).append(_Task(url, depth, hops))
            admitted.append((url, depth, hops))
        self.progress.queued(len(admitted))
        return admitted
