"""Imports every dataset module so the registry is complete (``seqlab list datasets``).

Dataset modules import their heavy dependencies (wfdb, kiwipiepy) inside functions, so this
stays cheap.
"""

from seqlab.data import synthetic  # noqa: F401
from seqlab.data import ecg  # noqa: F401
from seqlab.data import text  # noqa: F401
