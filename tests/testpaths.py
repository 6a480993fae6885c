"""Paths the tests share (a plain module: a nested conftest.py would shadow ``conftest``)."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SEQLAB_SHARED_DATA", REPO.parent / "shared" / "data"))
SMOKE = REPO / "configs" / "smoke.yaml"
