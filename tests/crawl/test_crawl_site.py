"""A full crawl of the local review site: items, politeness and every trap in one run."""

from __future__ import annotations

import io
import json

from seqlab.crawl import Crawler
from seqlab.crawl.config import validate
from seqlab.crawl.sink import read_items


def crawl(config: dict, **kw) -> dict:
    return Crawler(validate(config), **kw).run()


def test_full_crawl_handles_every_trap(make_site, review_config, tmp_path):
    base, site = make_site()
    out = tmp_path / "reviews.jsonl"
    log = io.StringIO()
    summary = crawl(review_config(base, out), progress=log)

    items = read_items(out)
    ids = [i["review_id"] for i in items]
    assert len(ids) == len(set(ids)) == 3 * 3 * 4 + 2  # 3 movies x 3 pages x 4 reviews + EUC-KR page
    korean = {i["review_id"]: i for i in items}
    assert korean["kr-1"]["text"] == "한글 인코딩 리뷰 재미있다" and korean["kr-1"]["rating"] == "9"
    assert korean["1-1-0"]["text"].startswith("영화 1 리뷰 1-1-0") and "\t" not in korean["1-1-0"]["text"]

    paths = [h.path for h in site.hits]
    assert not any(p.startswith("/private/") for p in paths), "robots.txt Disallow ignored"
    assert paths.count("/robots.txt") == 1
    assert not any(h.host.startswith("localhost") for h in site.hits), "followed a redirect off-domain"
    assert {h.user_agent for h in site.hits} == {"seqlab-test/1.0"}
    assert paths.count("/flaky") == 3 and paths.count("/loop/a") == 1 and paths.count("/loop/b") == 1
    busy = [h.t for h in site.hits if h.path == "/busy"]
    assert len(busy) == 2 and busy[1] - busy[0] >= 1.0, "Retry-After not honoured"
    assert paths.count("/slow") == 3  # tried max_tries times, then given up

    failed = {f["url"].rsplit("/", 1)[1]: f["reason"] for f in summary["failed"]}
    assert set(failed) == {"slow", "missing"}
    assert "timeout after 3 tries" in failed["slow"] and failed["missing"] == "HTTP 404"
    assert summary["pages"]["pending"] == 0 and summary["finished"] and summary["pages"]["redirected"] == 1
    assert paths.count("/moved") == 1
    assert summary["skipped_by_reason"] == {
        "robots.txt disallows": 1, "not HTML (application/octet-stream)": 1, "redirect off the allowed domains": 1,
    }
    on_disk = json.loads(out.with_name("reviews.jsonl.summary.json").read_text())
    assert on_disk["items_total"] == len(items)
    assert "pages/s" in log.getvalue() and "items 38" in log.getvalue()


def test_rerun_fetches_nothing_and_adds_no_items(make_site, review_config, tmp_path):
    base, site = make_site(traps=False)
    out = tmp_path / "r.jsonl"
    crawl(review_config(base, out), progress=None)
    before, hits = out.read_bytes(), len(site.hits)
    summary = crawl(review_config(base, out), progress=None)
    assert out.read_bytes() == before and len(site.hits) == hits
    assert summary["pages_this_run"] == 0 and summary["items_total"] == 36


def test_depth_and_page_caps(make_site, review_config, tmp_path):
    base, _ = make_site(traps=False, movies=2, pages=5)
    shallow = crawl(review_config(base, tmp_path / "a.jsonl", links={"max_depth": 1}), progress=None)
    assert shallow["pages"]["done"] == 3  # the index and each movie's first page
    capped = crawl(review_config(base, tmp_path / "b.jsonl", links={"max_pages": 4}), progress=None)
    assert capped["pages"]["done"] == 4


def test_csv_output_and_url_pattern(make_site, review_config, tmp_path):
    base, _ = make_site(traps=False, movies=1, pages=2)
    out = tmp_path / "r.csv"
    config = review_config(base, out, output={"path": str(out), "format": "csv"})
    config["items"] = {**config["items"], "url_pattern": r"page=2", "url_field": "url"}
    crawl(config, progress=None)
    rows = read_items(out)
    assert len(rows) == 4 and all(r["url"].endswith("page=2") for r in rows)
    assert out.read_text(encoding="utf-8").splitlines()[0] == "review_id,text,rating,url"
