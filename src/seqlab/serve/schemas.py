"""The JSON API's shapes, for the OpenAPI document at ``/docs`` and ``/openapi.json``.

The responses are built as plain dicts by ``seqlab.serve.jobs``; these models describe them
for people writing scripts (the request body is parsed by hand, see ``upload``, so its form
fields are described here as a schema too)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RunInfo(BaseModel):
    id: str = Field(description="what to send as the `run` form field")
    kind: Literal["ecg", "text"]
    model: str
    classes: list[str]


class Health(BaseModel):
    status: Literal["ok"]
    runs: int


class ErrorBody(BaseModel):
    error: str = Field(description="one line: what is wrong and how to fix it (the CLI's words)")


class Beats(BaseModel):
    sample: list[int] = Field(description="R-peak sample of each classified beat")
    class_: list[int] = Field(alias="class", description="index into `classes`")
    probs: list[list[float]] = Field(description="per beat, one probability per class (as in the CSV)")


class Signal(BaseModel):
    fs: float
    encoding: Literal["int16-le-base64"]
    scale: float = Field(description="mV per step of `data`")
    data: str = Field(description="the lead after the run's filters, int16 little-endian steps of `scale` mV")


class Reference(BaseModel):
    symbol: list[str] = Field(description="per beat, the nearest reference annotation within 150 ms ('' if none)")
    class_: list[int] = Field(alias="class", description="its class index (-1: none or not a class of the run)")
    mismatch: list[int] = Field(description="indices of beats whose class differs from the reference")
    n_reference: int
    n_missed: int = Field(description="reference beats no classified beat matched")
    counts: dict[str, int]


class DownloadText(BaseModel):
    name: str
    text: str = Field(description="the CSV, byte for byte what `seqlab predict` writes")


class DownloadBytes(BaseModel):
    name: str
    base64: str = Field(description="the WFDB annotation file, as `seqlab predict` writes it")


class Files(BaseModel):
    csv: DownloadText
    annotation: DownloadBytes


class EcgPrediction(BaseModel):
    kind: Literal["ecg"]
    run: str
    record: str
    format: Literal["wfdb", "edf", "csv"]
    fs: float
    duration_s: float
    lead: str
    classes: list[str]
    n_beats: int
    counts: dict[str, int]
    seconds: float
    beats: Beats
    signal: Signal
    reference: Reference | None
    notes: list[str]
    files: Files


class TextItem(BaseModel):
    line: int
    text: str
    label: str
    probs: dict[str, float]


class TextPrediction(BaseModel):
    kind: Literal["text"]
    run: str
    classes: list[str]
    counts: dict[str, int]
    n_skipped: int
    items: list[TextItem]


PREDICT_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["run"],
        "properties": {
            "run": {"type": "string", "description": "a run id from GET /api/runs"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": "ECG runs: the WFDB .hea + .dat (+ .atr), one .edf, or one .csv"},
            "fs": {"type": "number", "description": "sampling rate in Hz (CSV records)"},
            "lead": {"type": "string", "description": "EDF records: the lead to use (default: the run's)"},
            "beats": {"type": "string", "enum": ["detect", "reference"], "default": "detect",
                      "description": "reference: the .atr beats instead of seqlab's R-peak detector "
                                     "(`seqlab predict --annotations atr`)"},
            "text": {"type": "string", "description": "text runs: one review a line"},
        }}}},
}
