"""Time preparing every MIT-BIH record (read, filter, detect, segment, RR features).

    python benchmarks/bench_ecg_prepare.py [--source ../shared/data/mitdb] [--peaks reference]

Cold = empty cache (a temporary $SEQLAB_DATA); warm = the same call again, from the cache.
Peak memory = the process's maximum resident set size. Targets: cold < 15 s on 2 cores,
warm < 1 s, peak < 2 GiB.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

DEFAULT_SOURCE = Path(__file__).resolve().parents[1] / "../shared/data/mitdb"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", default=str(DEFAULT_SOURCE))
    ap.add_argument("--peaks", default="reference", choices=["reference", "seqlab"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SEQLAB_DATA"] = tmp
        import seqlab.data.ecg  # noqa: F401
        from seqlab.data.ecg.mitbih import MitbihConfig, mitbih

        # intra over every record; 102 and 104 have no MLII, so their first lead is used
        cfg = MitbihConfig(source=args.source, split="intra", lead_fallback="any", peaks=args.peaks)
        t0 = time.perf_counter()
        data = mitbih(cfg, seed=0)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = mitbih(cfg, seed=0)
        warm = time.perf_counter() - t0
        assert again.summary["cache"]["misses"] == 0
    s = data.summary
    n_rec = len(s["records"]["train"])
    n_beats = sum(sum(c.values()) for c in s["counts"].values())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"records {n_rec}, beats {n_beats}, peaks {args.peaks}, filters {'+'.join(cfg.filters)}, "
          f"CPU cores {os.cpu_count()}")
    print(f"cold  {cold:6.2f} s  ({cold / n_rec:.3f} s per record; target < 15 s)")
    print(f"cache {warm:6.2f} s  (target < 1 s)")
    print(f"peak memory {peak_mib:.0f} MiB (target < 2048 MiB)")
    print(f"edge beats dropped {s['dropped_edge_beats']}; before edge drop "
          + ", ".join(f"{c} {n}" for c, n in s["counts_before_edge_drop"].items()))


if __name__ == "__main__":
    main()
