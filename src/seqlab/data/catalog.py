"""Imports every dataset module so the registry is complete (``seqlab list datasets``).

Dataset modules import their heavy dependencies (wfdb, kiwipiepy) inside functions, so this
stays cheap.
"""

from seqlab.data import synthetic  # noqa: F401
from seqlab.data import tabular  # noqa: F401
from seqlab.data import ecg  # noqa: F401
from seqlab.data import text  # noqa: F401


def prepare_data(data_cfg, seed: int):
    """Raw files -> ``PreparedData`` for a run's ``data`` section, through the registry."""
    from seqlab.data.registry import DATASETS

    return DATASETS.get(data_cfg.name).fn(data_cfg, seed=seed)
