"""Preprocessing options shared by every ECG beat dataset (MIT-BIH, PTB-DB).

They decide the arrays, so they (and only they, plus the source files) key the cache.
Defaults follow Kachuee et al. (2018): beats resampled to 125 Hz, 187 samples, R peak at
0.5 s; z-scored per beat; RR features on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class BeatOptions(BaseModel):
    """How a record becomes beats: lead, filters, R peaks, window, RR features."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    lead: str = "MLII"
    # none: a record without ``lead`` is an error; limb: MLII -> II -> first limb lead;
    # any: then channel 0 (the lead used per record is in the summary)
    lead_fallback: Literal["none", "limb", "any"] = "none"
    # also feed the record's other lead as a second input channel (in_channels = 2)
    extra_lead: bool = False
    # records at another rate are resampled to this on reading (None: keep each record's)
    record_fs: float | None = 360.0
    max_nan_fraction: float = Field(0.01, ge=0.0, le=1.0)
    # applied in order before segmentation (``ecg_clean`` methods)
    filters: list[Literal["bandpass", "sym4", "baseline"]] = ["baseline", "bandpass"]
    bandpass_hz: tuple[float, float] = (0.5, 40.0)
    bandpass_order: int = Field(2, ge=1, le=8)
    # reference = the annotated beats; seqlab / xqrs = a detector on the raw lead
    peaks: Literal["reference", "seqlab", "xqrs"] = "reference"
    # seconds before and after the R peak; seq_len (if set) fixes the total sample count
    window_s: tuple[float, float] = (0.5, 1.0)
    beat_fs: float | None = 125.0
    seq_len: int | None = Field(187, ge=2)
    beat_norm: Literal["none", "zscore", "minmax"] = "zscore"
    rr_features: bool = True
    # basic: RR in seconds + ratios (de Chazal's four intervals); context: log ratios only,
    # plus the neighbours' RR and the local irregularity (``segment.rr_context_features``);
    # relative: ``context`` plus the P-wave, QRS-duration and QRS/T-shape features measured
    # against the record itself (``relative_features``, first lead only), for a network's RR input
    rr_set: Literal["basic", "context", "relative"] = "basic"
    # add, per lead, a channel holding the beat minus the record's median beat: the patient's
    # own normal morphology is subtracted, so what differs from it stands out on patients the
    # model never saw (uses the record's unlabelled signal only, like the record-mean RR)
    record_template: bool = False
    # none: model inputs are beat windows (and RR features); dechazal: a feature matrix per
    # beat (``beat_features``: de Chazal 2004 RR, delineated intervals and morphology
    # samples of every lead read) for linear models such as ``dechazal_lda``;
    # patient_relative: RR, P-wave and QRS-shape features measured against the record itself
    # (``relative_features``)
    features: Literal["none", "dechazal", "patient_relative"] = "none"

    @field_validator("window_s")
    @classmethod
    def _window_positive(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] < 0 or v[1] <= 0:
            raise ValueError("window_s is (seconds before, seconds after) the R peak: both >= 0, after > 0")
        return v

    def beat_fields(self) -> dict:
        """The option values (JSON-ready), for cache keys and the summary."""
        out = BeatOptions.model_validate(
            {k: getattr(self, k) for k in BeatOptions.model_fields}).model_dump(mode="json")
        if out["features"] == "none":  # added later: keep the cache keys of earlier runs
            out.pop("features")
        return out
