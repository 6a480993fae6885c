"""Per-step overhead of seqlab's Lightning trainer against a plain PyTorch loop.

Same model (kachuee_resnet, 187-sample beats), same data (synthetic, in memory), same batch
size, optimiser, epochs and thread count; the plain loop is the anchor in ../shared/ANCHORS.md
(24.3 ms per step, batch 128, 2 threads). The plain fit does the same work as the trainer's
(every epoch: shuffled training batches, then a forward pass over the validation split) and
runs before and after the Lightning fit: their mean is the reference, and a gap between them
shows a change in machine load. Two ratios (target <= 1.10x):

* step: median time between consecutive training batches inside ``trainer.fit`` (a
  callback) over the plain loop's median step: the trainer's per-step cost (loader, hooks,
  logging, metrics);
* fit: the fit's time (``on_fit_start`` to ``on_fit_end``) over its steps, over the plain
  fit's: adds epoch-end logging and checkpoint writes (``timing.json``'s ``step_ms``, which
  also counts the trainer's start-up, is printed beside it).

Wall and CPU (``time.process_time``) times are both printed: on a busy machine the CPU ratio
is the steadier one.

    OMP_NUM_THREADS=1 python benchmarks/bench_trainer_overhead.py [--steps 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import lightning as L
import numpy as np
import torch

from seqlab import config
from seqlab.data.base import PreparedData, Split
from seqlab.models.catalog import MODELS
from seqlab.training import run


def fake_beats(n: int, rng: np.random.Generator) -> Split:
    return Split(rng.standard_normal((n, 1, 187)).astype(np.float32), rng.integers(0, 5, n).astype(np.int64))


def _clocks() -> np.ndarray:
    """(wall, CPU) seconds: CPU time holds up better than wall time on a busy machine."""
    return np.array([time.perf_counter(), time.process_time()])


def plain_fit(data: PreparedData, epochs: int, batch: int, eval_batch: int) -> tuple[float, float]:
    """A plain PyTorch fit doing the work Lightning's does: ``epochs`` shuffled passes over the
    full batches, each followed by a forward pass over the validation split. Returns the
    median steady-state step (ms) and the whole fit's wall time per step (ms)."""
    torch.manual_seed(0)
    model = MODELS.get("kachuee_resnet").fn(num_classes=5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
    vx, vy = torch.from_numpy(data.val.x), torch.from_numpy(data.val.y)
    times, steps, start = [], 0, _clocks()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y))
        last = None
        for i in range(0, len(y) - batch + 1, batch):
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            now = _clocks()
            if last is not None and i // batch > 5:  # past warm-up
                times.append(now - last)
            last, steps = now, steps + 1
        model.eval()
        with torch.no_grad():
            for i in range(0, len(vy), eval_batch):
                loss_fn(model(vx[i:i + eval_batch]), vy[i:i + eval_batch])
    return 1000 * np.median(times, axis=0), 1000 * (_clocks() - start) / steps


class StepTimer(L.Callback):
    """(wall, CPU) time between consecutive training batch ends (steady-state steps only),
    and of the whole fit."""

    def __init__(self, skip: int = 5):
        self.skip, self.last, self.times, self.fit = skip, None, [], None

    def on_fit_start(self, trainer, module) -> None:
        self.fit = _clocks()

    def on_fit_end(self, trainer, module) -> None:
        self.fit = _clocks() - self.fit

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        now = _clocks()
        if self.last is not None and batch_idx > self.skip:  # same epoch, past warm-up
            self.times.append(now - self.last)
        self.last = now

    def on_train_epoch_end(self, trainer, module) -> None:
        self.last = None  # the gap across validation / checkpointing is not a step


def bench_config(batch: int, epochs: int) -> dict:
    return {"name": "bench", "seed": 0, "data": {"name": "synthetic_waves", "batch_size": batch},
            "model": {"name": "kachuee_resnet"},
            "trainer": {"max_epochs": epochs, "progress_bar": False, "log_every_n_steps": 50}}


def lightning_loop(data: PreparedData, steps: int, batch: int, out: str):
    n_batches = len(data.train) // batch
    cfg = config.from_dict(bench_config(batch, max(1, round(steps / n_batches))))
    timer = StepTimer()
    run_dir = run.train(cfg, out, data=data, report=False, callbacks=[timer])
    import json

    timing = json.loads((run_dir / "timing.json").read_text())
    n_steps = max(1, timing["steps_before"])
    return 1000 * np.median(timer.times, axis=0), 1000 * timer.fit / n_steps, timing["step_ms"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="/tmp/seqlab-bench-trainer")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import shutil

    shutil.rmtree(args.out, ignore_errors=True)
    rng = np.random.default_rng(0)
    n = args.batch * 100
    data = PreparedData(classes=list("NSVFQ"), train=fake_beats(n, rng), val=fake_beats(2048, rng),
                        test=fake_beats(2048, rng), model_kwargs={"in_channels": 1, "seq_len": 187, "num_rr": 0})
    epochs = max(1, round(args.steps / (n // args.batch)))
    eval_batch = config.from_dict(bench_config(args.batch, epochs)).eval.batch_size
    before = plain_fit(data, epochs, args.batch, eval_batch)
    in_loop, whole, step_ms = lightning_loop(data, args.steps, args.batch, args.out)
    after = plain_fit(data, epochs, args.batch, eval_batch)
    step, fit = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    print(f"threads {args.threads}, batch {args.batch}, kachuee_resnet on 187-sample beats, "
          f"{epochs} epochs of {n // args.batch} steps, validation every epoch")
    print(f"{'ms per step':<26} {'wall':>8} {'CPU':>8}   (plain before / after, wall)")
    print(f"{'plain PyTorch, step':<26} {step[0]:8.2f} {step[1]:8.2f}   ({before[0][0]:.2f} / {after[0][0]:.2f})")
    print(f"{'plain PyTorch, fit':<26} {fit[0]:8.2f} {fit[1]:8.2f}   ({before[1][0]:.2f} / {after[1][0]:.2f})")
    print(f"{'seqlab Lightning, step':<26} {in_loop[0]:8.2f} {in_loop[1]:8.2f}")
    print(f"{'seqlab Lightning, fit':<26} {whole[0]:8.2f} {whole[1]:8.2f}   (timing.json step_ms {step_ms:.2f})")
    print(f"ratio Lightning / plain, step: {in_loop[0] / step[0]:.3f}x wall, {in_loop[1] / step[1]:.3f}x CPU "
          "(the trainer's per-step cost)")
    print(f"ratio Lightning / plain, fit : {whole[0] / fit[0]:.3f}x wall, {whole[1] / fit[1]:.3f}x CPU "
          "(adds start-up, epoch-end logging, checkpoints)")
    print("target: <= 1.10x")


if __name__ == "__main__":
    main()
