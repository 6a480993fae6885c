"""The effect of each regularisation / imbalance / augmentation switch on validation macro-F1.

``seqlab ablate CONFIG`` trains the config as given (the base), then once per switch with
that one switch flipped (off -> its "on" value, or on -> off), and prints a table of
validation macro-F1 off / on / difference. Why flip one at a time from the user's own config
rather than a full factorial: the question a practitioner asks is "does this switch help
*my* setup", and 2^11 runs answer nothing faster. Why ``--seeds``: on small validation sets
a single run's difference is often within seed noise; with several seeds the table shows
mean ± std, and a difference smaller than the std should be read as "no effect".

Model switches (``dropout``, ``batch_norm``, ``noise_std``, ``dropconnect``) apply when the
model's factory takes that argument, and are listed as not applicable otherwise.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.config_tools import factory_default, get_key, with_key
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.models.registry import MODELS

# name -> (config key, off value, default on value)
SWITCHES: dict[str, tuple[str, Any, Any]] = {
    "weight_decay": ("optim.weight_decay", 0.0, 1e-3),
    "l1": ("optim.l1", 0.0, 1e-5),
    "label_smoothing": ("optim.label_smoothing", 0.0, 0.1),
    "early_stopping": ("trainer.early_stopping_patience", None, 3),
    "class_weights": ("optim.class_weights", "none", "balanced"),
    "weighted_sampler": ("data.sampler", "none", "weighted_sampler"),
    "augment": ("augment.prob", 0.0, 0.5),
    "dropout": ("model.dropout", 0.0, 0.3),
    "batch_norm": ("model.batch_norm", False, True),
    "noise_std": ("model.noise_std", 0.0, 0.05),
    "dropconnect": ("model.dropconnect", 0.0, 0.2),
}


def applicable(cfg: RunConfig, key: str) -> bool:
    if not key.startswith("model."):
        return True
    configlib._import_registries()
    return key.split(".", 1)[1] in inspect.signature(MODELS.get(cfg.model.name).fn).parameters


def plan(cfg: RunConfig, names: list[str] | None, on_values: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per switch: its key, the base value, and the (off, on) settings compared."""
    names = names or list(SWITCHES)
    unknown = [n for n in names if n not in SWITCHES]
    if unknown:
        raise ConfigError(f"unknown switch {unknown[0]!r}; valid: {', '.join(SWITCHES)}")
    configlib._import_registries()
    raw = cfg.to_dict()
    rows = []
    for name in names:
        key, off, on = SWITCHES[name]
        on = on_values.get(name, on)
        default = factory_default(MODELS.get(cfg.model.name).fn, key.split(".", 1)[1], off) \
            if key.startswith("model.") else off
        base = get_key(raw, key, default)
        row = {"switch": name, "key": key, "applicable": applicable(cfg, key)}
        if base != off:  # the config has it on: compare with it off
            on = base
        row.update({"off": off, "on": on, "base_is": "off" if base == off else "on"})
        rows.append(row)
    return rows


def run_ablation(cfg: RunConfig, out: str | Path, *, switches: list[str] | None = None, seeds: int = 1,
                 on_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train the base and one flipped run per applicable switch and seed; returns the table."""
    from seqlab.training import run

    out = Path(out)
    rows = plan(cfg, switches, on_values or {})
    raw = cfg.to_dict()
    raw.pop("tune", None)
    raw.setdefault("eval", {})["split"] = "val"
    raw.setdefault("trainer", {})["progress_bar"] = False
    data_cache: dict[int, Any] = {}

    def score(variant: dict[str, Any], name: str, seed: int) -> float:
        run_dir = out / f"{name}_s{seed}"
        if not (run_dir / "metrics.json").exists():
            vcfg = configlib.from_dict({**variant, "seed": cfg.seed + seed})
            same_data = all(get_key(variant, f"data.{k}") == get_key(raw, f"data.{k}")
                            for k in raw.get("data", {}) if k not in ("batch_size", "sampler"))
            data = data_cache.get(seed) if same_data else None
            if data is None:
                data = prepare_data(vcfg.data, vcfg.seed)
                if same_data:
                    data_cache[seed] = data
            run.train(vcfg, run_dir, data=data, report=False)
        return float(json.loads((run_dir / "metrics.json").read_text())["macro_f1"])

    base = [score(raw, "base", s) for s in range(seeds)]
    for row in rows:
        if not row["applicable"]:
            continue
        flipped_value = row["on"] if row["base_is"] == "off" else row["off"]
        flipped = [score(with_key(raw, row["key"], flipped_value), row["switch"], s) for s in range(seeds)]
        off, on = (base, flipped) if row["base_is"] == "off" else (flipped, base)
        row.update({"f1_off": _mean_std(off), "f1_on": _mean_std(on),
                    "delta": float(np.mean(on) - np.mean(off)),
                    "delta_per_seed": [float(b - a) for a, b in zip(off, on)]})
    result = {"config": cfg.name, "model": cfg.model.name, "data": cfg.data.name, "seeds": seeds,
              "base_val_macro_f1": _mean_std(base), "metric": "validation macro-F1 of the best checkpoint",
              "switches": rows}
    atomic.write_json(out / "ablation.json", result)
    atomic.write_text(out / "ablation.md", format_table(result) + "\n")
    return result


def _mean_std(v: list[float]) -> dict[str, float]:
    return {"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}


def format_table(result: dict[str, Any]) -> str:
    """A Markdown table (reads in a terminal and pastes into docs)."""
    b = result["base_val_macro_f1"]
    lines = [f"{result['config']} ({result['model']} on {result['data']}): {result['metric']}, "
             f"{result['seeds']} seed(s); base {b['mean']:.4f} ± {b['std']:.4f}", "",
             "| switch | key | off | on | base | F1 off | F1 on | Δ (on − off) |", "|---|---|---|---|---|---|---|---|"]
    for r in result["switches"]:
        if not r["applicable"]:
            lines.append(f"| {r['switch']} | {r['key']} | — | — | — | n/a | n/a | not a {result['model']} argument |")
            continue
        f = lambda s: f"{s['mean']:.4f} ± {s['std']:.4f}" if result["seeds"] > 1 else f"{s['mean']:.4f}"  # noqa: E731
        lines.append(f"| {r['switch']} | {r['key']} | {r['off']} | {r['on']} | {r['base_is']} | {f(r['f1_off'])} | "
                     f"{f(r['f1_on'])} | {r['delta']:+.4f} |")
    return "\n".join(lines)
