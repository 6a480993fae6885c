"""The timing head of ``rr_resnet`` is refitted as scikit-learn's balanced logistic regression."""

from __future__ import annotations

import numpy as np
import torch

from seqlab.data.base import Split
from seqlab.models.rr_resnet import rr_resnet
from seqlab.training.timing_fit import fit_timing_layer


def test_the_refitted_layer_gives_the_logistic_regressions_probabilities():
    """After the refit, P(S) of the network equals the balanced LR's P(S) on the normalised
    RR input, whatever the beat looks like; an early beat (feature 0 low) reads as S."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    rr = rng.normal(size=(600, 4)).astype(np.float32)
    y = np.where(rr[:, 0] < -1.0, 1, 0)  # S = premature
    y[rr[:, 1] > 1.5] = 2  # V
    torch.manual_seed(0)
    net = rr_resnet(num_classes=4, num_rr=4, width=4, depth=1, hidden=8, rr_hidden=4,
                    timing_classes=["S"], class_names=["N", "S", "V", "F"]).eval()
    fit_timing_layer(net, Split({"x": np.zeros((600, 1, 187), np.float32), "rr": rr}, y))
    with torch.no_grad():
        z = net.rr_norm(torch.from_numpy(rr)).double().numpy()
        p = net(torch.randn(600, 1, 187), torch.from_numpy(rr)).exp().numpy()
    scaler = StandardScaler().fit(z)
    ref = LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000).fit(scaler.transform(z), y)
    np.testing.assert_allclose(p[:, 1], ref.predict_proba(scaler.transform(z))[:, 1], atol=1e-5)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    assert p[rr[:, 0] < -2, 1].mean() > 0.8 and p[rr[:, 0] > 1, 1].mean() < 0.1


def test_a_network_without_a_timing_head_has_nothing_to_refit(tmp_path):
    from seqlab.training.timing_fit import has_timing_head

    assert not has_timing_head(rr_resnet(num_classes=4, num_rr=4))
    assert has_timing_head(rr_resnet(num_classes=4, num_rr=4, timing_classes=["S"], class_names=list("NSVF")))


def test_a_class_absent_from_training_is_never_the_timing_layers_call():
    rng = np.random.default_rng(1)
    rr = rng.normal(size=(200, 3)).astype(np.float32)
    y = (rr[:, 0] < 0).astype(int)  # only N and S
    net = rr_resnet(num_classes=4, num_rr=3, width=4, depth=1, hidden=8, rr_hidden=4,
                    timing_classes=["S"], class_names=list("NSVF")).eval()
    fit_timing_layer(net, Split({"x": np.zeros((200, 1, 187), np.float32), "rr": rr}, y))
    with torch.no_grad():
        gate = torch.softmax(net.timing(net.rr_norm(torch.from_numpy(rr))), dim=1).numpy()
    assert gate[:, 2:].max() < 1e-9 and np.allclose(gate.sum(1), 1)


def test_the_refit_learns_from_the_validation_patients_too():
    from seqlab.training.timing_fit import fit_split

    train = Split({"x": np.zeros((3, 1, 4)), "rr": np.ones((3, 2))}, np.array([0, 1, 0]))
    val = Split({"x": np.zeros((2, 1, 4)), "rr": np.zeros((2, 2))}, np.array([1, 1]))
    both = fit_split(train, val)
    assert both.x["rr"].shape == (5, 2) and both.y.tolist() == [0, 1, 0, 1, 1]
    assert fit_split(train, Split({"x": np.zeros((0, 1, 4)), "rr": np.zeros((0, 2))}, np.zeros(0, int))) is train


def test_with_morphology_first_the_refit_judges_timing_on_the_beats_the_shape_left():
    """V beats are premature too; with ``morphology_first: [V]`` the regression never sees them,
    so it is S against N and F, and the composed P(S) is (1 - P(V)) times its probability."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(2)
    rr = rng.normal(size=(800, 4)).astype(np.float32)
    y = np.where(rr[:, 0] < -0.8, 1, 0)
    y[(rr[:, 0] < -0.8) & (rr[:, 2] > 0.5)] = 2  # V: just as early as S
    y[rr[:, 3] > 1.8] = 3
    torch.manual_seed(0)
    net = rr_resnet(num_classes=4, num_rr=4, width=4, depth=1, hidden=8, rr_hidden=4,
                    timing_classes=["S"], morphology_first=["V"], class_names=list("NSVF")).eval()
    fit_timing_layer(net, Split({"x": np.zeros((800, 1, 187), np.float32), "rr": rr}, y))
    with torch.no_grad():
        z = net.rr_norm(torch.from_numpy(rr)).double().numpy()
        g = torch.softmax(net.timing(torch.from_numpy(z).float()), dim=1).numpy()
    keep = y != 2
    scaler = StandardScaler().fit(z[keep])
    ref = LogisticRegression(C=0.1, class_weight="balanced", max_iter=2000).fit(
        scaler.transform(z[keep]), (y[keep] == 1).astype(int))
    np.testing.assert_allclose(g[:, 1], ref.predict_proba(scaler.transform(z))[:, 1], atol=1e-5)
    assert g[:, [2, 3]].max() < 1e-9  # timing never names V or F
