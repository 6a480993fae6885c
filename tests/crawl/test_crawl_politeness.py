"""Per-host request spacing measured at the server: never faster than 1/delay."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

from seqlab.crawl import Crawler
from seqlab.crawl.config import validate
from seqlab.crawl.politeness import HostGate, parse_retry_after



def gaps(site) -> list[float]:
    times = sorted(h.t for h in site.hits)
    return [b - a for a, b in zip(times, times[1:])]


@pytest.mark.parametrize("delay", [0.1, 0.25])
def test_config_delay_spaces_every_request(make_site, review_config, tmp_path, delay):
    base, site = make_site(traps=False, movies=3, pages=2)
    config = review_config(base, tmp_path / "r.jsonl", politeness={"delay_s": delay, "concurrency_per_host": 3})
    Crawler(validate(config), progress=None).run()
    assert len(site.hits) == 1 + 1 + 6  # robots.txt, index, 3 movies x 2 pages
    assert min(gaps(site)) >= delay
    times = sorted(h.t for h in site.hits)
    assert (len(times) - 1) / (times[-1] - times[0]) <= 1 / delay


def test_robots_crawl_delay_overrides_smaller_config_delay(make_site, review_config, tmp_path):
    base, site = make_site(traps=False, movies=2, pages=2, crawl_delay=0.3)
    config = review_config(base, tmp_path / "r.jsonl", politeness={"delay_s": 0.0, "concurrency_per_host": 4})
    Crawler(validate(config), progress=None).run()
    request_gaps = gaps(site)  # robots.txt, then the index and 4 review pages
    assert len(request_gaps) == 5 and min(request_gaps) >= 0.3


def test_retry_after_as_http_date(make_site, review_config, tmp_path):
    when = datetime.now(timezone.utc) + timedelta(seconds=2)
    base, site = make_site(retry_after=format_datetime(when, usegmt=True))
    config = review_config(base, tmp_path / "r.jsonl", start_urls=[base + "/busy"], links={"max_depth": 0})
    summary = Crawler(validate(config), progress=None).run()
    busy = [h.t for h in site.hits if h.path == "/busy"]
    assert summary["pages"]["done"] >= 1 and len(busy) == 2
    assert busy[1] - busy[0] >= 0.9  # the date has one-second resolution


def test_too_long_retry_after_gives_up(make_site, review_config, tmp_path):
    base, site = make_site(retry_after="3600")
    config = review_config(base, tmp_path / "r.jsonl", start_urls=[base + "/busy"], links={"max_depth": 0})
    summary = Crawler(validate(config), progress=None).run()
    assert [f["reason"] for f in summary["failed"]] == ["HTTP 429; Retry-After 3600s too long"]


def test_parse_retry_after_rejects_garbage():
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    past = format_datetime(datetime.now(timezone.utc) - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(past) == 0.0


def test_gate_defer_delays_the_next_start():
    import time

    gate = HostGate(delay_s=0.0, concurrency=1)
    with gate.request():
        pass
    gate.defer(0.2)
    start = time.monotonic()
    with gate.request():
        pass
    assert time.monotonic() - start >= 0.19


@pytest.mark.parametrize("status, crawled", [(404, True), (403, False), (500, False)])
def test_robots_txt_missing_allows_forbidden_or_broken_disallows(make_site, review_config, tmp_path, status, crawled):
    base, site = make_site(traps=False, movies=1, pages=1, robots_status=status)
    config = review_config(base, tmp_path / "r.jsonl", retries={"max_tries": 2, "backoff_s": 0.01})
    summary = Crawler(validate(config), progress=None).run()
    assert (summary["pages"]["done"] == 2) is crawled
    assert (summary["skipped_by_reason"] == {"robots.txt disallows": 1}) is not crawled
    assert all(h.path == "/robots.txt" for h in site.hits) is not crawled
