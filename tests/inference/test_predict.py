"""`seqlab predict` on a record the model never saw: CSV + WFDB annotations + counts."""

import numpy as np
import pytest
from ecg_runs import train_tiny

from seqlab import config
from seqlab.cli.main import main


@pytest.fixture(scope="module")
def ecg_run(tmp_path_factory):
    """A small rr_resnet trained on fixture record 101 only (40 s excerpts; 208 unseen)."""
    return train_tiny(tmp_path_factory.mktemp("ecg"), "predict-test")


def test_predict_writes_csv_and_annotations_for_an_unseen_record(ecg_run, tmp_path, capsys):
    import wfdb

    run_dir, records = ecg_run
    out = tmp_path / "pred" / "208.csv"
    assert main(["predict", str(run_dir), str(records / "208"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "beats in" in printed and "x real time" in printed
    rows = out.read_text().splitlines()
    assert rows[0] == "sample,time_s,class,p_N,p_S,p_V,p_F,p_Q"
    probs = np.array([[float(v) for v in r.split(",")[3:]] for r in rows[1:]])
    assert np.allclose(probs.sum(axis=1), 1, atol=1e-3)
    ann = wfdb.rdann(str(out.parent / "208"), "seqlab")
    assert len(ann.sample) == len(rows) - 1 > 30  # a 40 s excerpt: about one beat a second
    reference = wfdb.rdann(str(records / "208"), "atr")
    nearest = np.abs(ann.sample[:, None] - reference.sample[None, :]).min(axis=1)
    assert np.median(nearest) < 0.15 * 360  # detected R peaks sit on the annotated beats


def test_predict_with_reference_annotations_and_bad_run(ecg_run, tmp_path, capsys):
    run_dir, records = ecg_run
    out = tmp_path / "208.csv"
    assert main(["predict", str(run_dir), str(records / "208"), "--annotations", "atr", "--out", str(out)]) == 0
    assert main(["predict", str(tmp_path), str(records / "208")]) == 2  # not a run: no config.yaml
    assert "config.yaml not found: is" in capsys.readouterr().err


def test_predict_several_records_with_one_model_load(ecg_run, tmp_path, capsys):
    run_dir, records = ecg_run
    out_dir = tmp_path / "many"
    argv = ["predict", str(run_dir), str(records / "208"), str(records / "101"), "--out", str(out_dir)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "2 records" in printed and printed.count("csv:") == 2
    for name in ("208", "101"):
        rows = (out_dir / f"{name}.seqlab.csv").read_text().splitlines()
        assert len(rows) > 30 and (out_dir / f"{name}.seqlab").is_file()


def test_predict_console_script_exits_fast_with_its_output_and_exit_code(ecg_run, tmp_path):
    """The console path ends with os._exit: printed lines and the exit code must survive it."""
    import subprocess
    import sys

    run_dir, records = ecg_run
    out = tmp_path / "208.csv"
    cmd = [sys.executable, "-m", "seqlab.cli.main", "predict", str(run_dir), str(records / "208"), "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "beats in" in done.stdout and "csv:" in done.stdout and out.is_file()
    bad = subprocess.run(cmd[:4] + [str(tmp_path), str(records / "208")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "config.yaml not found: is" in bad.stderr


def test_beats_prepared_in_a_forked_process_match_the_in_process_ones(ecg_run):
    """The command prepares beats in a second process while torch loads: same arrays, same order."""
    from seqlab.inference.prefetch import BeatPrefetcher

    run_dir, records = ecg_run
    paths = [records / "208", records / "101"]
    with BeatPrefetcher(run_dir, paths, background=True) as stream:
        assert stream._proc is not None  # really forked
        forked = list(stream)
    in_process = list(BeatPrefetcher(run_dir, paths, background=False))
    assert [p.record for p in forked] == paths
    for a, b in zip(forked, in_process):
        assert np.array_equal(a.peaks, b.peaks) and a.fs == b.fs == 360
        assert np.array_equal(a.inputs["x"], b.inputs["x"]) and np.array_equal(a.inputs["rr"], b.inputs["rr"])


def test_a_bad_record_in_the_forked_process_is_raised_at_that_record(ecg_run):
    from seqlab.errors import SeqlabError
    from seqlab.inference.prefetch import BeatPrefetcher

    run_dir, records = ecg_run
    stream = BeatPrefetcher(run_dir, [records / "208", records / "999", records / "101"], background=True)
    with stream:
        it = iter(stream)
        assert next(it).record.name == "208"
        with pytest.raises(SeqlabError, match="999"):
            next(it)
    assert stream._proc is None


def test_a_killed_preparing_process_is_an_error_not_a_hang(ecg_run):
    import os
    import signal

    from seqlab.errors import SeqlabError
    from seqlab.inference.prefetch import BeatPrefetcher

    run_dir, records = ecg_run
    with BeatPrefetcher(run_dir, [records / "208"] * 200, background=True) as stream:
        os.kill(stream._proc.pid, signal.SIGKILL)
        with pytest.raises(SeqlabError, match="died"):
            list(stream)


def test_predict_applies_the_runs_morphology_vote(ecg_run, tmp_path):
    from seqlab.inference.predict import Predictor

    run_dir, records = ecg_run
    predictor = Predictor(run_dir)

    def probs(name):
        rows = (tmp_path / name).read_text().splitlines()[1:]
        return np.array([[float(v) for v in r.split(",")[3:]] for r in rows])

    predictor(records / "208", out=tmp_path / "plain.csv")
    predictor.cfg.eval.morphology_vote = 10
    predictor(records / "208", out=tmp_path / "voted.csv")
    plain, voted = probs("plain.csv"), probs("voted.csv")
    assert np.allclose(voted.sum(1), 1, atol=1e-3) and not np.allclose(plain, voted, atol=1e-3)
    assert np.allclose(plain[:, 1], voted[:, 1], atol=1e-4)  # S keeps each beat's own share


def test_predict_refuses_a_run_not_trained_on_ecg_beats(ecg_run, tmp_path, capsys):
    import yaml
    from testpaths import REPO

    from seqlab.errors import ConfigError
    from seqlab.inference.prefetch import BeatPrefetcher

    _, records = ecg_run
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config.load(REPO / "configs/smoke.yaml").to_dict()))
    assert main(["predict", str(tmp_path), str(records / "208")]) == 2
    assert f"{tmp_path} was trained on 'synthetic_waves', not on ECG beats" in capsys.readouterr().err
    with BeatPrefetcher(tmp_path, [records / "208"], background=True) as stream:  # the child says it too
        with pytest.raises(ConfigError, match="not on ECG beats"):
            list(stream)
