"""Resume: a crawl SIGKILLed at random points and resumed yields exactly the uninterrupted items."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time

import yaml

from seqlab.crawl import Crawler
from seqlab.crawl.config import validate
from seqlab.crawl.crawler import WHAT_TO_CRAWL
from seqlab.crawl.sink import ItemSink
from seqlab.crawl.state import CrawlState, state_path

KILLS = 5


def run_cli(config_path, *extra, timeout=60):
    cmd = [sys.executable, "-m", "seqlab.cli.crawl", str(config_path), "--quiet", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def test_sigkill_five_times_then_resume_gives_exactly_the_same_items(make_site, review_config, tmp_path):
    base, site = make_site(traps=False, movies=30, pages=8, per_page=10)
    reference_out = tmp_path / "ref" / "items.jsonl"
    Crawler(validate(review_config(base, reference_out)), progress=None).run()
    reference = sorted(reference_out.read_text(encoding="utf-8").splitlines())
    assert len(reference) == 30 * 8 * 10
    reference_hits = len(site.hits)

    out = tmp_path / "killed" / "items.jsonl"
    config_path = tmp_path / "crawl.yaml"
    config_path.write_text(yaml.safe_dump(review_config(base, out), sort_keys=False), encoding="utf-8")
    rng = random.Random(7)
    progress_at_kill = []
    for _ in range(KILLS):
        size_before = out.stat().st_size if out.exists() else 0
        proc = subprocess.Popen(
            [sys.executable, "-m", "seqlab.cli.crawl", str(config_path), "--resume", "--quiet"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        # once this run has written items (start-up takes ~1 s), kill at a random moment
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.stat().st_size > size_before:
                break
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
        progress_at_kill.append(len(out.read_text(encoding="utf-8").splitlines()))

    final = run_cli(config_path, "--resume")
    assert final.returncode == 0, final.stderr
    got = out.read_text(encoding="utf-8").splitlines()
    assert len(got) == len(set(got)), "an item was written twice"
    assert sorted(got) == reference
    # every kill landed mid-crawl, and the crawl kept moving forward across kills
    print("lines at each kill:", progress_at_kill, "refetched:", len(site.hits) - 2 * reference_hits)
    assert 0 < progress_at_kill[0] and progress_at_kill[-1] < len(reference), progress_at_kill
    # nothing lost, nothing re-fetched beyond the pages in flight at each kill
    state = CrawlState(state_path(out), validate(review_config(base, out)).model_dump_json(include=WHAT_TO_CRAWL))
    assert state.counts()["pending"] == 0 and state.counts()["done"] == 1 + 30 * 8
    refetched = len(site.hits) - 2 * reference_hits
    assert refetched <= KILLS * 4 * 2 + KILLS  # in-flight pages (+ robots.txt) per kill


def test_items_written_but_not_committed_are_cut_on_resume(tmp_path):
    out = tmp_path / "o.jsonl"
    state = CrawlState(state_path(out), "{}")
    sink = ItemSink(out, "jsonl", ["a"], state.output_offset)
    offset = sink.append([{"a": 1}])
    state.finish_pages([("http://h/1", "done", "", [], ["1"])], offset)
    sink.append([{"a": 2}])  # ... and the process dies before this page's commit
    sink.close()
    state.close()
    reopened = ItemSink(out, "jsonl", ["a"], CrawlState(state_path(out), "{}").output_offset)
    reopened.close()
    assert out.read_text() == '{"a": 1}\n'


def test_resume_with_another_config_is_refused(make_site, review_config, tmp_path):
    base, _ = make_site(traps=False, movies=1, pages=1)
    out = tmp_path / "r.jsonl"
    config_path = tmp_path / "c.yaml"
    config_path.write_text(yaml.safe_dump(review_config(base, out), sort_keys=False))
    assert run_cli(config_path).returncode == 0
    again = run_cli(config_path)
    assert again.returncode == 1 and "pass --resume" in again.stderr and "Traceback" not in again.stderr
    config_path.write_text(yaml.safe_dump(review_config(base, out, politeness={"delay_s": 0.01}), sort_keys=False))
    assert run_cli(config_path, "--resume").returncode == 0  # politeness may change on resume
    config_path.write_text(yaml.safe_dump(review_config(base, out, links={"max_depth": 1}), sort_keys=False))
    changed = run_cli(config_path, "--resume")
    assert changed.returncode == 1 and "different crawl config" in changed.stderr
    assert run_cli(config_path, "--overwrite").returncode == 0


def test_state_written_before_redirect_hops_still_resumes(tmp_path):
    """A state file from before the hops and bad_links columns opens, its pending URLs at 0 hops."""
    path = tmp_path / "old.crawl.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE pages (seq INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL UNIQUE, depth INTEGER NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'pending', reason TEXT NOT NULL DEFAULT '', items INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('config', '{}'), ('output_offset', '0');"
        "INSERT INTO pages (url, depth, status) VALUES ('http://h/a', 0, 'done'), ('http://h/b', 1, 'pending');"
    )
    old.commit()
    old.close()
    state = CrawlState(path, "{}")
    assert state.pending() == [("http://h/b", 1, 0)]
    state.finish_pages([("http://h/b", "redirected", "", [("http://h/c", 1, 1)], [], 2)], 0)
    assert state.pending() == [("http://h/c", 1, 1)] and state.counts()["bad_links"] == 2
    state.close()
