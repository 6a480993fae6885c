"""Planted and broken model files in a run directory (issue 20, items 1 and 10).

A pickle or skops payload planted in an ECG run is never opened (the run's config says it is
a neural run); in a classical run it is refused with one line naming the file or the type,
and in both the payload writes nothing. Truncated, non-zip, foreign and pickle-laden
checkpoints are one line each that never advises ``weights_only=False``. Each rejection takes
under 2 s and 300 MB, and writes no file.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io
import torch
import yaml
from ecg_runs import train_tiny
from limits import refused
from testpaths import REPO

from seqlab import config
from seqlab.cli.main import main
from seqlab.inference.loading import load_model
from seqlab.training import run

FIX = REPO / "tests" / "fixtures"


def files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


class Mkdir:
    """Unpickling this creates the directory ``path`` (any code would run the same way)."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def skops_payload(module: str, name: str, args: list) -> bytes:
    """A skops file whose loading calls ``module.name(*args)`` once that type is trusted."""
    arg_nodes = [{"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
                  "content": json.dumps(a), "is_json": True} for a in args]
    schema = {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
              "content": {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
                          "content": arg_nodes},
              "protocol": 2, "_skops_version": skops.__version__}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


def memmap_payload(marker: Path) -> bytes:
    return skops_payload("numpy", "memmap", [str(marker), "uint8", "w+", 0, [16]])


def system_payload(marker: Path) -> bytes:
    return skops_payload("os", "system", [f"touch {marker}"])


@pytest.fixture(scope="module")
def ecg_run(tmp_path_factory) -> Path:
    """A small rr_resnet trained on fixture record 101 (as in tests/inference/test_predict.py)."""
    run_dir, _ = train_tiny(tmp_path_factory.mktemp("ecg"), "hostile-ecg", trainer={"threads": 1})
    return run_dir


@pytest.fixture(scope="module")
def text_run(tmp_path_factory) -> Path:
    """A classical NSMC run (TF-IDF + naive Bayes) on the fixture reviews."""
    cfg = config.load(REPO / "configs" / "text" / "nsmc_tfidf_nb.yaml",
                      [f"data.root={FIX / 'text' / 'nsmc'}", "data.val_fraction=0.25"])
    return run.train(cfg, tmp_path_factory.mktemp("text") / "run", report=False)


@pytest.fixture
def copy(tmp_path):
    def copy(run_dir: Path) -> Path:
        return Path(shutil.copytree(run_dir, tmp_path / "run"))
    return copy


def test_classical_runs_are_saved_with_skops_and_evaluate_to_the_same_metrics(text_run, copy, capsys):
    run_dir = copy(text_run)
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["model.skops"]
    before = json.loads((run_dir / "metrics.json").read_text())
    assert main(["evaluate", str(run_dir)]) == 0
    after = json.loads((run_dir / "metrics.json").read_text())
    assert after["accuracy"] == before["accuracy"] and after["auroc_macro"] == before["auroc_macro"]


def test_payloads_planted_in_an_ecg_run_are_never_opened(ecg_run, copy, tmp_path, capsys):
    run_dir = copy(ecg_run)
    marker = tmp_path / "pwned"
    (run_dir / "checkpoints" / "model.pkl").write_bytes(pickle.dumps(Mkdir(marker)))
    (run_dir / "checkpoints" / "model.skops").write_bytes(memmap_payload(marker))
    model = load_model(run_dir)
    assert isinstance(model, torch.nn.Module) and not marker.exists()
    out = tmp_path / "pred" / "208.csv"
    assert main(["predict", str(run_dir), str(ecg_run.parent / "mitdb" / "208"), "--out", str(out),
                 "--engine", "torch"]) == 0
    assert out.is_file() and not marker.exists()


def test_a_pickle_payload_in_an_ecg_checkpoint_is_one_line_and_runs_nothing(ecg_run, copy, tmp_path, capsys):
    run_dir = copy(ecg_run)
    marker = tmp_path / "pwned"
    best = run_dir / "checkpoints" / "best.ckpt"
    ckpt = torch.load(best, weights_only=True)
    ckpt["hyper_parameters"]["extra"] = Mkdir(marker)
    torch.save(ckpt, best)
    before = files(tmp_path)
    refused(lambda: load_model(run_dir), str(best), "holds non-tensor objects (posix.mkdir)", "refused")
    assert main(["evaluate", str(run_dir), "--split", "val"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqlab: error: checkpoint") and "\n" not in err and "weights_only" not in err, err
    assert not marker.exists() and files(tmp_path) == before


@pytest.mark.parametrize("damage, fragment", [
    (lambda b: b[: len(b) // 2], "truncated or not a PyTorch checkpoint"),
    (lambda b: b[:-20], "truncated or not a PyTorch checkpoint"),
    (lambda b: b"", "truncated or not a PyTorch checkpoint"),
    (lambda b: os.urandom(4096), "truncated or not a PyTorch checkpoint"),
    (lambda b: _zip_of({"notes.txt": b"hello"}), "corrupt or truncated"),
    (lambda b: _torch_bytes({"weights": torch.ones(3)}), "not a seqlab training checkpoint"),
    (lambda b: _torch_bytes([1, 2, 3]), "not a seqlab training checkpoint"),
], ids=["half", "tail-cut", "empty", "random", "zip-of-text", "foreign-dict", "list"])
def test_broken_checkpoints_are_one_line(ecg_run, copy, tmp_path, damage, fragment):
    run_dir = copy(ecg_run)
    best = run_dir / "checkpoints" / "best.ckpt"
    best.write_bytes(damage(best.read_bytes()))
    before = files(tmp_path)
    refused(lambda: load_model(run_dir), str(best), fragment)
    assert files(tmp_path) == before


def _zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def test_a_pickle_model_in_a_classical_run_is_refused_with_retrain_advice(text_run, copy, tmp_path, capsys):
    run_dir = copy(text_run)
    marker = tmp_path / "pwned"
    (run_dir / "checkpoints" / "model.skops").unlink()
    (run_dir / "checkpoints" / "model.pkl").write_bytes(pickle.dumps(Mkdir(marker)))
    before = files(tmp_path)
    refused(lambda: load_model(run_dir), "model.pkl is a pickle file", "retrain the run with `seqlab train`")
    assert main(["evaluate", str(run_dir)]) == 1
    assert "pickle file" in capsys.readouterr().err
    assert not marker.exists() and files(tmp_path) == before


@pytest.mark.parametrize("payload, kind", [(memmap_payload, "numpy.memmap"), (system_payload, "os.system")])
def test_a_skops_payload_in_a_classical_run_is_refused_by_type(text_run, copy, tmp_path, payload, kind):
    marker = tmp_path / "pwned"
    live = tmp_path / "live.skops"  # the payload is real: trusting every type it names runs it
    live.write_bytes(payload(tmp_path / "proof"))
    skops.io.load(live, trusted=skops.io.get_untrusted_types(file=live))
    assert (tmp_path / "proof").exists()
    run_dir = copy(text_run)
    (run_dir / "checkpoints" / "model.skops").write_bytes(payload(marker))
    before = files(tmp_path)
    refused(lambda: load_model(run_dir), "model.skops holds type", repr(kind), "refused")
    assert not marker.exists() and files(tmp_path) == before


def test_a_neural_run_relabelled_classical_still_loads_no_payload(ecg_run, copy, tmp_path):
    """An attacker who also edits config.yaml gets skops' type check, not pickle."""
    run_dir = copy(ecg_run)
    marker = tmp_path / "pwned"
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    cfg["model"] = {"name": "dechazal_lda"}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(cfg))
    (run_dir / "checkpoints" / "model.skops").write_bytes(memmap_payload(marker))
    refused(lambda: load_model(run_dir), "holds type 'numpy.memmap'")
    (run_dir / "checkpoints" / "model.skops").unlink()
    (run_dir / "checkpoints" / "model.pkl").write_bytes(pickle.dumps(Mkdir(marker)))
    refused(lambda: load_model(run_dir), "pickle file")
    assert not marker.exists()


@pytest.mark.parametrize("body, fragment", [
    (b"not a zip at all", "not a zip archive"),
    (b"PK\x03\x04" + b"\0" * 100, "not a zip archive"),
    (_zip_of({"schema.json": b"{not json"}), "not a readable skops model file"),
], ids=["text", "zip-header-only", "bad-schema"])
def test_broken_skops_files_are_one_line(text_run, copy, tmp_path, body, fragment):
    run_dir = copy(text_run)
    (run_dir / "checkpoints" / "model.skops").write_bytes(body)
    refused(lambda: load_model(run_dir), "model.skops", fragment, "retrain")
