"""Fixtures for the text data tests: the written fixtures folder, an isolated data root, and
the shared real corpora (tests using them skip when absent)."""

import os
from pathlib import Path

import pytest

import seqlab.data.text  # noqa: F401  (registers nsmc, imdb)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "text"
SHARED = Path(os.environ.get("SEQLAB_SHARED_DATA",
                             Path(__file__).resolve().parents[3].parent / "shared" / "data"))


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    """An empty ``$SEQLAB_DATA`` per test (builds and caches land in tmp)."""
    root = tmp_path / "data"
    monkeypatch.setenv("SEQLAB_DATA", str(root))
    return root


@pytest.fixture
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (set SEQLAB_SHARED_DATA)")
    return SHARED
