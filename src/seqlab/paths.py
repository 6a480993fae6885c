"""Where seqlab keeps data: ``$SEQLAB_DATA`` or ``./data`` (relative to the working directory).

Layout under the root: ``mitdb/`` (records fetched by ``seqlab data fetch mitdb``),
``nsmc/``, ``imdb/``, and ``cache/`` (prepared arrays keyed by a hash of the data config).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    return Path(os.environ.get("SEQLAB_DATA", "data")).expanduser()


def cache_dir() -> Path:
    return data_root() / "cache"


def shared_data_dir() -> Path:
    """The read-only shared corpus copy beside the checkout: ``$SEQLAB_SHARED_DATA`` or
    ``../shared/data`` (relative to the working directory). The only place that names it."""
    return Path(os.environ.get("SEQLAB_SHARED_DATA", "../shared/data")).expanduser()
