"""`seqlab predict` with ONNX Runtime: exported at the end of training, the same files as
torch, a fallback to torch, `seqlab export`, and no torch in the process."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ecg_runs import train_tiny

from seqlab.cli.main import main, run_command
from seqlab.inference import export as exportlib
from seqlab.inference.onnx_engine import OnnxModel, onnx_paths, unusable


@pytest.fixture(scope="module")
def onnx_run(tmp_path_factory):
    """A small rr_resnet trained on fixture record 101 (208 unseen); training exports it."""
    return train_tiny(tmp_path_factory.mktemp("onnx"), "onnx-test")


def run_copy(src: Path, dest: Path, *, onnx: bool = True) -> Path:
    shutil.copytree(src, dest)
    if not onnx:
        for path in onnx_paths(dest):
            path.unlink()
    return dest


def test_training_exports_model_onnx_and_what_it_takes(onnx_run):
    run_dir, _ = onnx_run
    model, meta_path = onnx_paths(run_dir)
    meta = json.loads(meta_path.read_text())
    assert model.stat().st_size > 1000
    assert [i["name"] for i in meta["inputs"]] == ["x", "rr"]
    assert meta["inputs"][0]["shape"] == ["batch", 1, 187] and meta["inputs"][1]["shape"][0] == "batch"
    assert meta["outputs"][0]["shape"] == ["batch", 5]
    assert meta["classes"] == ["N", "S", "V", "F", "Q"] and len(meta["rr_names"]) == meta["inputs"][1]["shape"][1]
    assert meta["preprocessing"]["lead"] == "MLII" and meta["preprocessing"]["seq_len"] == 187
    assert set(meta["postprocessing"]) == {"morphology_vote", "morphology_keep", "rhythm_gate"}
    assert meta["checkpoint"]["file"] == "best.ckpt" and meta["max_abs_diff_vs_torch"] <= 1e-5
    assert unusable(run_dir, "best") is None
    assert not [p for p in model.parent.iterdir() if p.name.startswith(".")]  # no temporary files left


def read_rows(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()]


def assert_same_outputs(a: Path, b: Path, name: str) -> None:
    """The annotation files are byte-identical; the CSVs too, except that a probability may end
    one digit apart where float32 rounding in the two engines (~1e-7) straddles the 4th decimal."""
    assert (a / f"{name}.seqlab").read_bytes() == (b / f"{name}.seqlab").read_bytes()
    rows_a, rows_b = read_rows(a / f"{name}.seqlab.csv"), read_rows(b / f"{name}.seqlab.csv")
    assert len(rows_a) == len(rows_b) > 30 and rows_a[0] == rows_b[0]
    for ra, rb in zip(rows_a[1:], rows_b[1:]):
        assert ra[:3] == rb[:3]  # sample, time, class
        assert np.abs(np.array(ra[3:], float) - np.array(rb[3:], float)).max() <= 1.0001e-4


def test_both_engines_write_the_same_files(onnx_run, tmp_path, capsys):
    run_dir, records = onnx_run
    recs = [str(records / "208"), str(records / "101")]
    for engine in ("onnx", "torch"):
        assert main(["predict", str(run_dir), *recs, "--out", str(tmp_path / engine), "--engine", engine]) == 0
        assert main(["predict", str(run_dir), recs[0], "--annotations", "atr", "--engine", engine,
                     "--out", str(tmp_path / f"atr-{engine}" / "208.seqlab.csv")]) == 0
        assert f"x real time, {engine})" in capsys.readouterr().out
    for name in ("208", "101"):
        assert_same_outputs(tmp_path / "onnx", tmp_path / "torch", name)
    assert_same_outputs(tmp_path / "atr-onnx", tmp_path / "atr-torch", "208")


def test_auto_takes_onnx_when_it_is_there_and_torch_otherwise(onnx_run, tmp_path, capsys):
    import torch

    run_dir, records = onnx_run
    argv = [str(records / "208"), "--out", str(tmp_path / "p.csv")]
    assert main(["predict", str(run_dir), *argv]) == 0
    assert "onnx)" in capsys.readouterr().out
    bare = run_copy(run_dir, tmp_path / "bare", onnx=False)
    assert main(["predict", str(bare), *argv]) == 0
    assert "torch)" in capsys.readouterr().out
    assert main(["predict", str(bare), *argv, "--engine", "onnx"]) == 2
    err = capsys.readouterr().err
    assert "model.onnx not found" in err and f"seqlab export {bare}" in err
    stale = run_copy(run_dir, tmp_path / "stale")  # best.ckpt replaced after the export
    ckpt = torch.load(stale / "checkpoints" / "best.ckpt", weights_only=True)
    ckpt["epoch"] += 1
    torch.save(ckpt, stale / "checkpoints" / "best.ckpt")
    assert "older best.ckpt" in unusable(stale, "best")
    assert main(["predict", str(stale), *argv]) == 0
    assert "torch)" in capsys.readouterr().out


def export_cli(argv: list[str]) -> int:
    from seqlab.cli import export

    parser = argparse.ArgumentParser(prog="seqlab")
    export.register(parser.add_subparsers(dest="command"))
    return run_command(parser.parse_args(argv))


def test_export_command_for_an_existing_run(onnx_run, tmp_path, capsys):
    run_dir, records = onnx_run
    bare = run_copy(run_dir, tmp_path / "bare", onnx=False)
    assert export_cli(["export", str(bare), "--format", "onnx"]) == 0
    out = capsys.readouterr().out
    assert "model.onnx" in out and "rr_resnet from best.ckpt" in out and "x ('batch', 1, 187)" in out
    assert onnx_paths(bare)[0].read_bytes() == onnx_paths(run_dir)[0].read_bytes()
    assert main(["predict", str(bare), str(records / "208"), "--out", str(tmp_path / "p.csv")]) == 0
    assert "onnx)" in capsys.readouterr().out
    assert export_cli(["export", str(tmp_path / "nothing")]) == 2
    assert "config.yaml not found" in capsys.readouterr().err


def test_a_failed_export_is_one_line_and_leaves_the_old_files(onnx_run, tmp_path, monkeypatch, caplog):
    run_dir, _ = onnx_run
    copy = run_copy(run_dir, tmp_path / "run")
    before = [p.read_bytes() for p in onnx_paths(copy)]

    def refuse(*args, **kwargs):
        raise RuntimeError("Exporting the operator 'aten::scaled_dot_product_attention' is not supported\n"
                           "  (a long traceback-like second line)")

    monkeypatch.setattr(exportlib, "to_onnx_bytes", refuse)
    with pytest.raises(RuntimeError):
        exportlib.export_onnx(copy)
    assert [p.read_bytes() for p in onnx_paths(copy)] == before
    with caplog.at_level("WARNING"):
        assert exportlib.export_after_training(copy, "best") is None
    (record,) = caplog.records
    assert "no model.onnx" in record.getMessage() and "\n" not in record.getMessage()
    assert "scaled_dot_product_attention" in record.getMessage()


def test_the_onnx_command_imports_no_torch(onnx_run, tmp_path):
    """The real command path (forked preparation, ONNX Runtime) in a fresh interpreter."""
    run_dir, records = onnx_run
    script = (
        "import sys\n"
        "from seqlab.cli.main import main\n"
        f"code = main(['predict', {str(run_dir)!r}, {str(records / '208')!r}, {str(records / '101')!r},"
        f" '--out', {str(tmp_path)!r}, '--engine', 'onnx'])\n"
        "print('LOADED', sorted(m for m in ('torch', 'lightning', 'sklearn', 'pytorch_lightning')"
        " if m in sys.modules))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout and "onnx)" in done.stdout
    # the same engine in one process (torch is imported here, so nothing is forked): same bytes
    here = tmp_path / "here"
    assert main(["predict", str(run_dir), str(records / "208"), str(records / "101"), "--out", str(here),
                 "--engine", "onnx"]) == 0
    for name in ("208.seqlab.csv", "208.seqlab", "101.seqlab.csv", "101.seqlab"):
        assert (tmp_path / name).read_bytes() == (here / name).read_bytes()


def test_records_read_here_and_cut_in_the_child_match_in_process(onnx_run):
    from seqlab.inference.prefetch import BeatPrefetcher

    run_dir, records = onnx_run
    paths = [records / "208", records / "101", records / "208"]
    with BeatPrefetcher(run_dir, paths, background=True, read_here=True, onnx_threads=1) as stream:
        assert stream._proc is not None and stream._queue is not None
        forked = list(stream)
    in_process = list(BeatPrefetcher(run_dir, paths, background=False))
    assert [p.record for p in forked] == paths
    for a, b in zip(forked, in_process):
        assert np.array_equal(a.peaks, b.peaks) and a.fs == b.fs and a.n_samples == b.n_samples
        assert all(np.array_equal(a.inputs[k], b.inputs[k]) for k in ("x", "rr"))
    # the child classified every second record, exactly as this process's ONNX session does
    assert [p.probs is not None for p in forked] == [False, True, False]
    assert np.array_equal(forked[1].probs, OnnxModel(run_dir).predict_proba(in_process[1].inputs))


def test_a_record_that_cannot_be_read_here_is_raised_at_that_record(onnx_run):
    from seqlab.errors import SeqlabError
    from seqlab.inference.prefetch import BeatPrefetcher

    run_dir, records = onnx_run
    stream = BeatPrefetcher(run_dir, [records / "208", records / "999", records / "101"],
                            background=True, read_here=True)
    with stream:
        it = iter(stream)
        assert next(it).record.name == "208"
        with pytest.raises(SeqlabError, match="999"):
            next(it)
    assert stream._proc is None
