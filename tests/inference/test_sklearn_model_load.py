"""Loading a classical model: the saved file rebuilds the same estimator, and neither loading
nor predicting imports torch (``import skops.io`` alone used to: ~3.5 CPU-seconds)."""

import subprocess
import sys

import numpy as np

import seqlab.models.sklearn_factories  # noqa: F401  (registers the models)
from seqlab.inference import sklearn_model
from seqlab.models.registry import MODELS

TEXTS = np.array(["great film, loved it", "boring film, hated it", "a great cast", "a dull story"] * 3,
                 dtype=object)
LABELS = np.array([1, 0, 1, 0] * 3)


def test_a_saved_model_loads_and_predicts_without_torch(tmp_path):
    model = MODELS.get("tfidf_union_lr").fn().fit(TEXTS, LABELS)
    path = tmp_path / "model.skops"
    sklearn_model.save(model, path)
    script = ("import sys, numpy as np; from seqlab.inference import sklearn_model; "
              f"m = sklearn_model.load({str(path)!r}); "
              "print(np.round(m.predict_proba(['loved the cast'])[0, 1], 6)); "
              "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert float(out[0]) == round(float(model.predict_proba(["loved the cast"])[0, 1]), 6)
    assert out[1] == "False"
