"""Every ECG network run's report opens the model: attributions per class, confident mistakes,
projections by class and by record."""

import json
import shutil
from pathlib import Path

from seqlab import config
from seqlab.training import run

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ecg" / "mitdb"


def test_ecg_report_has_the_looking_inside_figures(tmp_path, data_root):
    records = tmp_path / "mitdb"
    records.mkdir()
    for name, new in [("101", "101"), ("208", "208"), ("208", "908"), ("101", "901")]:
        (records / f"{new}.hea").write_text((FIX / f"{name}.hea").read_text().replace(name, new))
        for ext in ("dat", "atr"):
            shutil.copyfile(FIX / f"{name}.{ext}", records / f"{new}.{ext}")
    cfg = config.from_dict({
        "name": "inside", "data": {"name": "mitbih", "source": str(records), "split": "records",
                                   "train_records": ["101", "208"], "val_records": ["901"],
                                   "test_records": ["908"], "labels": "aami5",
                                   "check_annotations": False, "cache": False},
        "model": {"name": "rr_resnet", "width": 8, "depth": 1, "hidden": 16},
        "trainer": {"max_epochs": 1, "progress_bar": False}})
    run_dir = run.train(cfg, tmp_path / "run")
    names = [e["name"] for e in json.loads((run_dir / "plots" / "inside.json").read_text())]
    assert {"inside_attribution_by_class", "inside_confident_mistakes", "inside_pca_raw",
            "inside_pca_penultimate", "inside_tsne_penultimate"} <= set(names)
    assert all((run_dir / "plots" / f"{n}.png").stat().st_size > 1000 for n in names)
    html = (run_dir / "report.html").read_text()
    assert "Looking inside" in html and "Per record" not in html
    assert html.count("data:image/png;base64") >= len(names)


def test_a_run_not_on_ecg_beats_draws_nothing_inside(smoke_run):
    assert not (smoke_run / "plots" / "inside.json").exists()
    assert "Looking inside" not in (smoke_run / "report.html").read_text()
