"""Concurrent uploads to the web app: N clients post the same half-hour record at once.

    python benchmarks/bench_serve.py RUN_DIR [--record ../shared/data/mitdb/208] [--clients 20] [--jobs 2]

Starts the app in its own process (uvicorn, as `seqlab serve RUN` does, one engine thread),
waits until /health answers, then posts the record's .hea and .dat from ``--clients`` threads
at the same moment. Prints every status code, the wall time for all of them, per-request
latency (median / 95th percentile / max) and checks that every CSV is byte-identical to what
`seqlab predict` writes for the record in-process.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SERVER = """
import sys, uvicorn
from seqlab.serve.app import create_app
app = create_app([sys.argv[1]], jobs=int(sys.argv[3]), threads=1, tmp_root=sys.argv[4])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 120) -> float:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            time.sleep(0.1)
    sys.exit("the server did not come up")


def expected_csv(run_dir: str, record: Path) -> bytes:
    from seqlab.inference.predict import Predictor

    out = Path(tempfile.mkdtemp()) / "expected.csv"
    Predictor(run_dir, threads=1)(record, out=out)
    return out.read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--record", default=str(Path(__file__).resolve().parents[1] / "../shared/data/mitdb/208"))
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2, help="predictions the server runs at once")
    args = ap.parse_args()
    import httpx

    record = Path(args.record)
    files = [("files", (f"{record.name}.{ext}", record.with_suffix(f".{ext}").read_bytes())) for ext in ("hea", "dat")]
    expected = expected_csv(args.run_dir, record)
    port, tmp = free_port(), tempfile.mkdtemp(prefix="bench-serve-")
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-c", SERVER, args.run_dir, str(port), str(args.jobs), tmp])
    try:
        print(f"server up in {wait_up(url, proc):.1f} s (runs loaded)")

        def post(_):
            t0 = time.perf_counter()
            with httpx.Client(timeout=600) as client:
                r = client.post(url + "/api/predict", files=files)
            return r.status_code, time.perf_counter() - t0, r

        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(post, range(args.clients)))
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    codes = [code for code, _, _ in results]
    latency = sorted(s for _, s, _ in results)
    same = sum(1 for code, _, r in results if code == 200 and r.json()["files"]["csv"]["text"].encode() == expected)
    res = next((r.json() for code, _, r in results if code == 200), None)
    print(f"{args.clients} concurrent uploads of {record.name} "
          f"({res['duration_s'] / 60:.1f} min, {res['n_beats']:,} beats) with --jobs {args.jobs}:" if res else "")
    print(f"  status codes: {dict((c, codes.count(c)) for c in sorted(set(codes)))}")
    print(f"  wall {wall:.2f} s for all; {args.clients / wall:.2f} records/s")
    print(f"  latency median {statistics.median(latency):.2f} s, p95 {latency[int(0.95 * (len(latency) - 1))]:.2f} s, "
          f"max {latency[-1]:.2f} s")
    print(f"  CSV byte-identical to seqlab predict: {same}/{args.clients}")
    print(f"  request directories left: {len(list(Path(tmp).iterdir()))}")


if __name__ == "__main__":
    main()
