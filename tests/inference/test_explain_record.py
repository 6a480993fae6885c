"""`seqlab explain RUN RECORD` and `seqlab plot RECORD`: files a person opens, one-line errors."""

import shutil
from pathlib import Path

import pytest

from seqlab import config
from seqlab.cli.main import main
from seqlab.training import run

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ecg" / "mitdb"


@pytest.fixture(scope="module")
def ecg_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("explain")
    records = root / "mitdb"
    records.mkdir()
    for name, new in [("101", "101"), ("101", "901"), ("208", "208")]:
        (records / f"{new}.hea").write_text((FIX / f"{name}.hea").read_text().replace(name, new))
        for ext in ("dat", "atr"):
            shutil.copyfile(FIX / f"{name}.{ext}", records / f"{new}.{ext}")
    cfg = config.from_dict({
        "name": "explain-test", "data": {"name": "mitbih", "source": str(records), "split": "records",
                                         "train_records": ["101"], "val_records": ["901"], "test_records": ["208"],
                                         "labels": "aami5", "check_annotations": False, "cache": False},
        "model": {"name": "rr_resnet", "width": 8, "depth": 1, "hidden": 16},
        "trainer": {"max_epochs": 1, "progress_bar": False}})
    return run.train(cfg, root / "run", report=False), records


@pytest.mark.parametrize("method", ["ig", "gradcam"])
def test_explain_writes_a_png_per_beat_and_a_page(ecg_run, tmp_path, capsys, method):
    run_dir, records = ecg_run
    out = tmp_path / "explain"
    assert main(["explain", str(run_dir), str(records / "208"), "--beats", "3,10", "--method", method,
                 "--out", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.png")) == ["beat_10.png", "beat_3.png"]
    page = (out / "index.html").read_text()
    assert "beat 3" in page and "reference" in page
    printed = capsys.readouterr().out
    assert "2 beats explained" in printed and "reference" in printed  # 208 has its .atr: labels shown


def test_explain_errors_name_the_valid_choices(ecg_run, tmp_path, capsys):
    run_dir, records = ecg_run
    args = ["explain", str(run_dir), str(records / "208"), "--out", str(tmp_path / "x")]
    assert main(args + ["--beats", "99999"]) == 2
    assert "past the record's" in capsys.readouterr().err
    assert main(args + ["--method", "lime"]) == 2
    assert "valid: ig, saliency, gradcam" in capsys.readouterr().err
    assert main(args + ["--class", "Z"]) == 2
    assert "valid: N, S, V, F, Q" in capsys.readouterr().err


def test_plot_draws_reference_and_predicted_labels(ecg_run, tmp_path, capsys):
    run_dir, records = ecg_run
    out = tmp_path / "208.png"
    assert main(["plot", str(records / "208"), "--from", "5", "--to", "15", "--run", str(run_dir),
                 "--out", str(out)]) == 0
    assert out.stat().st_size > 5000
    printed = capsys.readouterr().out
    assert "mismatches with the reference" in printed and "beats" in printed
    assert main(["plot", str(records / "208"), "--from", "20", "--to", "10", "--out", str(out)]) == 2
    assert "need 0 <= from < to" in capsys.readouterr().err


def test_predict_plot_draws_the_first_minute(ecg_run, tmp_path, capsys):
    run_dir, records = ecg_run
    out = tmp_path / "208.csv"
    assert main(["predict", str(run_dir), str(records / "208"), "--out", str(out), "--plot"]) == 0
    assert (tmp_path / "208.png").stat().st_size > 5000
    assert "plot (first minute)" in capsys.readouterr().out
