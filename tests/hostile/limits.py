"""What every hostile-input test measures: a rejection is one line, fast and small.

A plain module (not a conftest.py), imported as ``from limits import ...``."""

from __future__ import annotations

import threading
import time
import tracemalloc

import pytest

from seqlab.errors import SeqlabError

MB = 1 << 20


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def measured(call):
    """(result, seconds, peak bytes): the larger of Python's traced peak and the process's
    resident-set growth (sampled every 2 ms, so allocations by C libraries count too)."""
    base, peak, done = rss(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss() - base)
            time.sleep(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    tracemalloc.start()
    thread.start()
    t0 = time.perf_counter()
    try:
        result = call()
    finally:
        elapsed = time.perf_counter() - t0
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        done.set()
        thread.join()
    return result, elapsed, max(traced, peak[0])


def refused(call, *fragments: str, seconds: float = 2.0) -> str:
    """``call`` raises a one-line SeqlabError holding every fragment (and never torch's
    ``weights_only=False`` advice), within ``seconds`` and 300 MB; returns the message."""
    def raising():
        with pytest.raises(SeqlabError) as info:
            call()
        return info

    info, elapsed, peak = measured(raising)
    msg = str(info.value)
    assert "\n" not in msg and "weights_only=False" not in msg, msg
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)
    assert elapsed < seconds, f"took {elapsed:.2f} s: {msg}"
    assert peak < 300 * MB, f"peak {peak / MB:.0f} MB: {msg}"
    return msg
