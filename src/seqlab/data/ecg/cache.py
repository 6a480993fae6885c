"""Per-record cache of prepared beats, keyed by the options that shape the arrays and by the
size and mtime of the record's files: a changed option or a touched source file rebuilds.

One ``.npz`` per record (``cache_dir()/<dataset>/<record>-<key>.npz``), written atomically,
so protocols that share records (intra, inter, k-fold) share the work and a split or label
change never rebuilds anything. Stale files are left in place; delete the folder to reclaim.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import numpy as np

from seqlab.atomic import save_npz
from seqlab.paths import cache_dir

# bump when the preparation code changes what it writes
FORMAT_VERSION = 2


def files_fingerprint(paths: list[Path]) -> list[list]:
    """[name, size, mtime_ns] per existing file (cheap: no hashing of 30 MB of signal)."""
    out = []
    for p in sorted(paths):
        if p.is_file():
            st = p.stat()
            out.append([p.name, st.st_size, st.st_mtime_ns])
    return out


def cache_key(payload: dict) -> str:
    blob = json.dumps({"v": FORMAT_VERSION, **payload}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def cached_arrays(dataset: str, record: str, payload: dict, build: Callable[[], dict],
                  *, enabled: bool = True) -> tuple[dict[str, np.ndarray], bool]:
    """``build()``'s arrays for ``record``, from the cache when the key matches.

    Returns (arrays, hit). ``build`` returns a dict of numpy arrays (no object arrays)."""
    path = cache_dir() / dataset / f"{record}-{cache_key(payload)}.npz"
    if enabled and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}, True
        except (OSError, ValueError):  # unreadable cache file: rebuild it
            pass
    arrays = build()
    if enabled:
        save_npz(path, **arrays)
    return arrays, False
