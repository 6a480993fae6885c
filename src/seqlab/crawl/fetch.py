"""One URL in, one outcome out: HTML, a redirect to queue, a skip, or a failure.

Retries live here (exponential backoff on connection errors, timeouts, 5xx and 429, with
Retry-After honoured through the host gate); redirects are *not* followed but returned, so the
target goes through the same domain fence, robots check and seen-set as any other link.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from seqlab.crawl.body import ACCEPT_ENCODING, BadEncoding, TooLarge, TooSlow, read_body
from seqlab.crawl.config import CrawlConfig
from seqlab.crawl.deadline import deadline, deadline_transport
from seqlab.crawl.politeness import HostGates, RobotsCache, parse_retry_after
from seqlab.crawl.urls import domain_allowed, host_of, normalise_url

HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = {429, 500, 502, 503, 504}
# Google reads the first 500 KiB of a robots.txt and ignores the rest; so do we.
ROBOTS_MAX_BYTES = 500 * 1024


@dataclass
class Outcome:
    """``kind`` is 'html', 'redirect', 'skipped' or 'failed'; ``reason`` says why for the last
    two; ``tries`` counts requests made for this URL."""

    kind: str
    url: str
    body: bytes = b""
    content_type: str | None = None
    location: str | None = None
    reason: str = ""
    tries: int = 0
    extra: dict = field(default_factory=dict)


class Fetcher:
    """Thread-safe: one shared ``httpx.Client`` (connection pool) and per-host gates."""

    def __init__(self, config: CrawlConfig):
        self.config = config
        polite = config.politeness
        self.gates = HostGates(polite.delay_s, polite.concurrency_per_host)
        times = config.timeouts
        self.client = httpx.Client(
            headers={
                "User-Agent": polite.user_agent,
                "Accept": "text/html,application/xhtml+xml",
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(min(times.read_s, times.page_s), connect=times.connect_s),
            # every socket operation also stops at the page deadline (see deadline.py)
            transport=deadline_transport(
                httpx.Limits(max_connections=config.concurrency + 4, max_keepalive_connections=config.concurrency + 4)
            ),
            follow_redirects=False,
        )
        self.robots = RobotsCache(polite.user_agent, self._fetch_robots, self.gates) if polite.obey_robots else None

    def close(self) -> None:
        self.client.close()

    def fetch(self, url: str) -> Outcome:
        parts = urlsplit(url)
        origin, host = f"{parts.scheme}://{parts.netloc}", host_of(url)
        if self.robots is not None and not self.robots.allowed(url, origin, host):
            return Outcome("skipped", url, reason="robots.txt disallows")
        return self._with_retries(url, host, self._get_page)

    def _with_retries(self, url: str, host: str, get) -> Outcome:
        retries, gate = self.config.retries, self.gates[host]
        reason = ""
        for attempt in range(1, retries.max_tries + 1):
            with gate.request():
                try:
                    outcome = get(url)
                except httpx.TimeoutException:
                    outcome, reason = None, "timeout"
                except httpx.TransportError as exc:
                    outcome, reason = None, f"connection error: {type(exc).__name__}"
            if outcome is not None and not outcome.extra.get("retry"):
                outcome.tries = attempt
                return outcome
            wait = min(retries.max_backoff_s, retries.backoff_s * 2 ** (attempt - 1))
            if outcome is not None:
                reason = outcome.reason
                after = outcome.extra.get("retry_after")
                if after is not None:
                    if after > self.config.politeness.max_retry_after_s:
                        return Outcome("failed", url, reason=f"{reason}; Retry-After {after:.0f}s too long", tries=attempt)
                    wait = max(wait, after)
            if attempt < retries.max_tries:
                gate.defer(wait)  # the whole host waits, not only this URL
        return Outcome("failed", url, reason=f"{reason} after {retries.max_tries} tries", tries=retries.max_tries)

    def _get_page(self, url: str) -> Outcome:
        started = time.monotonic()
        try:
            with deadline(started + self.config.timeouts.page_s):
                return self._get_page_by(url, started)
        except httpx.TimeoutException:
            if time.monotonic() < started + self.config.timeouts.page_s:
                raise  # an ordinary timeout: retried
            return self._too_slow(url)

    def _too_slow(self, url: str) -> Outcome:
        return Outcome("failed", url, reason=f"page not complete within {self.config.timeouts.page_s:g} s (timeouts.page_s)")

    def _get_page_by(self, url: str, started: float) -> Outcome:
        with self.client.stream("GET", url) as response:
            status = response.status_code
            if status in RETRY_STATUSES:
                after = parse_retry_after(response.headers.get("Retry-After")) if status in (429, 503) else None
                return Outcome("failed", url, reason=f"HTTP {status}", extra={"retry": True, "retry_after": after})
            if response.is_redirect:
                return self._redirect(url, response.headers.get("Location"))
            if status >= 400:
                return Outcome("failed", url, reason=f"HTTP {status}")
            ctype = response.headers.get("Content-Type", "")
            if not ctype.split(";")[0].strip().lower() in HTML_TYPES:
                return Outcome("skipped", url, reason=f"not HTML ({ctype.split(';')[0] or 'no content-type'})")
            return self._read_page(url, response, started, ctype)

    def _read_page(self, url: str, response: httpx.Response, started: float, ctype: str) -> Outcome:
        """The body within the page deadline and size cap; past either the page fails, and
        is not retried: the same server would most likely hold us just as long again."""
        limit, page_s = self.config.max_page_bytes, self.config.timeouts.page_s
        try:
            body = read_body(response, limit, started + page_s)
        except TooSlow:
            return self._too_slow(url)
        except TooLarge:
            return Outcome("failed", url, reason=f"page larger than {limit} bytes (max_page_bytes)")
        except BadEncoding as exc:
            return Outcome("failed", url, reason=str(exc))
        return Outcome("html", url, body=body, content_type=ctype)

    def _redirect(self, url: str, location: str | None) -> Outcome:
        target = normalise_url(location, url) if location else None
        if target is None:
            return Outcome("failed", url, reason="redirect without a usable Location")
        if not domain_allowed(target, self.config.allowed_domains):
            return Outcome("skipped", url, location=target, reason=f"redirect off the allowed domains to {target}")
        return Outcome("redirect", url, location=target)

    def _fetch_robots(self, robots_url: str) -> tuple[int | None, str]:
        outcome = self._with_retries(robots_url, host_of(robots_url), self._get_robots)
        if outcome.kind == "failed":
            return (503 if outcome.reason.startswith("HTTP") else None), ""
        return outcome.extra["status"], outcome.body.decode("utf-8", errors="replace")

    def _get_robots(self, url: str) -> Outcome:
        """robots.txt: up to five redirects inside the fence (RFC 9309), the first
        ROBOTS_MAX_BYTES of the body, all within one page deadline; past it the robots.txt
        counts as unreachable, at once."""
        until = time.monotonic() + self.config.timeouts.page_s
        try:
            with deadline(until):
                return self._get_robots_by(url, until)
        except httpx.TimeoutException:
            if time.monotonic() < until:
                raise
            return Outcome("failed", url, reason="robots.txt not complete by the deadline")

    def _get_robots_by(self, url: str, until: float) -> Outcome:
        hops = 0
        while True:
            with self.client.stream("GET", url) as response:
                status = response.status_code
                target = normalise_url(response.headers.get("Location", ""), url) if response.is_redirect else None
                if target is not None and domain_allowed(target, self.config.allowed_domains) and hops < 5:
                    url, hops = target, hops + 1
                    continue
                if status in RETRY_STATUSES:
                    return Outcome("failed", url, reason=f"HTTP {status}", extra={"retry": True})
                if response.is_redirect or status >= 300:  # unusable redirect: as if absent
                    return Outcome("html", url, extra={"status": 404 if response.is_redirect else status})
                try:
                    body = read_body(response, ROBOTS_MAX_BYTES, until, truncate=True)
                except (TooSlow, BadEncoding) as exc:  # unreachable, in RFC 9309's terms
                    return Outcome("failed", url, reason=f"robots.txt {exc}")
                if len(body) == ROBOTS_MAX_BYTES:
                    body = body[: body.rfind(b"\n") + 1]  # a line cut in half is not a rule
                return Outcome("html", url, body=body, extra={"status": status})
