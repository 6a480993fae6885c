"""ECG beat datasets: importing this package registers ``mitbih`` and ``ptbdb``.

Stages, one module each: ``fetch`` (copy / download + SHA256 check) -> ``reader`` (WFDB
record, checked header) -> ``filters`` (``ecg_clean``) -> ``qrs`` (``ecg_peaks``) ->
``segment`` (``beats_from_record``, RR features) -> ``labels`` -> ``splits`` -> datasets
``mitbih`` / ``ptbdb`` (cached per record by ``cache``). ``qrs_eval`` scores detectors.
"""

from seqlab.data.ecg import mitbih, ptbdb  # noqa: F401  (register the datasets)
from seqlab.data.ecg.config import BeatOptions
from seqlab.data.ecg.filters import ecg_clean
from seqlab.data.ecg.qrs import ecg_peaks
from seqlab.data.ecg.reader import EcgRecord, read_record
from seqlab.data.ecg.segment import beats_from_record, ecg_segment, read_record_for, rr_features

__all__ = ["BeatOptions", "EcgRecord", "beats_from_record", "ecg_clean", "ecg_peaks",
           "ecg_segment", "read_record", "read_record_for", "rr_features"]
