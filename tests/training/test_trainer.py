"""The trainer a user trusts: same config -> same numbers; a killed run resumes exactly."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab import config
from seqlab.training import run
from seqlab.inference.evaluate import evaluate
from seqlab.inference.loading import load_checkpoint

from testpaths import REPO, SMOKE

NUMERIC = ("accuracy", "macro_f1", "macro_sensitivity", "macro_ppv", "auroc_macro", "confusion_matrix", "per_class")


def headline(run_dir: Path) -> dict:
    m = json.loads((run_dir / "metrics.json").read_text())
    return {k: m[k] for k in NUMERIC}


def test_smoke_run_writes_a_complete_run_dir(smoke_run):
    for name in ("config.yaml", "data_summary.json", "metrics.json", "timing.json", "report.html",
                 "checkpoints/best.ckpt", "checkpoints/last.ckpt", "logs/csv/metrics.csv",
                 "plots/confusion_counts.png", "plots/learning_curves.png", "plots/roc.png"):
        assert (smoke_run / name).exists(), name
    m = json.loads((smoke_run / "metrics.json").read_text())
    assert m["accuracy"] > 0.6  # three waveform shapes are learnable in 4 epochs


def test_same_config_twice_gives_identical_metrics(smoke_run, tmp_path):
    again = run.train(config.load(SMOKE), tmp_path / "again", report=False)
    assert headline(again) == headline(smoke_run)


def test_checkpoints_load_with_weights_only_and_carry_the_config(smoke_run):
    for name in ("best", "last"):
        ckpt = torch.load(smoke_run / "checkpoints" / f"{name}.ckpt", weights_only=True)
        assert ckpt["hyper_parameters"]["config"]["model"]["name"] == "tiny_cnn"
        assert "RngState" in " ".join(ckpt["callbacks"])


def test_evaluate_reproduces_the_training_run_metrics(smoke_run):
    before = headline(smoke_run)
    after = evaluate(smoke_run)
    assert {k: after[k] for k in NUMERIC} == before


def test_existing_run_dir_is_not_overwritten(smoke_run):
    from seqlab.errors import SeqlabError

    with pytest.raises(SeqlabError, match="--resume"):
        run.train(config.load(SMOKE), smoke_run)


def _train_cmd(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "seqlab.cli.main", "train", str(SMOKE), "--out", str(out),
            "data.n_samples=4000", "trainer.max_epochs=6", *extra]


def test_killed_run_resumes_to_the_same_metrics(tmp_path):
    """A real SIGKILL mid-training, then `seqlab train --resume`, ends where an uninterrupted
    run ends (same shuffle order per epoch, same RNG streams for dropout)."""
    extra = ("model.dropout=0.2",)
    full = tmp_path / "full"
    subprocess.run(_train_cmd(full, *extra), check=True, capture_output=True, cwd=REPO)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train_cmd(killed, *extra), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    last = killed / "checkpoints" / "last.ckpt"
    deadline = time.time() + 120
    while time.time() < deadline:
        if last.exists() and load_checkpoint(last)["epoch"] >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    epoch_at_kill = load_checkpoint(last)["epoch"]
    assert epoch_at_kill < 5, "the run finished before it could be killed"
    assert not (killed / "metrics.json").exists()

    out = subprocess.run([sys.executable, "-m", "seqlab.cli.main", "train", "--resume", str(killed)],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert str(killed) in out.stdout
    assert headline(killed) == headline(full)
    # the learning curves keep the epochs before the kill (Lightning's CSV logger would delete them)
    from seqlab.report.rundir import read_curves

    curves = read_curves(killed / "logs" / "csv" / "metrics.csv")
    assert sorted(curves["val/macro_f1"]) == list(range(6))


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "seqlab.cli.main", "train", "--resume", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 1
    assert "no checkpoints/last.ckpt" in out.stderr and "Traceback" not in out.stderr


def test_kill_during_checkpoint_save_keeps_the_previous_file(tmp_path):
    """The atomic writer: a process killed while writing leaves the old checkpoint loadable."""
    target = tmp_path / "last.ckpt"
    torch.save({"epoch": 1, "w": torch.zeros(3)}, target)
    code = (
        "import os, torch\n"
        "from seqlab.training.checkpoint import AtomicCheckpointIO\n"
        "class Boom:\n"
        "    def __reduce__(self):\n"
        "        os.kill(os.getpid(), 9)\n"
        f"AtomicCheckpointIO().save_checkpoint({{'epoch': 2, 'w': torch.ones(10**6), 'x': Boom()}}, {str(target)!r})\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO)
    assert proc.returncode == -9
    ckpt = torch.load(target, weights_only=True)
    assert ckpt["epoch"] == 1


def test_weighted_sampler_and_class_weights_run(tmp_path):
    cfg = config.load(SMOKE, ["data.imbalance=0.2", "data.sampler=weighted_sampler",
                              "optim.class_weights=balanced", "trainer.max_epochs=1",
                              "optim.scheduler=cosine", "optim.label_smoothing=0.1", "optim.l1=1e-5"])
    out = run.train(cfg, tmp_path / "w", report=False)
    counts = json.loads((out / "data_summary.json").read_text())["counts"]["train"]
    assert counts["sawtooth"] < counts["sine"] / 2
    assert json.loads((out / "metrics.json").read_text())["n_samples"] > 0


def test_epoch_seeded_sampler_order_depends_on_epoch_only():
    from seqlab.training.data import EpochSeededSampler

    a, b = EpochSeededSampler(50, seed=3), EpochSeededSampler(50, seed=3)
    a.set_epoch(4)
    torch.manual_seed(123)  # the global RNG must not matter
    b.set_epoch(4)
    assert list(a) == list(b)
    b.set_epoch(5)
    assert list(a) != list(b)
    assert sorted(a) == list(range(50))
    w = EpochSeededSampler(1000, seed=0, weights=np.r_[np.ones(900) / 900, np.ones(100) / 100])
    drawn = np.array(list(w))
    assert 0.4 < (drawn >= 900).mean() < 0.6
    from seqlab.training.data import balanced_sample_weights

    y = np.r_[np.zeros(900, int), np.ones(100, int)]
    sqrt = np.array(list(EpochSeededSampler(1000, seed=0, weights=balanced_sample_weights(y, 0.5))))
    assert 0.2 < (sqrt >= 900).mean() < 0.3  # sqrt(100) / (sqrt(900) + sqrt(100)) = 0.25
