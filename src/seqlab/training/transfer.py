"""Transfer learning: start from another run's weights, freeze layers by name, unfreeze later.

Why by tensor name and shape rather than ``load_state_dict(strict=False)``: a source trained
on MIT-BIH's 5 AAMI classes and a PTB target with 2 classes share every tensor except the
last linear layer; ``strict=False`` would still fail on the shape mismatch, and silently
skipping by accident is how a "transferred" model ends up trained from scratch. Here every
tensor is either loaded or listed as skipped with its reason, and the list is printed and
saved in the run directory (``transfer.json``).

Config keys (``model:`` section): ``init_from: RUN_DIR``, ``freeze: [regex, ...]`` (matched
with ``re.search`` against parameter names such as ``features.3.body.0.weight``),
``unfreeze_at_epoch: N``. Discriminative learning rates use ``optim.lr_mult``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import lightning as L
from torch import nn

from seqlab.errors import ConfigError, SeqlabError
from seqlab.inference.loading import load_checkpoint


def source_weights(run_dir: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The network tensors (``model.`` prefix removed) and hyper-parameters of a run's best.ckpt."""
    run_dir = Path(run_dir)
    path = run_dir / "checkpoints" / "best.ckpt"
    if not path.exists():
        raise SeqlabError(f"model.init_from: {path} not found (is {run_dir} a finished seqlab run?)")
    ckpt = load_checkpoint(path)
    state = {k[len("model."):]: v for k, v in ckpt["state_dict"].items() if k.startswith("model.")}
    return state, ckpt.get("hyper_parameters", {})


def init_from(model: nn.Module, run_dir: str | Path, *, verbose: bool = True) -> dict[str, Any]:
    """Copy every tensor whose name and shape match; report what was loaded and skipped."""
    state, hp = source_weights(run_dir)
    target = model.state_dict()
    loaded, skipped = [], []
    for name, tensor in target.items():
        src = state.get(name)
        if src is None:
            skipped.append({"name": name, "reason": "not in source"})
        elif tuple(src.shape) != tuple(tensor.shape):
            skipped.append({"name": name, "reason": f"shape {tuple(src.shape)} in source, "
                                                    f"{tuple(tensor.shape)} here (e.g. another class count)"})
        else:
            loaded.append(name)
    if not loaded:
        raise SeqlabError(f"model.init_from: no tensor of {run_dir} matches this model "
                          f"(source model {hp.get('model_name')!r}); nothing would be transferred")
    model.load_state_dict({**target, **{k: state[k] for k in loaded}})
    unused = sorted(set(state) - set(target))
    info = {"init_from": str(run_dir), "source_model": hp.get("model_name"),
            "source_classes": hp.get("classes"), "loaded": loaded, "skipped": skipped, "unused_in_source": unused}
    if verbose:
        print(summary_line(info), file=sys.stderr)
    return info


def summary_line(info: dict[str, Any]) -> str:
    skipped = ", ".join(f"{s['name']} ({s['reason']})" for s in info["skipped"]) or "none"
    return (f"init_from {info['init_from']}: loaded {len(info['loaded'])} tensors, "
            f"skipped {len(info['skipped'])}: {skipped}")


def freeze(model: nn.Module, patterns: list[str]) -> list[str]:
    """Set ``requires_grad=False`` on parameters whose name matches any regex; returns them.
    A pattern that matches nothing is a config mistake, reported with a few real names."""
    names = [n for n, _ in model.named_parameters()]
    frozen = []
    for pat in patterns:
        try:
            rx = re.compile(pat)
        except re.error as exc:
            raise ConfigError(f"model.freeze: {pat!r} is not a valid regex ({exc})") from None
        hits = [n for n in names if rx.search(n)]
        if not hits:
            raise ConfigError(f"model.freeze: {pat!r} matches no parameter; names look like "
                              f"{', '.join(names[:3])} ... {names[-1]}")
        frozen += [h for h in hits if h not in frozen]
    for n, p in model.named_parameters():
        if n in frozen:
            p.requires_grad_(False)
    return frozen


class Unfreeze(L.Callback):
    """Re-enable gradients of the frozen parameters at the start of epoch ``epoch``.

    The optimiser already holds them (``Classifier(keep_frozen=True)``) with no gradient, so
    Adam/SGD skip them until now; nothing is added to the optimiser mid-run, which keeps
    ``--resume`` exact. (Under DDP, parameters must not change ``requires_grad`` after wrapping:
    use ``trainer.strategy=ddp_find_unused_parameters_true`` or no unfreeze.)"""

    def __init__(self, names: list[str], epoch: int):
        self.names, self.epoch = set(names), epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch >= self.epoch:
            for n, p in pl_module.model.named_parameters():
                if n in self.names and not p.requires_grad:
                    p.requires_grad_(True)


def apply(model: nn.Module, model_cfg, run_dir: Path | None = None) -> tuple[dict[str, Any], list[L.Callback]]:
    """Apply ``init_from`` and ``freeze`` of a ``ModelConfig``; returns the info written to
    ``transfer.json`` and the callbacks the trainer needs."""
    info: dict[str, Any] = {}
    callbacks: list[L.Callback] = []
    if model_cfg.init_from:
        info.update(init_from(model, model_cfg.init_from))
    if model_cfg.freeze:
        info["frozen"] = freeze(model, model_cfg.freeze)
        if model_cfg.unfreeze_at_epoch is not None:
            info["unfreeze_at_epoch"] = model_cfg.unfreeze_at_epoch
            callbacks.append(Unfreeze(info["frozen"], model_cfg.unfreeze_at_epoch))
    elif model_cfg.unfreeze_at_epoch is not None:
        raise ConfigError("model.unfreeze_at_epoch needs model.freeze (which parameters to unfreeze)")
    if info and run_dir is not None:
        from seqlab import atomic

        atomic.write_json(run_dir / "transfer.json", info)
    return info, callbacks
