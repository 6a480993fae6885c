"""The tiny trained ECG run several test modules inspect (a plain module, like ``testpaths``):
fixture record 101 to train on, a renamed copy of it (901) as the validation split, 208 unseen.

The 40 s fixture excerpts (tests/fixtures/ecg/mitdb, from PhysioNet's MIT-BIH Arrhythmia
Database, ODC-By) keep one epoch to seconds; the copy named 901 is the same patient, so the run
tests mechanics, never accuracy."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from seqlab import config
from seqlab.training import run

FIX = Path(__file__).resolve().parent / "fixtures" / "ecg" / "mitdb"
TINY_RR_RESNET = {"name": "rr_resnet", "width": 8, "depth": 1, "hidden": 16}


def copy_record(src: Path, name: str, new: str, dest: Path) -> None:
    """A WFDB record under another name (the header names its own files)."""
    (dest / f"{new}.hea").write_text((src / f"{name}.hea").read_text().replace(name, new))
    for ext in ("dat", "atr"):
        shutil.copyfile(src / f"{name}.{ext}", dest / f"{new}.{ext}")


def fixture_records(root: Path) -> Path:
    """``root/mitdb`` holding 101 (train), 901 (validation: 101 renamed) and 208 (test)."""
    records = root / "mitdb"
    records.mkdir()
    for name, new in (("101", "101"), ("101", "901"), ("208", "208")):
        copy_record(FIX, name, new, records)
    return records


def train_tiny(root: Path, name: str, *, model: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
               trainer: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Train one epoch on the fixture records under ``root``: (run dir, records dir)."""
    records = fixture_records(root)
    cfg = config.from_dict({
        "name": name, "seed": 0,
        "data": {"name": "mitbih", "source": str(records), "split": "records", "train_records": ["101"],
                 "val_records": ["901"], "test_records": ["208"], "labels": "aami5",
                 "check_annotations": False, "cache": False, "batch_size": 32, **(data or {})},
        "model": model or TINY_RR_RESNET,
        "trainer": {"max_epochs": 1, "progress_bar": False, **(trainer or {})},
    })
    return run.train(cfg, root / "run", report=False), records
