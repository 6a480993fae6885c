"""The crawler against a hostile server on 127.0.0.1 (issue 20): it must finish, in bounded
time and memory, whatever the server does, and keep what the honest pages gave.

The server runs in a thread on an ephemeral port; every endless answer (trickle, lazy
100 MB robots.txt, endless page, redirect chain) stops when the test ends, when the client
goes away, or after a few seconds on its own, and the server shuts itself down after 60 s.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import tracemalloc
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from seqlab.crawl import Crawler
from seqlab.crawl.config import validate
from seqlab.crawl.crawler import WHAT_TO_CRAWL
from seqlab.crawl.parse import PageParser
from seqlab.crawl.sink import read_items
from seqlab.crawl.state import CrawlState, state_path

MB = 1 << 20
SERVER_LIFETIME_S = 60  # the server stops by itself even if a test hangs
ANSWER_LIMIT_S = 8  # no single answer streams longer than this
TRICKLE_GAP_S = 0.25  # one byte every 0.25 s: each read returns long before read_s
BOMB = gzip.compress(b"\0" * (50 * MB), compresslevel=9)  # 50 MB of zeros in ~50 KB


# A 100 MB robots.txt made on the fly: the real rules first, then ~64 KB blocks of filler rules.
ROBOTS_HEAD = b"User-agent: *\nDisallow: /private/\n"
ROBOTS_FILLER = b"".join(b"Disallow: /filler/%06d\n" % i for i in range(2700))
ROBOTS_BLOCKS = 100 * MB // len(ROBOTS_FILLER) + 1
HUGE_ROBOTS_BYTES = len(ROBOTS_HEAD) + ROBOTS_BLOCKS * len(ROBOTS_FILLER)


def huge_robots():
    yield ROBOTS_HEAD
    for _ in range(ROBOTS_BLOCKS):
        yield ROBOTS_FILLER


def page(items: list[str], links: list[str]) -> bytes:
    rows = "".join(f"<li class='review'><span class='id'>{i}</span></li>" for i in items)
    anchors = "".join(f'<a href="{href}">x</a>' for href in links)
    return f"<html><body><ul>{rows}</ul>{anchors}</body></html>".encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def setup(self):
        # A small send buffer, so "bytes sent" is close to what the crawler chose to read
        # (the crawler's receive buffer still holds up to a few MB the kernel accepted for it).
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        super().setup()

    def do_GET(self):
        site = self.server.site
        path = urlsplit(self.path).path
        with site.lock:
            site.hits[path] += 1
        if path in site.pages:
            return self.answer(200, site.pages[path])
        if path.startswith("/chain/"):  # every hop redirects to a URL never seen before
            return self.answer(302, b"", {"Location": f"/chain/{int(path.split('/')[2]) + 1}"})
        if path == "/bomb":
            return self.answer(200, BOMB, {"Content-Encoding": "gzip"})
        if path == "/trickle" or (path == "/robots.txt" and site.robots == "trickle"):
            return self.stream(self.trickle(), {"Content-Length": "10000"})
        if path == "/trickle-headers":  # the status line and headers themselves, a byte at a time
            return self.send_chunks(self.trickle(b"HTTP/1.1 200 OK\r\nX-Slow: "))
        if path == "/robots.txt" and site.robots == "huge":
            return self.stream(huge_robots(), {"Content-Length": str(HUGE_ROBOTS_BYTES)}, "text/plain")
        if path == "/huge":  # no Content-Length: the body ends when the server closes
            self.close_connection = True
            return self.stream(self.endless(), {"Connection": "close"})
        return self.answer(404, b"not here")

    def answer(self, status: int, body: bytes, headers: dict | None = None, ctype="text/html; charset=utf-8"):
        self.send_response(status)
        for name, value in {"Content-Type": ctype, "Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def stream(self, chunks, headers: dict, ctype="text/html; charset=utf-8"):
        """Send ``chunks`` until they end, the client leaves, the test ends or time is up."""
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.send_chunks(chunks)

    def send_chunks(self, chunks):
        site, until = self.server.site, time.monotonic() + ANSWER_LIMIT_S
        try:
            for chunk in chunks:
                if site.stop.is_set() or time.monotonic() > until:
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
                with site.lock:
                    site.sent[urlsplit(self.path).path] += len(chunk)
        except OSError:  # the crawler hung up: what it should do
            pass
        self.close_connection = True

    def trickle(self, head: bytes = b""):
        yield head
        for _ in range(10000):
            yield b"a"
            time.sleep(TRICKLE_GAP_S)

    def endless(self):
        block = b"<p>" + b"x" * 65_000 + b"</p>"
        while True:
            yield block


class Site:
    def __init__(self, pages: dict[str, bytes], robots: str):
        self.pages, self.robots = pages, robots
        self.hits: Counter = Counter()
        self.sent: Counter = Counter()
        self.lock, self.stop = threading.Lock(), threading.Event()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def hostile():
    """``hostile(pages, robots=None|'trickle'|'huge')`` -> (base URL, Site); 127.0.0.1 only."""
    started = []

    def start(pages: dict[str, bytes], robots: str | None = None):
        server = Server(("127.0.0.1", 0), Handler)
        server.site = Site(pages, robots)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        watchdog = threading.Timer(SERVER_LIFETIME_S, server.shutdown)
        watchdog.daemon = True
        watchdog.start()
        started.append((server, watchdog))
        return f"http://127.0.0.1:{server.server_address[1]}", server.site

    yield start
    for server, watchdog in started:
        server.site.stop.set()
        watchdog.cancel()
        server.shutdown()
        server.server_close()


def crawl_config(base: str, out, **over) -> dict:
    config = {
        "start_urls": [base + "/"],
        "items": {"selector": "li.review", "key": "id", "fields": {"id": "span.id"}},
        "output": {"path": str(out)},
        "politeness": {"delay_s": 0, "obey_robots": False, "user_agent": "seqlab-hostile/1.0"},
        "retries": {"max_tries": 3, "backoff_s": 0.05},
        "timeouts": {"connect_s": 2, "read_s": 5, "page_s": 1},
        "concurrency": 4,
    }
    for key, value in over.items():
        config[key] = {**config[key], **value} if isinstance(config.get(key), dict) else value
    return config


def timed_crawl(config: dict) -> tuple[dict, float]:
    started = time.monotonic()
    summary = Crawler(validate(config), progress=None).run()
    return summary, time.monotonic() - started


def crawl_with_peak(config: dict) -> tuple[dict, float, int]:
    """(summary, wall seconds, peak bytes traced during the crawl)."""
    crawl_config = validate(config)
    # soupsieve's first selector builds its tables: ~20 s under tracemalloc, so do it before.
    PageParser(crawl_config).parse(config["start_urls"][0], page(["warm-up"], ["/x"]), "text/html")
    tracemalloc.start()
    try:
        summary, wall = timed_crawl(config)
        return summary, wall, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def failed_reasons(summary: dict) -> dict[str, str]:
    return {urlsplit(f["url"]).path: f["reason"] for f in summary["failed"]}


@pytest.mark.parametrize("trap", ["/trickle", "/trickle-headers"])
def test_trickling_page_fails_at_the_page_deadline_and_the_crawl_goes_on(hostile, tmp_path, trap):
    base, site = hostile({"/": page(["a"], [trap, "/ok"]), "/ok": page(["b"], [])})
    summary, wall = timed_crawl(crawl_config(base, tmp_path / "o.jsonl"))
    print(f"{trap}: crawl {wall:.2f} s, {site.sent[trap]} bytes sent")
    assert wall < 5, f"crawl held {wall:.1f} s by a trickling server"
    assert failed_reasons(summary) == {trap: "page not complete within 1 s (timeouts.page_s)"}
    assert summary["failed_by_reason"] == {"page not complete within 1 s (timeouts.page_s)": 1}
    assert site.hits[trap] == 1, "a page past its deadline is not retried"
    assert site.sent[trap] < 40  # a few bytes in 1 s, never the 10,000 it promised
    assert sorted(i["id"] for i in read_items(tmp_path / "o.jsonl")) == ["a", "b"]
    assert summary["finished"] and summary["pages"]["done"] == 2


def test_trickling_robots_txt_is_given_up_at_the_deadline(hostile, tmp_path):
    base, site = hostile({"/": page(["a"], [])}, robots="trickle")
    config = crawl_config(base, tmp_path / "o.jsonl", politeness={"obey_robots": True})
    summary, wall = timed_crawl(config)
    print(f"trickling robots.txt: crawl {wall:.2f} s")
    assert wall < 5 and site.sent["/robots.txt"] < 10
    # an unreachable robots.txt disallows the host (RFC 9309): nothing else is fetched
    assert summary["finished"] and summary["skipped_by_reason"] == {"robots.txt disallows": 1}


def test_endless_page_and_gzip_bomb_stop_at_the_size_cap(hostile, tmp_path):
    base, site = hostile({"/": page(["a"], ["/huge", "/bomb", "/ok"]), "/ok": page(["b"], [])})
    config = crawl_config(base, tmp_path / "o.jsonl", max_page_bytes=200_000, timeouts={"page_s": 10})
    summary, wall, peak = crawl_with_peak(config)
    print(f"endless+bomb: crawl {wall:.2f} s, peak {peak / MB:.1f} MiB, /huge sent {site.sent['/huge'] / MB:.1f} MiB")
    cap = "page larger than 200000 bytes (max_page_bytes)"
    assert failed_reasons(summary) == {"/huge": cap, "/bomb": cap}
    assert peak < 10 * MB, f"peak {peak / MB:.1f} MB: a 50 MB gzip bomb was inflated"
    assert site.sent["/huge"] < 3 * MB and wall < 5  # it would go on for ANSWER_LIMIT_S
    assert sorted(i["id"] for i in read_items(tmp_path / "o.jsonl")) == ["a", "b"]


def test_100mb_robots_txt_is_read_up_to_500_kib_and_obeyed(hostile, tmp_path):
    links = ["/private/secret", "/ok"]
    base, site = hostile({"/": page(["a"], links), "/ok": page(["b"], []), "/private/secret": page(["c"], [])}, "huge")
    config = crawl_config(base, tmp_path / "o.jsonl", politeness={"obey_robots": True}, timeouts={"page_s": 10})
    summary, wall, peak = crawl_with_peak(config)
    print(f"100 MB robots.txt: crawl {wall:.2f} s, peak {peak / MB:.1f} MiB, sent {site.sent['/robots.txt'] / MB:.2f} MiB")
    assert site.hits["/robots.txt"] == 1 and site.hits["/private/secret"] == 0, "robots.txt rules not obeyed"
    # 500 KiB read; the rest of what was sent sat in kernel socket buffers when it hung up
    assert site.sent["/robots.txt"] < 3 * MB, f"{site.sent['/robots.txt'] / MB:.1f} MB of 100 MB robots.txt sent"
    assert peak < 20 * MB, f"peak {peak / MB:.1f} MB reading robots.txt"
    assert wall < 20 and summary["finished"] and summary["pages"]["done"] == 2


def test_redirect_chain_stops_at_max_redirects(hostile, tmp_path):
    base, site = hostile({})
    config = crawl_config(base, tmp_path / "o.jsonl", start_urls=[base + "/chain/0"])
    summary, wall = timed_crawl(config)

    chain = sorted(int(p.split("/")[2]) for p in site.hits if p.startswith("/chain/"))
    assert chain == list(range(11)), "the default max_redirects is 10: /chain/0 and 10 redirects"
    assert failed_reasons(summary) == {"/chain/10": "more than 10 redirects in a row (max_redirects)"}
    assert summary["pages"]["redirected"] == 10 and summary["finished"] and wall < 10


def test_redirect_hops_survive_a_resume(hostile, tmp_path):
    """A crawl killed while following a chain resumes with the hops it had counted."""
    base, site = hostile({})
    out = tmp_path / "o.jsonl"
    config = crawl_config(base, out, start_urls=[base + "/chain/0"], max_redirects=4)
    state = CrawlState(state_path(out), validate(config).model_dump_json(include=WHAT_TO_CRAWL))
    state.add_start_urls([base + "/chain/0"])
    for hop in range(3):  # the killed run had followed /chain/0 -> /chain/3 and committed that
        state.finish_pages([(f"{base}/chain/{hop}", "redirected", "", [(f"{base}/chain/{hop + 1}", 0, hop + 1)], [])], 0)
    state.close()

    summary = Crawler(validate(config), progress=None).run()
    assert sorted(site.hits) == ["/chain/3", "/chain/4"], "resume forgot the hops counted before the kill"
    assert failed_reasons(summary) == {"/chain/4": "more than 4 redirects in a row (max_redirects)"}


def test_malformed_link_costs_only_that_link(hostile, tmp_path):
    bad = ["http://[::1", "http://127.0.0.1:99999/", "//[", "/ok"]
    base, site = hostile({"/": page(["a", "b"], bad), "/ok": page(["c"], [])})
    summary, _ = timed_crawl(crawl_config(base, tmp_path / "o.jsonl"))

    assert sorted(i["id"] for i in read_items(tmp_path / "o.jsonl")) == ["a", "b", "c"]
    assert site.hits["/ok"] == 1 and summary["failed"] == []
    assert summary["bad_links"] == 3 and summary["pages"]["done"] == 2
