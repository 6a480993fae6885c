"""A small movie-review site on 127.0.0.1 for the crawler tests, with every trap issue 7 lists.

Pages: ``/`` links to paginated review lists ``/movie/<m>/reviews?page=<p>`` (each review has
an id, a text and a 1-10 rating, pagination links back to page 1 make loops), an EUC-KR page
with no charset in the HTTP header, ``/private/`` (disallowed by robots.txt), ``/busy`` (429 +
Retry-After once), ``/flaky`` (500 twice, then 200), ``/slow`` (answers after the timeout),
``/away`` (redirects to http://localhost:<port>/, another domain), ``/file.bin`` (binary) and
``/moved`` (redirects to ``/loop/b``), ``/loop/a`` <-> ``/loop/b`` (a link loop with fragment/query spellings of the same URL).
Every request is logged with its arrival time, path, Host and User-Agent.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

TRAPS = ["/euckr.html", "/private/secret.html", "/busy", "/flaky", "/slow", "/away", "/file.bin", "/loop/a", "/missing", "/moved"]


@dataclass
class SiteSpec:
    movies: int = 3
    pages: int = 3
    per_page: int = 4
    traps: bool = True
    crawl_delay: float | None = None
    slow_s: float = 1.5
    retry_after: str = "1"
    robots_status: int = 200


@dataclass
class Hit:
    t: float
    path: str
    host: str
    user_agent: str


@dataclass
class SiteState:
    spec: SiteSpec
    hits: list[Hit] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, key: str) -> int:
        with self.lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]


def review_html(movie: int, page: int, spec: SiteSpec) -> str:
    rows = []
    for i in range(spec.per_page):
        rid = f"{movie}-{page}-{i}"
        rating = (movie * 7 + page * 3 + i) % 10 + 1
        text = f"영화 {movie} 리뷰 {rid}: 연기가 {'좋았다' if rating > 5 else '별로였다'}\t정말"
        rows.append(
            f'<li class="review"><span class="rid">{rid}</span><p class="text">{text}</p>'
            f'<em class="score">별점 {rating}점</em></li>'
        )
    nav = [f'<a href="/movie/{movie}/reviews?page=1">처음</a>']
    if page < spec.pages:
        nav.append(f'<a class="next" href="reviews?page={page + 1}#list">다음</a>')
    return (
        f"<html><head><meta charset='utf-8'><title>영화 {movie}</title></head><body>"
        f"<ul>{''.join(rows)}</ul><div class='paging'>{''.join(nav)}</div>"
        f"<a href='/'>home</a></body></html>"
    )


def index_html(spec: SiteSpec) -> str:
    links = [f'<a href="/movie/{m}/reviews?page=1">movie {m}</a>' for m in range(1, spec.movies + 1)]
    if spec.traps:
        links += [f'<a href="{p}">{p}</a>' for p in TRAPS]
    return f"<html><body>{''.join(links)}</body></html>"


EUCKR_PAGE = (
    "<html><head><meta http-equiv='Content-Type' content='text/html; charset=euc-kr'></head><body><ul>"
    "<li class='review'><span class='rid'>kr-1</span><p class='text'>한글 인코딩 리뷰 재미있다</p>"
    "<em class='score'>별점 9점</em></li>"
    "<li class='review'><span class='rid'>kr-2</span><p class='text'>지루한 영화</p>"
    "<em class='score'>별점 2점</em></li></ul></body></html>"
).encode("euc-kr")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms ACK stall

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        site = self.server.site
        with site.lock:
            site.hits.append(Hit(time.monotonic(), self.path, self.headers.get("Host", ""), self.headers.get("User-Agent", "")))
        parts = urlsplit(self.path)
        path, query, spec = parts.path, parse_qs(parts.query), site.spec
        if path == "/robots.txt" and spec.robots_status != 200:
            return self.send(spec.robots_status, b"no robots here", "text/plain")
        if path == "/robots.txt":
            delay = f"Crawl-delay: {spec.crawl_delay}\n" if spec.crawl_delay else ""
            return self.send(200, f"User-agent: *\nDisallow: /private/\n{delay}".encode(), "text/plain")
        if path == "/":
            return self.send(200, index_html(spec).encode())
        if path.startswith("/movie/") and path.endswith("/reviews"):
            movie, page = int(path.split("/")[2]), int(query.get("page", ["1"])[0])
            if movie <= spec.movies and 1 <= page <= spec.pages:
                return self.send(200, review_html(movie, page, spec).encode())
        if spec.traps:
            return self.trap(path, site)
        return self.send(404, b"<html>not found</html>")

    def trap(self, path: str, site: SiteState):
        ok = b"<html><body><a href='/'>home</a></body></html>"
        if path == "/euckr.html":
            return self.send(200, EUCKR_PAGE, "text/html")  # charset only in <meta>
        if path.startswith("/private/"):
            return self.send(200, ok)
        if path == "/busy":
            if site.count("busy") == 1:
                return self.send(429, b"slow down", extra={"Retry-After": site.spec.retry_after})
            return self.send(200, ok)
        if path == "/flaky":
            return self.send(500, b"oops") if site.count("flaky") <= 2 else self.send(200, ok)
        if path == "/slow":
            time.sleep(site.spec.slow_s)
            return self.send(200, ok)
        if path == "/away":
            port = self.server.server_address[1]
            return self.send(302, b"", extra={"Location": f"http://localhost:{port}/"})
        if path == "/file.bin":
            return self.send(200, bytes(range(256)) * 64, "application/octet-stream")
        if path == "/moved":  # a same-site redirect: followed, through the seen-set
            return self.send(301, b"", extra={"Location": "/loop/b"})
        if path == "/loop/a":
            return self.send(200, b"<a href='/loop/b'>b</a><a href='/loop/b#x'>b</a><a href='./a?'>a</a>")
        if path == "/loop/b":
            return self.send(200, b"<a href='/loop/a'>a</a><a href='/loop/a#top'>a</a>")
        return self.send(404, b"<html>not found</html>")

    def send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", extra: dict | None = None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):  # a killed crawler resets its sockets
        pass


@pytest.fixture
def make_site():
    """``make_site(**SiteSpec fields)`` -> (base_url, SiteState); servers stop after the test."""
    servers = []

    def start(**kw):
        state = SiteState(SiteSpec(**kw))
        server = Server(("127.0.0.1", 0), Handler)
        server.site = state
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def site_config(base: str, out, **over) -> dict:
    """The crawl config the tests use for the review site (a plain dict, tweak per test)."""
    config = {
        "start_urls": [base + "/"],
        "links": {"css": ["a[href]"], "max_depth": 20, "max_pages": 5000},
        "items": {
            "selector": "li.review",
            "key": "review_id",
            "fields": {
                "review_id": "span.rid",
                "text": {"css": "p.text"},
                "rating": {"css": "em.score", "pattern": r"(\d+)점"},
            },
        },
        "output": {"path": str(out)},
        "politeness": {"delay_s": 0, "concurrency_per_host": 4, "user_agent": "seqlab-test/1.0"},
        "retries": {"max_tries": 3, "backoff_s": 0.05},
        "timeouts": {"connect_s": 2, "read_s": 0.4},
        "concurrency": 4,
        "export": {"nsmc": {"review": "text", "rating": "rating", "review_id": "review_id"}},
    }
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


@pytest.fixture
def review_config():
    """``review_config(base_url, out_path, **overrides)`` -> the review-site crawl config dict."""
    return site_config
