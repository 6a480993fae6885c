# long: the study's storage, trial claiming, heartbeat and budget belong with the objective they guard
"""Hyper-parameter search with Optuna: TPE sampling, median pruning on the validation metric.

The search space is data in the experiment YAML (dotted config keys, as in overrides)::

    tune:
      optim.lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
      model.dropout: {type: float, low: 0.0, high: 0.5}
      data.batch_size: {type: categorical, choices: [64, 128, 256]}

Each trial is an ordinary run directory (``TUNE_DIR/trials/trial_NNNN``) scored on the
validation split of its best checkpoint; the test split is never looked at. A Lightning
callback reports the monitored metric after every validation epoch, so ``MedianPruner`` stops
trials running below the median of earlier trials at the same epoch.

Why an RDB storage with heartbeats: the default is a SQLite file in the tune directory,
which suits one host (SQLite locking over NFS is unreliable). For several workers or
machines give ``--storage postgresql://...``; every worker sends a heartbeat, and a trial
whose worker was killed is marked FAIL (and re-queued once) instead of staying RUNNING
forever. ``--trials N`` is the number of trials *this worker* runs.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import optuna

from seqlab import atomic
from seqlab import config as configlib
from seqlab.config import RunConfig
from seqlab.config_tools import factory_default, get_key, set_key
from seqlab.data.catalog import prepare_data
from seqlab.errors import ConfigError
from seqlab.models.registry import MODELS

TYPES = ("float", "int", "categorical")
DATA_KEYS_SHARED = ("data.batch_size", "data.sampler")  # change the loader only: prepared data reused


def check_space(cfg: RunConfig) -> dict[str, dict[str, Any]]:
    """Validate the ``tune:`` section: entry shapes, and that every key is a real config key
    (set to its low / first choice and validated like an override)."""
    space = cfg.tune or {}
    if not space:
        raise ConfigError("the config has no 'tune:' section (dotted keys -> {type, low, high, log, choices})")
    for key, spec in space.items():
        kind = spec.get("type")
        if kind not in TYPES:
            raise ConfigError(f"tune.{key}.type must be one of {', '.join(TYPES)}, got {kind!r}")
        if kind == "categorical":
            if not isinstance(spec.get("choices"), list) or not spec["choices"]:
                raise ConfigError(f"tune.{key}: categorical needs a non-empty 'choices' list")
        elif "low" not in spec or "high" not in spec or spec["low"] > spec["high"]:
            raise ConfigError(f"tune.{key}: {kind} needs low <= high")
        extra = set(spec) - {"type", "low", "high", "log", "step", "choices"}
        if extra:
            raise ConfigError(f"tune.{key}: unknown field(s) {', '.join(sorted(extra))}; valid: type, low, high, "
                              f"log, step, choices")
        sample = spec["choices"][0] if kind == "categorical" else spec["low"]
        trial_config(cfg, {key: sample})
    return space


def suggest(trial: optuna.Trial, space: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for key, s in space.items():
        if s["type"] == "float":
            out[key] = trial.suggest_float(key, s["low"], s["high"], log=s.get("log", False), step=s.get("step"))
        elif s["type"] == "int":
            out[key] = trial.suggest_int(key, s["low"], s["high"], log=s.get("log", False), step=s.get("step", 1))
        else:
            out[key] = trial.suggest_categorical(key, s["choices"])
    return out


def trial_config(cfg: RunConfig, params: dict[str, Any], *, for_trial: bool = True) -> RunConfig:
    """The base config with ``params`` set; a trial evaluates on val, a best config keeps eval."""
    raw = cfg.to_dict()
    raw.pop("tune", None)
    for key, value in params.items():
        set_key(raw, key, value)
    if for_trial:
        raw.setdefault("eval", {})["split"] = "val"
        raw.setdefault("trainer", {})["progress_bar"] = False
    return configlib.from_dict(raw)


def base_params(cfg: RunConfig, space: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The hand-set config's values of the searched keys, when all lie inside the space
    (then trial 0 re-runs the hand-set config: the search is measured against it)."""
    raw, out = cfg.to_dict(), {}
    for key, s in space.items():
        node = get_key(raw, key)
        if node is None and key.startswith("model."):  # not in the YAML: the factory's default
            node = factory_default(MODELS.get(cfg.model.name).fn, key.split(".", 1)[1])
        if s["type"] == "categorical":
            ok = node in s["choices"]
        else:
            ok = isinstance(node, (int, float)) and s["low"] <= node <= s["high"]
        if not ok:
            return None
        out[key] = node
    return out


class PruningCallback(L.Callback):
    """Report the monitored validation metric to the trial each epoch; stop a bad trial.

    (optuna-integration's PyTorchLightningPruningCallback does the same; this avoids the
    extra package.)"""

    def __init__(self, trial: optuna.Trial, monitor: str):
        self.trial, self.monitor = trial, monitor

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        epoch = trainer.current_epoch
        self.trial.report(float(trainer.callback_metrics[self.monitor]), epoch)
        last = trainer.max_epochs is not None and epoch + 1 >= trainer.max_epochs
        if not last and self.trial.should_prune():  # at the last epoch stopping saves nothing
            raise optuna.TrialPruned(f"{self.monitor} below the median at epoch {epoch}")


def storage_for(url: str | None, tune_dir: Path, heartbeat: int) -> optuna.storages.RDBStorage:
    """The study's storage with heartbeats: a trial whose worker sent none for ``grace_s``
    seconds is marked FAIL and re-queued once. The grace is 3 heartbeats but at least 8 s, so
    a live worker whose heartbeat thread was held up a few seconds (a loaded machine, a long
    step holding the GIL) is not failed."""
    url = url or f"sqlite:///{(tune_dir / 'study.db').resolve()}"
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
    with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna 5 (since 2.8)
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)

        def stale(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            print(f"tune: trial {trial.number} lost its worker (no heartbeat): marked FAIL, re-queued once",
                  file=sys.stderr)
            retry(study, trial)

        return optuna.storages.RDBStorage(url, heartbeat_interval=heartbeat, grace_period=max(3 * heartbeat, 8),
                                          heartbeat_stale_trial_callback=stale, **kwargs)


class ClaimLock:
    """One worker at a time counts the study's trials and claims the next one, so that several
    workers stop at exactly ``budget`` trials: a PostgreSQL advisory lock (released by the
    server when a killed worker's connection drops), or a lock file in the tune directory for
    SQLite (released by the kernel). Other databases get no lock (``exclusive`` is False).
    ``release`` may be called more than once."""

    def __init__(self, storage: optuna.storages.RDBStorage, tune_dir: Path, study_name: str):
        self.storage, self.held, self.key = storage, None, f"seqlab-tune:{study_name}"
        self.dialect = storage.engine.dialect.name
        self.exclusive = self.dialect in ("postgresql", "sqlite")
        self.path = tune_dir / (".claim-" + "".join(c if c.isalnum() else "_" for c in study_name) + ".lock")

    def acquire(self) -> None:
        import sqlalchemy

        if self.dialect == "postgresql":  # held until the transaction ends (close = rollback)
            self.held = self.storage.engine.connect()
            self.held.execute(sqlalchemy.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": self.key})
        elif self.dialect == "sqlite":
            import fcntl

            self.held = open(self.path, "a")
            fcntl.flock(self.held, fcntl.LOCK_EX)

    def release(self) -> None:
        held, self.held = self.held, None
        if held is not None:
            held.close()  # ends the transaction / closes the file: the lock goes with it

    def __enter__(self) -> "ClaimLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def run_budget(study: optuna.Study, objective, lock: ClaimLock, *, budget: int, max_trials: int,
               poll_s: float) -> None:
    """Claim and run trials until the study holds ``budget`` finished (COMPLETE or PRUNED)
    trials. Under the lock, stale trials are failed (and re-queued) and the trials counted;
    ``study.ask`` inside ``optimize`` runs under it too, and the objective releases it. A
    worker killed mid-trial costs its trial (FAIL, re-queued), never the budget."""

    def claimed(trial: optuna.Trial) -> float:
        lock.release()
        return objective(trial)

    import time

    own = 0
    while own < max_trials:
        lock.acquire()
        try:
            go = _claimable(study, budget)
        except BaseException:
            lock.release()
            raise
        if go is None:
            lock.release()
            return
        if not go:  # the rest is running elsewhere: wait for it, or for its worker to go stale
            lock.release()
            time.sleep(poll_s)
            continue
        own += 1
        try:
            study.optimize(claimed, n_trials=1, gc_after_trial=True)
        finally:
            lock.release()


def _claimable(study: optuna.Study, budget: int) -> bool | None:
    """None: the budget is spent. True: a WAITING trial is there to take, or finished +
    running trials leave room for a new one (so non-failed trials never exceed the budget)."""
    from optuna.trial import TrialState

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    states = [t.state for t in study.get_trials(deepcopy=False)]
    finished = states.count(TrialState.COMPLETE) + states.count(TrialState.PRUNED)
    if finished >= budget:
        return None
    return TrialState.WAITING in states or finished + states.count(TrialState.RUNNING) < budget


def run_tune(cfg: RunConfig, tune_dir: str | Path, *, trials: int, storage: str | None = None,
             study_name: str | None = None, seed: int | None = None, startup_trials: int = 5,
             heartbeat: int = 30, budget: int | None = None) -> dict[str, Any]:
    """Run ``trials`` trials in this process (other workers may share the storage), then
    write the report from every trial in the study. With ``budget``, workers together run
    until the study holds ``budget`` finished trials (``trials`` then caps this worker's
    share): killed workers' trials are retried, and the count comes out exact."""
    from seqlab.training import run

    space = check_space(cfg)
    tune_dir = Path(tune_dir)
    tune_dir.mkdir(parents=True, exist_ok=True)
    monitor, direction = cfg.trainer.monitor, "maximize" if cfg.trainer.mode == "max" else "minimize"
    metric = monitor.split("/")[-1]
    if seed is None:  # one worker: reproducible; several: each draws its own random start-up points
        seed = cfg.seed if storage is None else cfg.seed + os.getpid()
    rdb = storage_for(storage, tune_dir, heartbeat)
    study = optuna.create_study(
        storage=rdb, study_name=study_name or cfg.name,
        load_if_exists=True, direction=direction,
        sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup_trials),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=max(2, startup_trials // 2), n_warmup_steps=1))
    lock = ClaimLock(rdb, tune_dir, study.study_name)
    if budget is not None and not lock.exclusive:
        raise ConfigError(f"--budget needs a SQLite or PostgreSQL storage, not {lock.dialect}")
    hand = base_params(cfg, space)
    with lock:  # several workers starting at once enqueue the hand-set trial once
        if hand is not None and not study.get_trials(deepcopy=False):
            study.enqueue_trial(hand, user_attrs={"hand_set": True})
    reuse = not any(k.startswith("data.") and k not in DATA_KEYS_SHARED for k in space)
    data = prepare_data(cfg.data, cfg.seed) if reuse else None
    worker = f"{socket.gethostname()}:{os.getpid()}"

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, space)
        tcfg = trial_config(cfg, params)
        run_dir = tune_dir / "trials" / f"{study.study_name}_{trial.number:04d}"
        trial.set_user_attr("worker", worker)
        trial.set_user_attr("run_dir", str(run_dir))
        run.train(tcfg, run_dir, data=data, report=False, callbacks=[PruningCallback(trial, monitor)])
        m = json.loads((run_dir / "metrics.json").read_text())
        if m.get(metric) is None:
            raise ConfigError(f"trainer.monitor {monitor!r}: metrics.json has no {metric!r} to optimise")
        return float(m[metric])

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if budget is None:
        study.optimize(objective, n_trials=trials, gc_after_trial=True)
    else:
        run_budget(study, objective, lock, budget=budget, max_trials=trials, poll_s=min(heartbeat, 5))
    return write_outputs(cfg, study, tune_dir)


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    rows = []
    for t in study.get_trials(deepcopy=False):
        dur = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start \
            else None
        rows.append({"number": t.number, "state": t.state.name, "value": t.value, "params": t.params,
                     "epochs": (max(t.intermediate_values) + 1) if t.intermediate_values else None,
                     "duration_s": None if dur is None else round(dur, 1), "worker": t.user_attrs.get("worker"),
                     "hand_set": bool(t.user_attrs.get("hand_set")), "run_dir": t.user_attrs.get("run_dir")})
    return rows


def write_outputs(cfg: RunConfig, study: optuna.Study, tune_dir: Path) -> dict[str, Any]:
    """best_config.yaml (ready to train), trials.json, tune_summary.json (the CLI then writes
    tune_report.html with ``seqlab.report.tune``)."""
    rows = trial_rows(study)
    done = [r for r in rows if r["state"] == "COMPLETE"]
    summary: dict[str, Any] = {"study": study.study_name, "direction": study.direction.name.lower(),
                               "metric": cfg.trainer.monitor, "n_trials": len(rows),
                               "states": {s: sum(r["state"] == s for r in rows) for s in {r["state"] for r in rows}},
                               "workers": sorted({r["worker"] for r in rows if r["worker"]}), "space": cfg.tune}
    hand = [r for r in done if r["hand_set"]]
    summary["hand_set_value"] = hand[0]["value"] if hand else None
    if done:
        best = study.best_trial
        summary.update({"best_value": best.value, "best_params": best.params, "best_trial": best.number})
        best_cfg = trial_config(cfg, best.params, for_trial=False)
        best_cfg.name = f"{cfg.name}-tuned"
        configlib.save(best_cfg, tune_dir / "best_config.yaml")
        summary["best_config"] = str(tune_dir / "best_config.yaml")
    atomic.write_json(tune_dir / "trials.json", rows)
    atomic.write_json(tune_dir / "tune_summary.json", summary)
    return summary
