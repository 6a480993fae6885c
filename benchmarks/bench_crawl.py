"""Crawl throughput and politeness against a fast local review site.

    python benchmarks/bench_crawl.py                    # delay 0: pages/s parsed
    python benchmarks/bench_crawl.py --delay 0.2 --pages 30   # max per-host rate seen by the server

The site runs in its own process (an asyncio HTTP/1.1 keep-alive server generating
paginated review lists), so on 2 cores the crawler gets one core and the server the other.
The server logs every arrival; the benchmark reports the smallest gap between two requests
and the highest rate over any window of 5 requests, as the server's clock saw them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path

import httpx

from seqlab.crawl import Crawler
from seqlab.crawl.config import validate


def page_html(n: int, pages: int) -> bytes:
    reviews = "".join(
        f'<li class="review" data-id="{n}-{i}"><p class="text">영화 {n} 리뷰 {i}: '
        f'{"배우들의 연기가 훌륭하고 이야기가 탄탄하다 " * 3}</p><em class="score">{(n + i) % 10 + 1}</em></li>'
        for i in range(10)
    )
    targets = sorted({1, max(1, n - 1), min(pages, n + 1), min(pages, n + 10), (n * 7) % pages + 1})
    links = "".join(f'<a href="/list?page={t}">{t}</a>' for t in targets)
    return f"<html><head><meta charset='utf-8'></head><body><ul>{reviews}</ul><div class='paging'>{links}</div></body></html>".encode()


def serve(port_queue, pages: int) -> None:
    arrivals: list[float] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                arrivals.append(time.monotonic())
                path = head.split(b" ", 2)[1].decode()
                if path == "/robots.txt":
                    body, ctype = b"User-agent: *\nDisallow: /private/\n", "text/plain"
                elif path == "/__stats":
                    arrivals.pop()
                    body, ctype = json.dumps(arrivals).encode(), "application/json"
                else:
                    n = int(path.rsplit("=", 1)[1]) if "page=" in path else 1
                    body, ctype = page_html(n, pages), "text/html; charset=utf-8"
                writer.write(
                    f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def window_rate(times: list[float], window: int = 5) -> float:
    """Highest requests/s over any ``window`` consecutive arrivals."""
    spans = [times[i + window - 1] - times[i] for i in range(len(times) - window + 1)]
    return (window - 1) / min(spans) if spans and min(spans) > 0 else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    ports: mp.Queue = mp.Queue()
    server = mp.Process(target=serve, args=(ports, args.pages), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{ports.get(timeout=30)}"
    with tempfile.TemporaryDirectory() as tmp:
        config = validate({
            "start_urls": [base + "/list?page=1"],
            "links": {"css": ["div.paging a"], "max_depth": 10_000, "max_pages": args.pages},
            "items": {"selector": "li.review", "key": "id",
                      "fields": {"id": {"attr": "data-id"}, "text": "p.text", "rating": "em.score"}},
            "output": {"path": str(Path(tmp) / "items.jsonl")},
            "politeness": {"delay_s": args.delay, "concurrency_per_host": args.concurrency},
            "concurrency": args.concurrency,
        })
        summary = Crawler(config, progress=sys.stderr, progress_every=2.0).run()
    arrivals = json.loads(httpx.get(base + "/__stats").text)
    server.terminate()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    result = {
        "pages": summary["pages"]["done"],
        "items": summary["items_total"],
        "seconds": summary["elapsed_s"],
        "pages_per_s": summary["pages_per_s"],
        "delay_s": args.delay,
        "requests_seen_by_server": len(arrivals),
        "min_gap_s": round(min(gaps), 4) if gaps else None,
        "max_rate_per_s_over_5_requests": round(window_rate(arrivals), 2),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
