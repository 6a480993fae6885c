"""Kills during checkpoint writes (issue 20, item 9): ``last.ckpt`` is the last epoch, a run
killed in the middle of any checkpoint write (the first one included) resumes from the true
last complete epoch to the metrics of an uninterrupted run, every ``last.ckpt`` left behind
loads with ``weights_only=True``, and the half-written temporary file is removed at the next
start. Where nothing complete exists, resuming says what is there in one line.

Runs are forked from a server that imported seqlab once (a fresh interpreter would pay
seconds of imports per kill); ``torch.save`` is wrapped there so that save number K writes a
fraction of its bytes and the process SIGKILLs itself mid-write.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

from seqlab import config
from seqlab.errors import SeqlabError
from seqlab.inference.loading import load_checkpoint
from seqlab.training.checkpoint import resume_checkpoint
from testpaths import SMOKE

OVERRIDES = ["data.n_samples=400", "trainer.max_epochs=4", "model.dropout=0.2"]
NUMERIC = ("accuracy", "macro_f1", "auroc_macro", "confusion_matrix", "per_class")

CHILD = """
import io, os, signal
from pathlib import Path
import torch
from seqlab import config
from seqlab.training import checkpoint, run

save, write = torch.save, checkpoint.AtomicCheckpointIO.save_checkpoint
calls = [0]

def killing_save(obj, fh, *args, **kwargs):
    calls[0] += 1
    if calls[0] == kill_at:  # write part of this checkpoint, then die mid-write
        buf = io.BytesIO()
        save(obj, buf)
        fh.write(buf.getvalue()[: int(len(buf.getvalue()) * fraction)])
        fh.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return save(obj, fh, *args, **kwargs)

def logged_write(self, ckpt, path, storage_options=None):
    write(self, ckpt, path, storage_options)
    with open(log, "a") as fh:  # a checkpoint is complete once it is renamed into place
        fh.write(f"{Path(path).name} {ckpt['epoch']}\\n")

torch.save = killing_save
checkpoint.AtomicCheckpointIO.save_checkpoint = logged_write
if action == "train":
    run.train(config.load(smoke, overrides), out, report=False)
else:
    run.resume(out, report=False)
"""


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["seqlab.training.run"])

    def fork(action: str, out: Path, kill_at: int = 0, fraction: float = 0.5) -> tuple[int, list[tuple[str, int]]]:
        """Run ``train`` or ``resume`` on ``out`` in a forked child; (exit code, completed saves)."""
        log = out.parent / f"{out.name}.saves"
        env = {"action": action, "out": str(out), "kill_at": kill_at, "fraction": fraction, "log": str(log),
               "smoke": str(SMOKE), "overrides": OVERRIDES}
        proc = ctx.Process(target=exec, args=(CHILD, env))
        proc.start()
        proc.join(timeout=600)
        saves = [(n, int(e)) for n, e in (line.split() for line in log.read_text().splitlines())] \
            if log.exists() else []
        return proc.exitcode, saves

    return fork


@pytest.fixture(scope="module")
def reference(fork, tmp_path_factory) -> tuple[Path, list[tuple[str, int]]]:
    """An uninterrupted run and the checkpoints it wrote, in order."""
    out = tmp_path_factory.mktemp("reference") / "run"
    code, saves = fork("train", out)
    assert code == 0
    return out, saves


def headline(run_dir: Path) -> dict:
    m = json.loads((run_dir / "metrics.json").read_text())
    return {k: m[k] for k in NUMERIC}


def test_last_ckpt_is_the_last_epoch_even_when_an_earlier_one_was_best(reference):
    run_dir, saves = reference
    assert load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["epoch"] == 3
    assert [e for n, e in saves if n == "last.ckpt"] == [0, 1, 2, 3]  # written every epoch
    best = [e for n, e in saves if n == "best.ckpt"]
    assert load_checkpoint(run_dir / "checkpoints" / "best.ckpt")["epoch"] == best[-1]


def test_eval_checkpoint_last_means_the_last_epoch(tmp_path):
    """A monitor whose best epoch is the first (mode=min on F1) used to leave last.ckpt there."""
    from seqlab.inference.evaluate import evaluate
    from seqlab.training import run

    cfg = config.load(SMOKE, [*OVERRIDES, "trainer.mode=min", "eval.checkpoint=last"])
    run_dir = run.train(cfg, tmp_path / "run", report=False)
    last = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    assert last["epoch"] == 3 and load_checkpoint(run_dir / "checkpoints" / "best.ckpt")["epoch"] < 3
    from seqlab.inference.loading import load_model

    model = load_model(run_dir, cfg.eval.checkpoint)
    assert all(torch.equal(v, last["state_dict"]["model." + k]) for k, v in model.state_dict().items())
    before = headline(run_dir)
    evaluate(run_dir)
    assert headline(run_dir) == before


def kill_and_resume(fork, reference, tmp_path: Path, kill_at: int, fraction: float) -> None:
    ref_dir, ref_saves = reference
    out = Path(tempfile.mkdtemp(prefix=f"k{kill_at}-{fraction:.2f}-", dir=tmp_path)) / "run"
    code, saves = fork("train", out, kill_at, fraction)
    assert code == -9, "the run was not killed"
    assert saves == ref_saves[: kill_at - 1]  # the same checkpoints as the reference, up to the kill
    ckpts = out / "checkpoints"
    orphans = list(ckpts.glob(".*.tmp"))
    assert len(orphans) == 1  # the write that was cut short
    for name in ("last.ckpt", "best.ckpt"):
        if (ckpts / name).exists():
            torch.load(ckpts / name, weights_only=True)
    if not saves:  # killed during the very first write: nothing to resume from, and it says so
        with pytest.raises(SeqlabError, match="no checkpoints/last.ckpt or best.ckpt .*start it again"):
            resume_checkpoint(out)
        code, _ = fork("train", out)  # what the message advises: train again into the same directory
    else:
        path, ckpt = resume_checkpoint(out)
        assert ckpt["epoch"] == max(e for _, e in saves)  # the true last complete epoch
        code, _ = fork("resume", out)
    assert code == 0
    assert not list(ckpts.glob(".*.tmp"))  # the orphan is gone
    assert load_checkpoint(ckpts / "last.ckpt")["epoch"] == 3
    assert headline(out) == headline(ref_dir)


@pytest.mark.parametrize("case", range(5))
def test_kill_during_a_checkpoint_write_resumes_to_the_same_metrics(fork, reference, tmp_path, case):
    """Five kills: the first write (best.ckpt of epoch 0), the first last.ckpt, a middle one,
    the last write, and one at a random point."""
    n = len(reference[1])
    kill_at = [1, 2, n // 2 + 1, n, random.Random(7).randint(1, n)][case]
    kill_and_resume(fork, reference, tmp_path, kill_at, [0.5, 0.1, 0.9, 0.5, 0.3][case])


@pytest.mark.slow
def test_fifty_kills_during_checkpoint_writes(fork, reference, tmp_path):
    rng = random.Random(20)
    n = len(reference[1])
    for _ in range(50):
        kill_and_resume(fork, reference, tmp_path, rng.randint(1, n), rng.uniform(0.0, 1.0))


def test_resume_picks_best_when_last_is_damaged_and_says_so(reference, tmp_path, capsys):
    run_dir = Path(shutil.copytree(reference[0], tmp_path / "run"))
    ckpts = run_dir / "checkpoints"
    (ckpts / "last.ckpt").write_bytes((ckpts / "last.ckpt").read_bytes()[:1000])
    path, ckpt = resume_checkpoint(run_dir)
    assert path.name == "best.ckpt"
    err = capsys.readouterr().err.strip()
    assert "resuming" in err and "from best.ckpt" in err and "last.ckpt is truncated" in err and "\n" not in err


def test_resume_with_nothing_usable_says_what_exists(reference, tmp_path):
    run_dir = Path(shutil.copytree(reference[0], tmp_path / "run"))
    ckpts = run_dir / "checkpoints"
    for name in ("last.ckpt", "best.ckpt"):
        (ckpts / name).write_bytes(b"garbage")
    with pytest.raises(SeqlabError) as info:
        resume_checkpoint(run_dir)
    msg = str(info.value)
    assert "\n" not in msg and "last.ckpt is truncated" in msg and "best.ckpt is truncated" in msg
    assert f"remove {ckpts}" in msg
    for name in ("last.ckpt", "best.ckpt"):
        (ckpts / name).unlink()
    (ckpts / ".last.ckpt.abcd1234.tmp").write_bytes(b"half")
    with pytest.raises(SeqlabError, match=r"holds only \.last\.ckpt\.abcd1234\.tmp"):
        resume_checkpoint(run_dir)
