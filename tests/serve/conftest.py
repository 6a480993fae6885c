"""Runs for the serve tests, trained once per session on the fixture records and texts:
an ECG run that sees V beats (records 101 and 208), a scikit-learn text run (raw text) and a
small network text run (subword ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecg_runs import FIX, copy_record

TEXT_FIX = Path(__file__).resolve().parents[1] / "fixtures" / "text" / "nsmc"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ecg_records(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("serve-records")
    copy_record(FIX, "101", "101", folder)
    copy_record(FIX, "208", "208", folder)
    copy_record(FIX, "208", "908", folder)  # validation and test splits: mechanics only
    copy_record(FIX, "208", "918", folder)
    return folder


@pytest.fixture(scope="session")
def ecg_run(ecg_records, tmp_path_factory) -> Path:
    """A small rr_resnet on 101 + 208: enough epochs that it calls some of 208's beats V."""
    from seqlab import config
    from seqlab.training import run

    cfg = config.from_dict({
        "name": "serve-ecg", "seed": 0,
        "data": {"name": "mitbih", "source": str(ecg_records), "split": "records",
                 "train_records": ["101", "208"], "val_records": ["908"], "test_records": ["918"],
                 "labels": "aami5", "check_annotations": False, "cache": False, "batch_size": 16},
        "model": {"name": "rr_resnet", "width": 8, "depth": 1, "hidden": 16},
        "trainer": {"max_epochs": 5, "progress_bar": False},
    })
    return run.train(cfg, tmp_path_factory.mktemp("serve-ecg") / "ecg-run", report=False)


def _text_run(config_name: str, overrides: list[str], out: Path) -> Path:
    from seqlab import config
    from seqlab.training import run

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQLAB_DATA", str(out.parent / "data"))
        cfg = config.load(REPO / "configs" / "text" / config_name,
                          [f"data.root={TEXT_FIX}", "data.val_fraction=0.25", *overrides])
        return run.train(cfg, out, report=False)


@pytest.fixture(scope="session")
def text_run(tmp_path_factory) -> Path:
    return _text_run("nsmc_tfidf_nb.yaml", [], tmp_path_factory.mktemp("serve-text") / "text-run")


@pytest.fixture(scope="session")
def token_run(tmp_path_factory) -> Path:
    overrides = ["data.vocab_size=200", "data.min_frequency=1", "data.max_length=16", "data.batch_size=4",
                 "trainer.max_epochs=1", "trainer.threads=1"]
    return _text_run("nsmc_bilstm.yaml", overrides, tmp_path_factory.mktemp("serve-tokens") / "token-run")


@pytest.fixture(scope="session")
def cli_outputs(ecg_run, ecg_records, tmp_path_factory) -> dict:
    """`seqlab predict`'s CSV and annotation bytes for 208, detected and reference beats."""
    from servekit import cli_predict

    out = tmp_path_factory.mktemp("cli-out")
    (out / "detect").mkdir()
    (out / "reference").mkdir()
    return {"detect": cli_predict(ecg_run, ecg_records / "208", out / "detect"),
            "reference": cli_predict(ecg_run, ecg_records / "208", out / "reference", "--annotations", "atr")}


@pytest.fixture
def request_root(tmp_path) -> Path:
    return tmp_path / "requests"


@pytest.fixture
def make_app(ecg_run, text_run, request_root):
    from seqlab.serve.app import create_app

    def make(runs=None, **kwargs):
        kwargs.setdefault("tmp_root", request_root)
        return create_app(runs if runs is not None else [ecg_run, text_run], **kwargs)

    return make


@pytest.fixture
def client(make_app):
    from fastapi.testclient import TestClient

    with TestClient(make_app()) as c:
        yield c
