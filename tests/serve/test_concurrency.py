"""20 uploads of a half-hour record at once, against a real server with two prediction slots:
every one answered 200 with `seqlab predict`'s CSV, no request directory left behind."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from servekit import cli_predict, running
from testpaths import SHARED_DATA

RECORD = SHARED_DATA / "mitdb" / "208"


@pytest.mark.slow
def test_20_concurrent_uploads_of_a_30_minute_record(make_app, ecg_run, request_root, tmp_path):
    import httpx

    if not RECORD.with_suffix(".dat").is_file():
        pytest.skip(f"the 30-minute record is not at {RECORD}")
    expected, _ = cli_predict(ecg_run, RECORD, tmp_path)
    files = [("files", (f"208.{ext}", RECORD.with_suffix(f".{ext}").read_bytes())) for ext in ("hea", "dat")]

    def post(_):
        with httpx.Client(timeout=600) as client:
            return client.post(url + "/api/predict", files=files, data={"run": "ecg-run"})

    with running(make_app([ecg_run], jobs=2)) as url:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(post, range(20)))
        wall = time.perf_counter() - t0
    print(f"\n20 concurrent 30-minute records: {wall:.1f} s")
    assert [r.status_code for r in answers] == [200] * 20
    assert all(r.json()["files"]["csv"]["text"].encode() == expected for r in answers)
    assert list(request_root.iterdir()) == []
