# long: every section of a run's typed config with its value ranges, and the loader that checks them
"""Typed run configuration: one YAML per experiment, ``a.b=value`` overrides, one-line errors.

A config has the sections ``data``, ``model``, ``optim``, ``trainer``, ``eval`` and ``seed``.
``data`` is validated by the config class its dataset registered; ``model`` against the
factory's signature; the rest by the classes below. Any mistake stops with one line that
names the key and the valid choices (``ConfigError``, CLI exit code 2), e.g.::

    unknown key 'optim.lrr' (did you mean 'lr'?); valid: name, lr, weight_decay, ...
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from seqlab.data.base import DataConfigBase
from seqlab.data.registry import DATASETS
from seqlab.config_tools import first_error, set_key
from seqlab.yaml_strict import parse_yaml, read_yaml  # noqa: F401  (read_yaml: the one reader)
from seqlab.errors import ConfigError
from seqlab.models.registry import MODELS
from seqlab.registry import suggest

# Model arguments that come from the data (shapes), never from the YAML.
DATA_DERIVED = ("num_classes", "class_names", "in_channels", "seq_len", "num_rr", "rr_names",
                "vocab_size", "max_length", "pad_id", "analysers", "beats_per_window")


# Ranges a value must lie in, so that a typo ends in one line here instead of a traceback deep
# inside torch (or, for max_epochs: -1, in Lightning training forever).
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=1)]
BatchSize = Annotated[int, Field(ge=1, le=1 << 20)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class OptimConfig(Section):
    """Optimiser, loss and learning-rate schedule."""

    name: Literal["adam", "adamw", "sgd"] = "adam"
    lr: Positive = 1e-3
    weight_decay: NonNegative = 0.0
    momentum: Fraction = 0.9
    l1: NonNegative = 0.0  # L1 penalty on weights, added to the loss
    label_smoothing: Annotated[float, Field(ge=0, lt=1)] = 0.0
    class_weights: Literal["none", "balanced"] = "none"  # weight the loss by inverse frequency
    scheduler: Literal["none", "cosine", "step", "plateau", "onecycle", "linear_warmup"] = "none"
    step_size: Count = 10  # epochs, for scheduler=step
    gamma: Positive = 0.1  # decay factor, for step and plateau
    warmup_ratio: Annotated[float, Field(ge=0, lt=1)] = 0.0  # fraction of steps, for linear_warmup and onecycle
    # per-parameter-group learning-rate multipliers, {name regex: factor} (discriminative LRs)
    lr_mult: dict[str, NonNegative] = {}


class TrainerConfig(Section):
    """The Lightning trainer: epochs, devices, logging, checkpoint monitor."""

    max_epochs: Annotated[int, Field(ge=1, le=100_000)] = 10  # Lightning reads -1 as "forever"
    max_steps: Annotated[int, Field(ge=-1)] = -1  # optimiser steps; -1 = no step limit (epochs decide)
    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = "auto"
    devices: int | Literal["auto"] = 1
    num_nodes: Count = 1
    strategy: Literal["auto", "ddp", "ddp_spawn", "ddp_find_unused_parameters_true"] = "auto"
    precision: Literal["auto", "32", "16-mixed", "bf16-mixed"] = "auto"  # auto: 16-mixed on GPU
    gradient_clip_val: Positive | None = None
    monitor: str = "val/macro_f1"
    mode: Literal["max", "min"] = "max"
    early_stopping_patience: Annotated[int, Field(ge=0)] | None = None  # epochs without improvement; None = off
    num_workers: Annotated[int, Field(ge=0, le=256)] = 0
    deterministic: bool = True
    progress_bar: bool = True
    log_every_n_steps: Count = 50
    limit_train_batches: float | int = 1.0  # a fraction in (0, 1] or a number of batches
    threads: Annotated[int, Field(ge=1, le=1024)] | None = None  # torch.set_num_threads; None = torch's default

    @field_validator("limit_train_batches")
    @classmethod
    def _some_batches(cls, v: float | int) -> float | int:
        if isinstance(v, float) and not (0 < v <= 1):
            raise ValueError("a fraction must lie in (0, 1]; give a whole number for a count of batches")
        if isinstance(v, int) and v < 1:
            raise ValueError("at least one batch")
        return v

    @field_validator("devices")
    @classmethod
    def _some_devices(cls, v: int | str) -> int | str:
        if isinstance(v, int) and v < 1:
            raise ValueError("at least 1 (or auto)")
        return v


class EvalConfig(Section):
    """What the final evaluation uses."""

    split: Literal["test", "val"] = "test"
    checkpoint: Literal["best", "last"] = "best"  # last = the last epoch trained, not the best one
    batch_size: BatchSize = 1024
    # ECG beats: each beat's shape-based class probabilities become the mean over its k most
    # similar beats of the same record (``training.morphology_vote``; 0 = off); the classes in
    # morphology_keep are decided by timing and keep each beat's own probability
    morphology_vote: int = Field(0, ge=0)
    morphology_keep: list[str] = ["S"]
    # ECG beats with RR context features: a beat whose local RR irregularity exceeds this has
    # its S probability moved to N (``inference.postprocess.rhythm_gate``); None = off
    rhythm_gate: float | None = Field(None, gt=0, allow_inf_nan=False)


class SyntheticConfig(Section):
    """Beats from a conditional generator added to the training split (``training.synthetic``):
    ``run`` = a trained generator run (its training records are checked against this run's
    test records: overlap is reported as leakage), or ``config`` = a generator YAML trained
    inside this run on its own training split (per cross-validation fold: no leakage)."""

    run: str | None = None
    config: str | None = None
    per_class: dict[str, Annotated[int, Field(ge=1, le=1_000_000)]]  # class name -> beats to add
    checkpoint: Literal["best", "last"] | None = None  # None: the generator config's eval.checkpoint
    overrides: list[str] = []  # ``a.b=value`` overrides of ``config`` (e.g. trainer.max_epochs=5)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.run is None) == (self.config is None):
            raise ValueError("give exactly one of run (a trained generator) or config (a generator YAML)")
        return self


class AugmentConfig(Section):
    """ECG-style augmentation of training batches (``seqlab.training.augment``); off while
    ``prob`` is 0. Each transform fires per sample with probability ``prob``; a magnitude of 0
    turns that transform off."""

    prob: Fraction = 0.0
    scale: NonNegative = 0.1  # amplitude: x * exp(N(0, scale^2))
    wander: NonNegative = 0.1  # baseline wander amplitude (signal units; beats are z-scored)
    wander_cycles: Positive = 1.0  # wander frequency, at most this many cycles per window
    noise: NonNegative = 0.05  # Gaussian noise std
    motion: NonNegative = 0.1  # electrode-motion-like burst amplitude (smoothed noise under an envelope)
    shift: Annotated[float, Field(ge=0, le=0.5)] = 0.05  # time shift, at most this fraction of the window
    stretch: Annotated[float, Field(ge=0, lt=1)] = 0.05  # time stretch factor within 1 +- stretch
    # generated beats added to the training split only (``training.synthetic``); None = off
    synthetic: SyntheticConfig | None = None


class ReconstructConfig(Section):
    """Autoencoder training (``seqlab.training.reconstruct``; models of kind ``autoencoder``):
    the noise a denoising autoencoder learns to remove (``seqlab.data.ecg.noise``), the classes
    it is fitted on (``[N]``: an anomaly detector), the input SNRs its evaluation reports."""

    noise: list[Literal["bw", "ma", "em"]] = []  # NST-like kinds added to training inputs; [] = plain AE
    snr_db: tuple[float, float] = (-6.0, 12.0)  # training input SNR range, drawn uniformly per beat
    eval_snr_db: list[float] = [-6.0, 0.0, 6.0, 12.0]  # SNR-in -> SNR-out table (with noise)
    fit_classes: list[str] = []  # train and validate on these classes only ([] = every beat)
    normal_class: str = "N"  # anomaly score = reconstruction error; ROC-AUC of this class vs the rest
    fs: Positive | None = None  # sampling rate of the windows, for the noise; None = data.beat_fs

    @field_validator("snr_db")
    @classmethod
    def _ordered(cls, v: tuple[float, float]) -> tuple[float, float]:
        if v[0] > v[1]:
            raise ValueError("a range (low, high) with low <= high")
        return v


class ModelConfig(Section):
    """A registry name plus the factory's keyword arguments, and the transfer-learning keys
    (``init_from``, ``freeze``, ``unfreeze_at_epoch``) that are not factory arguments."""

    name: str
    params: dict[str, Any] = {}
    init_from: str | None = None  # RUN_DIR whose best.ckpt weights initialise the network
    freeze: list[str] = []  # regexes of parameter names to freeze (``features\.`` ...)
    unfreeze_at_epoch: int | None = None  # unfreeze them again at the start of this epoch


TRANSFER_KEYS = ("init_from", "freeze", "unfreeze_at_epoch")


class TopConfig(Section):
    """The top-level keys that are not sections (validated before the model: no torch import)."""

    name: str = "run"
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0  # the range numpy's seed accepts
    # figures a paper reports for this protocol, printed beside ours by `seqlab reproduce`
    reference: dict[str, Any] | None = None
    # search space for `seqlab tune`: {"optim.lr": {"type": "float", "low": .., "high": .., "log": true}}
    tune: dict[str, dict[str, Any]] | None = None


class RunConfig(TopConfig):
    data: DataConfigBase
    model: ModelConfig
    optim: OptimConfig = OptimConfig()
    trainer: TrainerConfig = TrainerConfig()
    eval: EvalConfig = EvalConfig()
    augment: AugmentConfig = AugmentConfig()
    reconstruct: ReconstructConfig = ReconstructConfig()

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict in the YAML's own shape (what `load` reads back)."""
        out = self.model_dump(mode="json", exclude={"data", "model"})
        out["data"] = self.data.model_dump(mode="json")
        out["model"] = {"name": self.model.name, **self.model.params,
                        **{k: getattr(self.model, k) for k in TRANSFER_KEYS if getattr(self.model, k) not in (None, [])}}
        if self.augment.prob == 0 and self.augment.synthetic is None:
            out.pop("augment")  # off: keep saved configs as small as the YAML they came from
        elif self.augment.synthetic is None:
            out["augment"].pop("synthetic")
        if self.reconstruct.model_dump() == ReconstructConfig().model_dump():
            out.pop("reconstruct")  # not an autoencoder run (or its defaults): leave the section out
        return {k: out[k] for k in ("name", "seed", "data", "model", "optim", "trainer", "eval", "augment",
                                    "reconstruct", "reference", "tune") if out.get(k) is not None}


SECTIONS = {"optim": OptimConfig, "trainer": TrainerConfig, "eval": EvalConfig, "augment": AugmentConfig,
            "reconstruct": ReconstructConfig}
TOP_KEYS = ("name", "seed", "data", "model", "optim", "trainer", "eval", "augment", "reconstruct", "reference",
            "tune")


def load(path: str | Path, overrides: list[str] = (), *, check_model: bool = True) -> RunConfig:
    """Read a YAML file, apply ``a.b=value`` overrides, validate everything.

    ``check_model=False`` keeps the model arguments as written, unchecked against the factory's
    signature: that check imports every model (and torch), which reading a finished run's
    ``config.yaml`` does not need (``load_run``)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    for item in overrides:
        apply_override(raw, item)
    return from_dict(raw, check_model=check_model)


def load_run(run_dir: str | Path) -> RunConfig:
    """A finished run's resolved ``config.yaml``, without importing torch (the prediction
    process that prepares records, the web page)."""
    path = Path(run_dir) / "config.yaml"
    if not path.is_file():
        raise ConfigError(f"{path} not found: is {run_dir} a finished seqlab run?")
    return load(path, check_model=False)


def apply_override(raw: dict[str, Any], item: str) -> None:
    """Set ``a.b.c=value`` in a nested dict; the value is parsed as YAML (``3e-4``, ``[1, 2]``)."""
    key, sep, text = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {item!r} is not of the form key.sub=value")
    try:
        set_key(raw, key, parse_yaml(text, "value") if text.strip() else None)
    except ConfigError as exc:
        raise ConfigError(f"override {item!r}: {exc}") from None


def from_dict(raw: dict[str, Any], *, check_model: bool = True) -> RunConfig:
    """Validate a plain dict (as read from YAML) into a ``RunConfig``."""
    _check_keys(raw, TOP_KEYS, "")
    for key in ("data", "model"):
        if not isinstance(raw.get(key), dict) or "name" not in raw[key]:
            raise ConfigError(f"missing '{key}.name': the {key} section must name a registered {key}"
                              f" (see `seqlab list {'datasets' if key == 'data' else 'models'}`)")
    _move_legacy_keys(raw)
    if check_model:
        _tokenizer_of_checkpoint(raw)
    data = _validate(data_config_class(raw["data"]["name"]), raw["data"], "data")
    if not 1 <= data.batch_size <= 1 << 20:  # the field every dataset config inherits
        raise ConfigError(f"'data.batch_size': must lie in 1..{1 << 20}, got {data.batch_size}")
    transfer = {k: v for k, v in raw["model"].items() if k in TRANSFER_KEYS}
    params = {k: v for k, v in raw["model"].items() if k != "name" and k not in TRANSFER_KEYS}
    model = _validate(ModelConfig, {"name": raw["model"]["name"], **transfer}, "model")
    sections = {k: _validate(cls, raw.get(k) or {}, k) for k, cls in SECTIONS.items()}
    top = {k: raw[k] for k in ("name", "seed", "reference", "tune") if k in raw}
    _validate(TopConfig, top, "")
    model.params = validate_model_params(raw["model"]["name"], params) if check_model else params
    try:
        return RunConfig(data=data, model=model, **sections, **top)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, RunConfig, "")) from None


def _move_legacy_keys(raw: dict[str, Any]) -> None:
    """``model.rhythm_gate`` (post-processing, now ``eval.rhythm_gate``) still reads as before."""
    model = dict(raw["model"])
    if "rhythm_gate" not in model:
        return
    gate = model.pop("rhythm_gate")
    section = dict(raw.get("eval") or {})
    if section.get("rhythm_gate") is not None:
        raise ConfigError("both 'model.rhythm_gate' and 'eval.rhythm_gate' are set; keep 'eval.rhythm_gate'")
    raw["model"], raw["eval"] = model, {**section, "rhythm_gate": gate}


def _tokenizer_of_checkpoint(raw: dict[str, Any]) -> None:
    """A Hugging Face checkpoint brings its own tokenizer: for the models registered with
    ``tokenizer="pretrained"`` (``hf_encoder``...), ``data.tokenizer_path`` defaults to
    ``model.pretrained``, so ``model.pretrained=NAME`` alone switches checkpoints."""
    _import_registries()
    name, pretrained = raw["model"]["name"], raw["model"].get("pretrained")
    if name in MODELS and MODELS.get(name).meta.get("tokenizer") == "pretrained" and pretrained \
            and not raw["data"].get("tokenizer_path"):
        raw["data"] = {**raw["data"], "tokenizer_path": str(pretrained)}


def data_config_class(name: str) -> type[DataConfigBase]:
    _import_datasets()
    return DATASETS.get(name).meta.get("config", DataConfigBase)


def validate_model_params(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check YAML model arguments against the factory's signature (names and types)."""
    _import_registries()
    entry = MODELS.get(name)
    fields = {}
    hints = typing.get_type_hints(entry.fn, include_extras=True)  # keeps Annotated[int, Field(ge=1)]
    for pname, param in inspect.signature(entry.fn).parameters.items():
        if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        default = None if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints.get(pname, Any) | None if default is None else hints.get(pname, Any), default)
    for key in params:
        if key in DATA_DERIVED and key in fields:
            raise ConfigError(f"model.{key} comes from the data; remove it from the config")
    cls = create_model(f"{name}_params", __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
                       **fields)
    validated = _validate(cls, params, "model")
    return {k: getattr(validated, k) for k in params}


def _validate(cls: type[BaseModel], raw: dict[str, Any], prefix: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"'{prefix}' must be a mapping of keys, got {raw!r}")
    try:
        return cls(**raw)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, cls, prefix)) from None


def _one_line(exc: ValidationError, cls: type[BaseModel], prefix: str) -> str:
    return first_error(exc, cls, prefix, hidden=("params", *DATA_DERIVED))


def _check_keys(raw: dict[str, Any], valid: tuple[str, ...], prefix: str) -> None:
    for key in raw:
        if key not in valid:
            raise ConfigError(f"unknown key '{prefix}{key}'{suggest(str(key), list(valid))}; "
                              f"valid: {', '.join(valid)}")


def _import_registries() -> None:
    """Fill the registries: importing the packages registers every model and dataset."""
    _import_datasets()
    import seqlab.models.catalog  # noqa: F401


def _import_datasets() -> None:
    import seqlab.data.catalog  # noqa: F401


def save(config: RunConfig, path: str | Path) -> None:
    from seqlab import atomic

    atomic.write_text(path, yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True))
