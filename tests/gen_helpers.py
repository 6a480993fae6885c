"""Tiny beats and a tiny trained generator run for the generator tests (a plain module, like
``testpaths``): two classes whose beats differ in the sign of a central bump, so a
class-conditional generator must learn which is which."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqlab import config
from seqlab.data.base import PreparedData, Split

CLASSES = ["N", "S"]
SHAPE = (2, 32)  # channels, samples per beat
NUM_RR = 3


def tiny_split(n: int, seed: int, records: list[str]) -> Split:
    """``n`` beats: class N a positive bump, class S a negative one, channel 2 half the first;
    RR features around 1 (N) or 0.6 (S); the record id per beat in ``groups``."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.linspace(-1, 1, SHAPE[1], dtype=np.float32)
    bump = np.exp(-(t / 0.2) ** 2)[None, :] * np.where(y == 0, 1.0, -1.0)[:, None]  # (n, T)
    x = np.stack([bump, 0.5 * bump], axis=1) + 0.05 * rng.standard_normal((n, *SHAPE))  # (n, C, T)
    rr = np.where(y[:, None] == 0, 1.0, 0.6) + 0.05 * rng.standard_normal((n, NUM_RR))
    groups = np.asarray(records)[np.arange(n) % len(records)]
    return Split({"x": x.astype(np.float32), "rr": rr.astype(np.float32)}, y.astype(np.int64), groups)


def tiny_data() -> PreparedData:
    return PreparedData(classes=list(CLASSES), train=tiny_split(240, 0, ["r1", "r2"]),
                        val=tiny_split(60, 1, ["r3"]), test=tiny_split(60, 2, ["r4"]),
                        model_kwargs={"in_channels": SHAPE[0], "seq_len": SHAPE[1], "num_rr": NUM_RR},
                        summary={"protocol": "tiny test beats", "records": {"train": ["r1", "r2"], "val": ["r3"],
                                                                            "test": ["r4"]}})


def generator_config(model: str = "beat_cvae", epochs: int = 15, **params) -> config.RunConfig:
    """A generator config over the tiny beats (the data section is a placeholder: tests pass
    ``data=tiny_data()`` to ``run.train``)."""
    return config.from_dict({
        "name": f"tiny-{model}", "seed": 0,
        "data": {"name": "synthetic_waves", "batch_size": 40},
        "model": {"name": model, "hidden": 32, **params},
        "optim": {"name": "adam", "lr": 0.005},
        "trainer": {"max_epochs": epochs, "progress_bar": False, "threads": 1, "log_every_n_steps": 5},
    })


def train_generator(out: Path, model: str = "beat_cvae", epochs: int = 15, **params) -> Path:
    from seqlab.training import run

    return run.train(generator_config(model, epochs, **params), out, data=tiny_data(), report=False)


_TRAINED: dict[str, Path] = {}


def shared_generator(tmp_path_factory) -> Path:
    """One tiny trained cVAE run per test session, shared by the test modules that only read it."""
    if "cvae" not in _TRAINED:
        _TRAINED["cvae"] = train_generator(tmp_path_factory.mktemp("gen") / "cvae")
    return _TRAINED["cvae"]
