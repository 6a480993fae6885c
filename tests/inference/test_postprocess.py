"""Post-processing of probabilities: the rhythm gate (no S inside an irregular rhythm) and its
place in the run's ``eval`` section."""

import numpy as np
import pytest

from seqlab import config
from seqlab.config import EvalConfig
from seqlab.data.ecg.segment import RR_CONTEXT_FEATURES, RR_FEATURES
from seqlab.errors import ConfigError
from seqlab.inference.postprocess import postprocess, rhythm_gate

CLASSES = ["N", "S", "V", "F"]
IRREGULARITY = RR_CONTEXT_FEATURES.index("irregularity")


def _inputs(n=6):
    rng = np.random.default_rng(0)
    rr = np.zeros((n, len(RR_CONTEXT_FEATURES)), dtype=np.float32)
    rr[:3, IRREGULARITY] = 0.3  # atrial-fibrillation-like rhythm around the first three beats
    probs = rng.dirichlet(np.ones(4), size=n).astype(np.float32)
    return {"x": rng.normal(size=(n, 1, 40)).astype(np.float32), "rr": rr}, probs


def test_gate_moves_s_probability_to_n_for_irregular_beats_only():
    x, q = _inputs()
    p = postprocess(q, x, None, EvalConfig(rhythm_gate=0.15), CLASSES, list(RR_CONTEXT_FEATURES))
    assert np.all(p[:3, 1] == 0)  # never S in an irregular rhythm
    np.testing.assert_allclose(p[:3, 0], q[:3, 0] + q[:3, 1], atol=1e-6)  # S's share went to N
    np.testing.assert_allclose(p[:, 2:], q[:, 2:])  # V and F untouched
    np.testing.assert_allclose(p[3:], q[3:])  # regular rhythm untouched
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)


def test_gate_off_leaves_probabilities_alone():
    x, q = _inputs()
    assert np.array_equal(postprocess(q, x, None, EvalConfig(), CLASSES, list(RR_CONTEXT_FEATURES)), q)


def test_gate_without_context_features_or_s_class_is_a_one_line_config_error():
    x, q = _inputs()
    with pytest.raises(ConfigError, match="set data.rr_set: context"):
        postprocess(q, x, None, EvalConfig(rhythm_gate=0.15), CLASSES, list(RR_FEATURES))
    with pytest.raises(ConfigError, match="moves S to N"):
        rhythm_gate(q[:, :2], np.zeros(6), 0.15, ["N", "V"])


def test_model_rhythm_gate_in_an_older_config_reads_as_eval_rhythm_gate(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data: {name: synthetic_waves}\nmodel: {name: tiny_cnn, rhythm_gate: 0.2}\n")
    cfg = config.load(path)
    assert cfg.eval.rhythm_gate == 0.2 and "rhythm_gate" not in cfg.model.params
    with pytest.raises(ConfigError, match="keep 'eval.rhythm_gate'"):
        config.load(path, ["eval.rhythm_gate=0.1"])
