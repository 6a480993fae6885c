"""Per-step overhead of seqlab's Lightning trainer against a plain PyTorch loop.

Same model (kachuee_resnet, 187-sample beats), same data (synthetic, in memory), same batch
size, optimiser and thread count; the plain loop is the anchor in ../shared/ANCHORS.md
(24.3 ms per step, batch 128, 2 threads). Prints ms/step for both and their ratio.

    python benchmarks/bench_trainer_overhead.py [--steps 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from seqlab import config
from seqlab.data.base import PreparedData, Split
from seqlab.models.registry import MODELS
from seqlab.training import run


def fake_beats(n: int, rng: np.random.Generator) -> Split:
    return Split(rng.standard_normal((n, 1, 187)).astype(np.float32), rng.integers(0, 5, n).astype(np.int64))


def plain_loop(data: PreparedData, steps: int, batch: int) -> float:
    torch.manual_seed(0)
    model = MODELS.get("kachuee_resnet").fn(num_classes=5)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
    model.train()
    done, t0 = 0, None
    while done < steps + 5:
        order = torch.randperm(len(y))
        for i in range(0, len(y) - batch + 1, batch):
            if done == 5:
                t0 = time.perf_counter()  # skip warm-up steps
            idx = order[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            done += 1
            if done == steps + 5:
                break
    return 1000 * (time.perf_counter() - t0) / steps


def lightning_loop(data: PreparedData, steps: int, batch: int, out: str) -> float:
    n_batches = len(data.train) // batch
    epochs = max(1, round(steps / n_batches))
    cfg = config.from_dict({
        "name": "bench", "seed": 0, "data": {"name": "synthetic_waves", "batch_size": batch},
        "model": {"name": "kachuee_resnet"},
        "trainer": {"max_epochs": epochs, "progress_bar": False, "log_every_n_steps": 50},
    })
    run_dir = run.train(cfg, out, data=data, report=False)
    import json

    timing = json.loads((run_dir / "timing.json").read_text())
    return timing["step_ms"]


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
    plain = plain_loop(data, args.steps, args.batch)
    light = lightning_loop(data, args.steps, args.batch, args.out)
    print(f"threads {args.threads}, batch {args.batch}, kachuee_resnet on 187-sample beats")
    print(f"plain PyTorch loop : {plain:7.2f} ms/step")
    print(f"seqlab (Lightning) : {light:7.2f} ms/step (whole fit incl. validation epochs / steps)")
    print(f"ratio              : {light / plain:7.3f}")


if __name__ == "__main__":
    main()
