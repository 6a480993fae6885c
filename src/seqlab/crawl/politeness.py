"""Per-host politeness: request spacing, a concurrency cap, Retry-After and robots.txt.

Every request to a host, retries and the robots.txt fetch included, passes through that
host's ``HostGate``, so the server never sees two requests closer than the host's delay
(Scrapy ignores both Crawl-delay and Retry-After; here both move the gate).
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Iterator
from urllib.robotparser import RobotFileParser


class HostGate:
    """Spaces requests to one host by ``delay_s`` and caps requests in flight.

    With a delay, requests to the host are sequential and each starts ``delay_s`` after the
    previous *response* arrived (and after the previous start): the server then never sees
    two requests closer than the delay, whatever the network or thread-scheduling jitter
    between our clock and its clock. Without a delay, up to ``concurrency`` run at once.
    """

    def __init__(self, delay_s: float, concurrency: int):
        self.delay_s = delay_s
        self._slots = threading.BoundedSemaphore(concurrency)
        self._queue = threading.Lock()  # one thread waits for the next start time at a time
        self._serial = threading.Lock()  # held for a whole request while delay_s > 0
        self._state = threading.Lock()
        self._next_start = 0.0

    @contextlib.contextmanager
    def request(self) -> Iterator[None]:
        with self._slots, (self._serial if self.delay_s > 0 else contextlib.nullcontext()):
            with self._queue:
                while True:
                    with self._state:
                        now = time.monotonic()
                        wait = self._next_start - now
                        if wait <= 0:
                            self._next_start = now + self.delay_s
                            break
                    time.sleep(wait)  # then re-check: defer() may have moved the start
            try:
                yield
            finally:
                self.defer(self.delay_s)

    def defer(self, seconds: float) -> None:
        """No request to this host for ``seconds`` from now (a Retry-After, a backoff)."""
        with self._state:
            self._next_start = max(self._next_start, time.monotonic() + seconds)

    def slow_down(self, delay_s: float) -> None:
        """Raise the delay (a robots.txt Crawl-delay), counted from now."""
        self.delay_s = max(self.delay_s, delay_s)
        self.defer(self.delay_s)


class HostGates:
    """One gate per host, created on first use with the configured delay and concurrency."""

    def __init__(self, delay_s: float, concurrency: int):
        self._delay_s, self._concurrency = delay_s, concurrency
        self._gates: dict[str, HostGate] = {}
        self._lock = threading.Lock()

    def __getitem__(self, host: str) -> HostGate:
        with self._lock:
            if host not in self._gates:
                self._gates[host] = HostGate(self._delay_s, self._concurrency)
            return self._gates[host]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc))
    5.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


# robots.txt answers: (status or None when unreachable, body text)
RobotsFetch = Callable[[str], "tuple[int | None, str]"]


class RobotsCache:
    """robots.txt per host, fetched once, through the host's gate.

    4xx (no robots.txt) allows everything; 401/403, 5xx and an unreachable host disallow
    everything for this crawl, as RFC 9309 asks. A Crawl-delay raises the host's delay.
    """

    def __init__(self, user_agent: str, fetch: RobotsFetch, gates: HostGates):
        self._ua, self._fetch, self._gates = user_agent, fetch, gates
        self._parsers: dict[str, RobotFileParser] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def allowed(self, url: str, origin: str, host: str) -> bool:
        return self._parser(origin, host).can_fetch(self._ua, url)

    def _parser(self, origin: str, host: str) -> RobotFileParser:
        with self._guard:
            if host in self._parsers:
                return self._parsers[host]
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            if host not in self._parsers:
                self._parsers[host] = self._load(origin, host)
            return self._parsers[host]

    def _load(self, origin: str, host: str) -> RobotFileParser:
        parser = RobotFileParser(origin + "/robots.txt")
        status, text = self._fetch(origin + "/robots.txt")
        if status is not None and status < 300:
            parser.parse(text.splitlines())
        elif status in (401, 403) or status is None or status >= 500:
            parser.disallow_all = True
        else:
            parser.allow_all = True
        parser.modified()
        delay = crawl_delay(text, self._ua) if status is not None and status < 300 else None
        if delay:
            self._gates[host].slow_down(float(delay))
        return parser


def crawl_delay(robots_txt: str, user_agent: str) -> float | None:
    r"""Crawl-delay for ``user_agent`` (its own group, else ``*``), fractions allowed.

    ``urllib.robotparser`` only accepts whole seconds and drops ``Crawl-delay: 0.5``.

    >>> crawl_delay("User-agent: other\nCrawl-delay: 9\n\nUser-agent: *\nCrawl-delay: 0.5", "seqlab/1.0")
    0.5
    """
    token = user_agent.split("/")[0].lower()
    groups: list[tuple[list[str], float | None]] = []
    in_rules = False
    for raw in robots_txt.splitlines():
        line = raw.split("#", 1)[0].strip()
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "user-agent":
            if in_rules or not groups:
                groups.append(([], None))
                in_rules = False
            groups[-1][0].append(value.lower())
        elif name and groups:
            in_rules = True
            if name == "crawl-delay":
                try:
                    groups[-1] = (groups[-1][0], float(value))
                except ValueError:
                    pass
    for wanted in (lambda a: a != "*" and a in token, lambda a: a == "*"):
        for names, delay in groups:
            if any(wanted(a) for a in names):
                return delay
    return None
