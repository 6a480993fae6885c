"""One URL in, one outcome out: HTML, a redirect to queue, a skip, or a failure.

Retries live here (exponential backoff on connection errors, timeouts, 5xx and 429, with
Retry-After honoured through the host gate); redirects are *not* followed but returned, so the
target goes through the same domain fence, robots check and seen-set as any other link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from seqlab.crawl.config import CrawlConfig
from seqlab.crawl.politeness import HostGates, RobotsCache, parse_retry_after
from seqlab.crawl.urls import domain_allowed, host_of, normalise_url

HTML_TYPES = ("text/html", "application/xhtml+xml")
RETRY_STATUSES = {429, 500, 502, 503, 504}


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
        self.client = httpx.Client(
            headers={"User-Agent": polite.user_agent, "Accept": "text/html,application/xhtml+xml"},
            timeout=httpx.Timeout(config.timeouts.read_s, connect=config.timeouts.connect_s),
            limits=httpx.Limits(max_connections=config.concurrency + 4, max_keepalive_connections=config.concurrency + 4),
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
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.config.max_body_bytes:
                    return Outcome("skipped", url, reason=f"larger than {self.config.max_body_bytes} bytes")
            return Outcome("html", url, body=bytes(body), content_type=ctype)

    def _redirect(self, url: str, location: str | None) -> Outcome:
        target = normalise_url(location, url) if location else None
        if target is None:
            return Outcome("failed", url, reason="redirect without a usable Location")
        if not domain_allowed(target, self.config.allowed_domains):
            return Outcome("skipped", url, location=target, reason=f"redirect off the allowed domains to {target}")
        return Outcome("redirect", url, location=target)

    def _fetch_robots(self, robots_url: str) -> tuple[int | None, str]:
        def get(url: str) -> Outcome:
            for _ in range(5):  # RFC 9309: follow up to five redirects, here inside the fence
                response = self.client.get(url)
                target = normalise_url(response.headers.get("Location", ""), url) if response.is_redirect else None
                if target is None or not domain_allowed(target, self.config.allowed_domains):
                    break
                url = target
            if response.status_code in RETRY_STATUSES:
                return Outcome("failed", url, reason=f"HTTP {response.status_code}", extra={"retry": True})
            status = 404 if response.is_redirect else response.status_code  # unusable: as if absent
            return Outcome("html", url, body=response.content, extra={"status": status})

        outcome = self._with_retries(robots_url, host_of(robots_url), get)
        if outcome.kind == "failed":
            return (503 if outcome.reason.startswith("HTTP") else None), ""
        return outcome.extra["status"], outcome.body.decode("utf-8", errors="replace")
