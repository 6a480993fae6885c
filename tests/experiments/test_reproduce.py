"""`seqlab reproduce`: protocol lookup, the DS2-missing stop, the papers' table."""

from seqlab.cli.main import main
from seqlab.evaluation.reference import reference_table


def test_inter_patient_stops_naming_the_missing_test_records(shared_data, data_root, capsys):
    code = main(["reproduce", "inter-patient", "--data-dir", str(shared_data / "mitdb")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "232" in err and "--cv-only" in err  # a DS2 record is named, and the way forward


def test_unknown_protocol_suggests_the_close_one(capsys):
    assert main(["reproduce", "kachuee-intr"]) == 2
    assert "did you mean 'kachuee-intra'" in capsys.readouterr().err


def test_reference_table_puts_papers_beside_ours():
    metrics = {"classes": ["N", "S"], "accuracy": 0.95, "macro_f1": 0.8,
               "per_class": {"N": {"sensitivity": 0.99, "ppv": 0.97, "f1": 0.98},
                             "S": {"sensitivity": 0.5, "ppv": 0.6, "f1": 0.55}}}
    ref = {"Paper 2004": {"source": "Someone 2004", "accuracy": 0.9, "per_class": {"S": {"sensitivity": 0.759}}}}
    table = reference_table(metrics, ref)
    assert "Paper 2004" in table and "75.9" in table and "95.0" in table and "Someone 2004" in table
    assert "N Se" not in table  # rows only where a paper reports the figure


def test_cv_only_holds_out_every_record_once_with_seqlab_cv_folds(tmp_path, data_root, capsys):
    """`reproduce --cv-only` runs through `seqlab cv`'s fold implementation: record folds, the
    sample std over folds, pooled predictions, and the per-record table in metrics and report."""
    import json
    import shutil
    from pathlib import Path

    import numpy as np
    import yaml

    fix = Path(__file__).resolve().parents[1] / "fixtures" / "ecg" / "mitdb"
    records = tmp_path / "mitdb"
    records.mkdir()
    for name, new in [("101", "101"), ("208", "208"), ("101", "901"), ("208", "908")]:
        (records / f"{new}.hea").write_text((fix / f"{name}.hea").read_text().replace(name, new))
        for ext in ("dat", "atr"):
            shutil.copyfile(fix / f"{name}.{ext}", records / f"{new}.{ext}")
    protocol = tmp_path / "tiny-protocol.yaml"
    protocol.write_text(yaml.safe_dump({
        "name": "tiny", "data": {"name": "mitbih", "source": str(records), "split": "inter",
                                 "records": ["101", "208", "901", "908"], "labels": "aami5",
                                 "classes": ["N", "S", "V", "F"], "check_annotations": False,
                                 "cache": False, "batch_size": 64, "balance": "oversample",
                                 "rr_features": False},
        "model": {"name": "tiny_cnn", "width": 4}, "trainer": {"max_epochs": 1, "progress_bar": False},
        "reference": {"Paper": {"source": "a paper", "accuracy": 0.9}}}))
    out = tmp_path / "cv"
    assert main(["reproduce", str(protocol), "--cv-only", "--folds", "4", "--out", str(out)]) == 0
    summary = json.loads((out / "cv_summary.json").read_text())
    held = sorted(g for r in summary["per_fold"] for g in r["held_out_groups"])
    assert held == ["101", "208", "901", "908"]  # leave-one-record-out: each record tested once
    metrics = json.loads((out / "metrics.json").read_text())
    folds_f1 = [r["macro_f1"] for r in summary["per_fold"]]
    assert np.isclose(metrics["cv"]["macro_f1"]["std"], np.std(folds_f1, ddof=1))  # one convention
    assert [r["record"] for r in metrics["per_record"]] == ["101", "208", "901", "908"]
    with np.load(out / "cv_predictions.npz") as z:
        assert len(z["y_true"]) == sum(r["n"] for r in metrics["per_record"])  # no oversampled copies tested
    assert "Per record" in (out / "cv_report.html").read_text()
    assert "Paper" in capsys.readouterr().out


def test_protocols_are_found_from_any_directory_and_through_seqlab_configs(tmp_path, monkeypatch):
    from seqlab.experiments.reproduce import find_protocol

    monkeypatch.chdir(tmp_path)  # no configs/ here: the copy shipped inside the package answers
    assert find_protocol("kachuee-intra").read_text().startswith("#")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "my-protocol.yaml").write_text("reference: {}\n")
    monkeypatch.setenv("SEQLAB_CONFIGS", str(mine))
    assert find_protocol("my-protocol") == mine / "my-protocol.yaml"


def test_a_classical_model_trains_on_every_record_of_the_fold(tmp_path, data_root):
    """A scikit-learn model picks no checkpoint, so no inner-validation record is taken from it:
    with 4 records in leave-one-record-out, each fold trains on the other 3."""
    import json

    import yaml
    from ecg_runs import FIX, copy_record

    records = tmp_path / "mitdb"
    records.mkdir()
    for name, new in [("101", "101"), ("208", "208"), ("101", "901"), ("208", "908")]:
        copy_record(FIX, name, new, records)
    protocol = tmp_path / "tiny-linear.yaml"
    protocol.write_text(yaml.safe_dump({
        "name": "tiny-linear", "data": {"name": "mitbih", "source": str(records), "split": "inter",
                                        "records": ["101", "208", "901", "908"], "labels": "aami5",
                                        "classes": ["N", "S", "V", "F"], "check_annotations": False,
                                        "cache": False, "features": "patient_relative", "rr_features": False},
        "model": {"name": "beat_lr"}}))
    out = tmp_path / "cv"
    assert main(["reproduce", str(protocol), "--cv-only", "--folds", "4", "--out", str(out)]) == 0
    folds = json.loads((out / "cv_summary.json").read_text())["per_fold"]
    pooled = sum(r["n_test"] for r in folds)
    assert [r["n_val"] for r in folds] == [0, 0, 0, 0]
    assert [r["n_train"] for r in folds] == [pooled - r["n_test"] for r in folds]
