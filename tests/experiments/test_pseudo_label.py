"""Pseudo-labelling: confident predictions on a label-hidden pool are added, counted per
class, and the retrained run is compared with the baseline on validation."""

import json

import numpy as np

from seqlab import config
from seqlab.experiments import pseudo_label

from testpaths import SMOKE


def test_select_keeps_confident_rows_and_caps_per_class():
    probs = np.array([[.97, .03], [.6, .4], [.1, .9], [.99, .01], [.02, .98]])
    keep, labels = pseudo_label.select(probs, 0.9)
    assert keep.tolist() == [0, 2, 3, 4] and labels.tolist() == [0, 1, 0, 1]
    keep, labels = pseudo_label.select(probs, 0.9, max_per_class=1)
    assert keep.tolist() == [3, 4]


def test_pseudo_label_round_trip(tmp_path):
    cfg = config.load(SMOKE, ["trainer.max_epochs=6", "data.n_samples=1600"])
    r = pseudo_label.run_pseudo_label(cfg, tmp_path / "pl", threshold=0.8, hide=0.5)
    assert r["added"] > 0 and sum(r["added_per_class"].values()) == r["added"]
    assert r["pseudo_label_accuracy"] > 0.7
    assert set(r["val"]) == {"baseline", "retrained"}
    saved = json.loads((tmp_path / "pl" / "pseudo_label.json").read_text())
    assert saved["added"] == r["added"]
    retrained = json.loads((tmp_path / "pl" / "retrained" / "data_summary.json").read_text())
    assert sum(retrained["counts"]["train"].values()) == r["labelled_train"] + r["added"]
    assert "effect on validation macro F1" in pseudo_label.format_result(r)
