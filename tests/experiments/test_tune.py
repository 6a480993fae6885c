"""Hyper-parameter search: a study from the YAML space, pruning on the validation metric, a
ready-to-run best config, stale trials failed by heartbeat, and two workers on PostgreSQL."""

import json
import os
import subprocess
import sys
import time
import uuid

import optuna
import pytest
import torch

from seqlab import config
from seqlab.errors import ConfigError
from seqlab.experiments import tune

from testpaths import REPO

TUNE_SMOKE = REPO / "configs" / "tune" / "smoke.yaml"
PG_URL = os.environ.get("SEQLAB_TEST_PG_URL", "postgresql+psycopg2://seqlab:seqlab@localhost:5432/seqlab_test")


def test_search_writes_a_ready_to_run_best_config_and_a_report(tmp_path):
    cfg = config.load(TUNE_SMOKE, ["trainer.max_epochs=2"])
    s = tune.run_tune(cfg, tmp_path / "t", trials=3)
    assert s["n_trials"] == 3 and set(s["states"]) <= {"COMPLETE", "PRUNED"} and s["states"]["COMPLETE"] >= 2
    assert (tmp_path / "t" / "study.db").exists()  # default storage: SQLite in the tune directory
    rows = json.loads((tmp_path / "t" / "trials.json").read_text())
    assert rows[0]["hand_set"] and rows[0]["params"]["optim.lr"] == 0.003  # trial 0 = the hand-set config
    assert s["best_value"] >= s["hand_set_value"]
    best = config.load(tmp_path / "t" / "best_config.yaml")
    assert best.tune is None and best.eval.split == "test"
    assert best.optim.lr == pytest.approx(s["best_params"]["optim.lr"])
    from seqlab.report.tune import write_tune_report

    html = write_tune_report(tmp_path / "t").read_text()
    assert "best_config.yaml" in html and "hand-set" in html


def test_space_mistakes_are_one_line_config_errors():
    cfg = config.load(TUNE_SMOKE)
    for space, msg in [({"optim.lrr": {"type": "float", "low": 0.1, "high": 1}}, "optim.lrr"),
                       ({"optim.lr": {"type": "uniform", "low": 0.1, "high": 1}}, "must be one of"),
                       ({"optim.lr": {"type": "float", "low": 1, "high": 0.1}}, "low <= high"),
                       ({"model.width": {"type": "categorical"}}, "choices")]:
        cfg.tune = space
        with pytest.raises(ConfigError, match=msg):
            tune.check_space(cfg)


class FakeTrainer:
    sanity_checking = False
    current_epoch = 1
    max_epochs = 5

    def __init__(self, value):
        self.callback_metrics = {"val/macro_f1": torch.tensor(value)}


def test_pruning_callback_reports_each_epoch_and_prunes_below_the_median():
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    for v in (0.8, 0.9):
        study.add_trial(optuna.trial.create_trial(value=v, params={}, distributions={},
                                                  intermediate_values={0: v, 1: v}))
    good, bad = study.ask(), study.ask()
    tune.PruningCallback(good, "val/macro_f1").on_validation_end(FakeTrainer(0.95), None)
    with pytest.raises(optuna.TrialPruned):
        tune.PruningCallback(bad, "val/macro_f1").on_validation_end(FakeTrainer(0.1), None)
    assert bad.storage.get_trial(bad._trial_id).intermediate_values == {1: pytest.approx(0.1)}


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_a_trial_whose_worker_died_is_marked_failed_not_left_running(tmp_path):
    storage = tune.storage_for(None, tmp_path, heartbeat=1)
    study = optuna.create_study(storage=storage, study_name="s")
    dead = study.ask()
    storage.record_heartbeat(dead._trial_id)  # the worker starts, then is killed: no more beats
    deadline = time.time() + 15  # grace period = 3 heartbeats (timestamps have 1 s resolution)
    while study.get_trials()[0].state == optuna.trial.TrialState.RUNNING and time.time() < deadline:
        time.sleep(0.5)
        optuna.storages.fail_stale_trials(study)  # what every worker runs before each new trial
    states = [t.state for t in study.get_trials()]
    assert states[0] == optuna.trial.TrialState.FAIL
    assert optuna.trial.TrialState.WAITING in states  # re-queued once


def _pg_reachable() -> str | None:
    import sqlalchemy

    try:
        with sqlalchemy.create_engine(PG_URL).connect():
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "no server to test against"
        return f"no PostgreSQL at {PG_URL} ({type(exc).__name__}); .ci/run installs and starts one"


def test_two_workers_share_one_postgres_study(tmp_path):
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    study = f"test-{uuid.uuid4().hex[:8]}"
    cmd = [sys.executable, "-m", "seqlab.cli.main", "tune", str(TUNE_SMOKE), "--trials", "2", "--storage", PG_URL,
           "--study", study, "--out", str(tmp_path / "tune"), "trainer.max_epochs=1", "data.n_samples=400"]
    workers = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for _ in range(2)]
    outs = [w.communicate(timeout=240)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outs
    try:
        trials = optuna.load_study(study_name=study, storage=PG_URL).get_trials()
        assert len(trials) == 4 and all(t.state.name == "COMPLETE" for t in trials)
        workers_seen = {t.user_attrs["worker"] for t in trials}
        assert len(workers_seen) == 2 and all(sum(t.user_attrs["worker"] == w for t in trials) == 2
                                              for w in workers_seen)
    finally:
        optuna.delete_study(study_name=study, storage=PG_URL)


@pytest.mark.parametrize("path", sorted((REPO / "configs" / "tune").glob("*.yaml")), ids=lambda p: p.name)
def test_tune_configs_load_and_their_space_is_valid(path):
    cfg = config.load(path)
    space = tune.check_space(cfg)
    assert tune.base_params(cfg, space) is not None  # the hand-set config runs as trial 0



WORKER = """
from seqlab import config
from seqlab.experiments import tune
cfg = config.load(smoke, ["trainer.max_epochs=2", "data.n_samples=400"])
tune.run_tune(cfg, out, trials=1000, storage=url, study_name=study, heartbeat=1, budget=budget)
"""


@pytest.mark.slow
def test_killed_workers_leave_no_trial_running_and_the_budget_completes(tmp_path, monkeypatch):
    """4 workers share a PostgreSQL study with a budget of 12 trials; 10 of them are killed
    (SIGKILL) mid-trial and replaced. At the end no trial is RUNNING, exactly 12 completed,
    and the only failed trials are those whose worker was killed (heartbeats never failed a
    live trial). Two epochs per trial: the pruner never stops one, so finished = completed.
    Workers are forked from a server that imported seqlab once, so a replacement starts in
    a fraction of a second."""
    import multiprocessing

    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    budget, kills, study = 12, 10, f"kill-{uuid.uuid4().hex[:8]}"
    optuna.create_study(storage=PG_URL, study_name=study, direction="maximize")  # tables + study, once
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["seqlab.experiments.tune", "seqlab.training.run"])
    env = {"smoke": str(TUNE_SMOKE), "out": str(tmp_path / "tune"), "url": PG_URL, "study": study, "budget": budget}

    def start():
        proc = ctx.Process(target=exec, args=(WORKER, dict(env)))
        proc.start()
        return proc

    procs = [start() for _ in range(4)]
    killed: set[int] = set()  # trials whose worker was killed while they ran
    killed_pids: set[int] = set()
    deadline = time.time() + 600
    try:
        storage = optuna.storages.RDBStorage(PG_URL)
        while len(killed) < kills and time.time() < deadline:
            alive = {p.pid: p for p in procs if p.is_alive()}
            for t in optuna.load_study(study_name=study, storage=storage).get_trials(deepcopy=False):
                pid = int(t.user_attrs.get("worker", ":0").rsplit(":", 1)[1])
                if t.state.name == "RUNNING" and pid in alive:
                    alive[pid].kill()
                    alive[pid].join()
                    killed_pids.add(pid)
                    procs.append(start())
                    if storage.get_trial(t._trial_id).state.name == "RUNNING":  # not finished just before
                        killed.add(t.number)
                    break
            time.sleep(0.3)
        assert len(killed) == kills, "the study finished before 10 workers could be killed mid-trial"
        for p in procs:
            p.join(timeout=max(1, deadline - time.time()))
        trials = optuna.load_study(study_name=study, storage=storage).get_trials()
        states = [t.state.name for t in trials]
        assert "RUNNING" not in states and "WAITING" not in states, states
        assert states.count("COMPLETE") == budget, states
        failed = [t for t in trials if t.state.name == "FAIL"]
        assert killed <= {t.number for t in failed}
        # no live trial was failed: every failed trial belonged to a killed worker
        assert all(int(t.user_attrs["worker"].rsplit(":", 1)[1]) in killed_pids for t in failed)
        assert all(p.exitcode == 0 for p in procs if p.pid not in killed_pids)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
        optuna.delete_study(study_name=study, storage=PG_URL)
