"""The page in a real browser (Playwright driving Debian's chromium), the way a person uses it:
upload a record, read the counts, click a V beat, download the CSV, upload a corrupt record.

Needs /usr/bin/chromium (`apt-get install -y chromium`); skips without it."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from servekit import running
from testpaths import SHARED_DATA

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                                "(apt-get install -y chromium)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == []  # no script error on the page


def upload(page, paths: list[Path]) -> None:
    page.set_input_files("#files", [str(p) for p in paths])
    page.click("#classify")


def test_a_record_classified_in_the_page(page, make_app, ecg_run, ecg_records, cli_outputs, tmp_path):
    csv_bytes = cli_outputs["detect"][0]
    rows = [r.split(",") for r in csv_bytes.decode().splitlines()[1:]]
    expected = {c: sum(1 for r in rows if r[2] == c) for c in ("N", "S", "V", "F", "Q")}
    assert expected["V"] > 0  # the run calls some of 208's beats V
    with running(make_app([ecg_run])) as url:
        page.goto(url + "/")
        upload(page, [ecg_records / "208.hea", ecg_records / "208.dat", ecg_records / "208.atr"])
        page.wait_for_selector("#plot[data-ready='1'] canvas", timeout=30_000)
        counts = {li.get_attribute("data-class"): int(li.query_selector("b").inner_text())
                  for li in page.query_selector_all("#counts li")}
        assert counts == expected
        assert page.inner_text("#rec-title").startswith(f"208 · {len(rows)} beats")
        assert page.inner_text("#shown") == f"{len(rows)} beats"
        page.eval_on_selector("#table-wrap", "el => { el.scrollTop = el.scrollHeight; }")  # rows are drawn as scrolled
        page.wait_for_selector(f"#beats-table tr[data-beat='{len(rows) - 1}']")
        assert page.locator("#beats-table tbody tr[data-beat]").count() < len(rows) or len(rows) < 40

        before = float(page.get_attribute("#plot", "data-xmin")), float(page.get_attribute("#plot", "data-xmax"))
        page.select_option("#filter", "2")  # V beats only
        v_rows = page.locator("#beats-table tbody tr[data-beat]")
        assert v_rows.count() == expected["V"]
        beat = int(v_rows.last.get_attribute("data-beat"))
        v_time = int(rows[beat][0]) / 360
        v_rows.last.click()
        page.wait_for_function(f"document.getElementById('plot').dataset.xmin !== '{before[0]:.3f}'")
        after = float(page.get_attribute("#plot", "data-xmin")), float(page.get_attribute("#plot", "data-xmax"))
        assert after != before and after[0] <= v_time <= after[1]

        with page.expect_download() as download:
            page.click("#dl-csv")
        assert download.value.suggested_filename == "208.seqlab.csv"
        assert Path(download.value.path()).read_bytes() == csv_bytes

        page.screenshot(path=str(tmp_path / "seqlab-serve.png"), full_page=True)
        bad = tmp_path / "corrupt"
        bad.mkdir()
        shutil.copyfile(ecg_records / "208.hea", bad / "208.hea")
        (bad / "208.dat").write_bytes((ecg_records / "208.dat").read_bytes()[:5000])
        upload(page, [bad / "208.hea", bad / "208.dat"])
        page.wait_for_selector("#ecg-error:not([hidden])", timeout=30_000)
        assert page.inner_text("#ecg-error").startswith("record 208: 208.dat is truncated or the header is wrong")
        assert page.is_hidden("#result")
        page.screenshot(path=str(tmp_path / "seqlab-serve-error.png"))


def test_text_tab(page, make_app, text_run):
    with running(make_app([text_run])) as url:
        page.goto(url + "/")
        page.click("#tab-text")
        page.fill("#text-input", "정말 재미있고 감동적인 영화\n\n최악이다 시간 아까움")
        page.click("#text-classify")
        page.wait_for_selector("#text-result:not([hidden])", timeout=30_000)
        assert page.locator("#text-table tbody tr").count() == 2
        assert page.locator("#text-counts li").count() == 2


def first_plot_seconds(page, url: str, record: Path) -> float:
    """Seconds from opening the page (record chosen at once) to the plot painted."""
    t0 = time.perf_counter()
    page.goto(url + "/")
    page.wait_for_selector("#ecg-run option[value='ecg-run']", state="attached")
    upload(page, [record.with_suffix(".hea"), record.with_suffix(".dat")])
    page.wait_for_selector("#plot[data-ready='1'] canvas", timeout=30_000)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return time.perf_counter() - t0


def test_first_plot_of_a_30_minute_record(page, make_app, ecg_run, tmp_path):
    """From opening the page to the plot painted, a half-hour MIT-BIH record: < 3 s on 2 cores
    (the best of three loads: the first also warms the browser's cache and the engine)."""
    record = SHARED_DATA / "mitdb" / "208"
    if not record.with_suffix(".dat").is_file():
        pytest.skip(f"the 30-minute record is not at {record}")
    with running(make_app([ecg_run])) as url:
        times = [first_plot_seconds(page, url, record) for _ in range(3)]
        page.screenshot(path=str(tmp_path / "seqlab-serve-30min.png"), full_page=True)
        title = page.inner_text("#rec-title")
        server = page.inner_text("#rec-meta").rsplit("classified in ", 1)[1]
    print(f"\nfirst plot of a 30-minute record ({title}): {', '.join(f'{t:.2f}' for t in times)} s "
          f"from page load (server classification {server})")
    assert int(title.split(" · ")[1].split()[0].replace(",", "")) > 2000
    load = os.getloadavg()[0]
    if min(times) >= 3.0 and load > 2 * (os.cpu_count() or 1):
        pytest.skip(f"machine busy (load average {load:.1f} on {os.cpu_count()} CPUs): first plot in "
                    f"{min(times):.2f} s; the 3 s bound is for the machine to itself")
    assert min(times) < 3.0
