"""Two CPU processes (DDP over gloo) train configs/smoke.yaml to the single-process metrics.

Tolerance: 0.02 on test accuracy and macro-F1 (4 of 207 test samples). Why it is not exact:
with ``data.batch_size=32`` per process the effective batch (64) and the number of optimiser
steps equal the single-process run's, and for seed 0 Lightning's DistributedSampler draws the
same permutation as ``EpochSeededSampler`` (each rank takes every other index), so both runs
see the same 64 samples per step. What differs is the float summation order of the gradient
all-reduce (~1e-7 relative), and the validation split padded by one duplicated sample to
split evenly over 2 ranks (188 vs 187), which can move the best-checkpoint choice by an epoch
when two epochs score within a sample of each other. Measured: identical test metrics.
"""

import json
import subprocess
import sys

import pytest

from testpaths import REPO, SMOKE

TOL = 0.02


def test_two_cpu_processes_match_the_single_process_run(smoke_run, tmp_path):
    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "seqlab.cli.main", "train", str(SMOKE), "--out", str(out),
           "trainer.devices=2", "trainer.strategy=ddp", "trainer.accelerator=cpu", "data.batch_size=32"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MEMBER: 2/2" in proc.stdout + proc.stderr  # a second process joined the gloo group
    single = json.loads((smoke_run / "metrics.json").read_text())
    ddp = json.loads((out / "metrics.json").read_text())
    assert ddp["n_samples"] == single["n_samples"]  # rank 0 evaluates the whole test split
    for key in ("accuracy", "macro_f1"):
        assert ddp[key] == pytest.approx(single[key], abs=TOL), key
    assert (out / "report.html").exists() and (out / "checkpoints" / "best.ckpt").exists()
