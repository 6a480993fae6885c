"""Shared fixtures: where the real data lives, and a finished smoke run to inspect."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testpaths import REPO, SHARED_DATA, SMOKE  # noqa: F401


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory) -> Path:
    """One finished smoke run (train -> checkpoint -> evaluate -> report), shared by tests."""
    from seqlab import config
    from seqlab.training import run

    out = tmp_path_factory.mktemp("smoke") / "run"
    return run.train(config.load(SMOKE), out)


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    """An empty $SEQLAB_DATA so tests never touch the user's data or cache."""
    root = tmp_path / "seqlab-data"
    monkeypatch.setenv("SEQLAB_DATA", str(root))
    return root


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.fixture
def no_network(monkeypatch):
    """Every host-name lookup is recorded and fails: loading a local checkpoint must not need one."""
    import socket

    calls = []

    def refuse(host, *args, **kwargs):
        calls.append(host)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return calls
