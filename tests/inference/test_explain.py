"""Attributions are checked, not just drawn: mass falls where the output depends, a randomised
model's attributions differ (Adebayo et al. 2018), bad choices are one-line errors."""

import numpy as np
import pytest
import torch
from torch import nn

from seqlab.errors import ConfigError
from seqlab.inference.explain import METHODS, attribution_mass, explain_beats
from seqlab.models.tiny import tiny_cnn

T, WINDOW = 96, slice(40, 60)


class WindowNet(nn.Module):
    """Logits depend on samples 40..59 only (the input is masked before a bias-free conv), and
    on ``rr[:, 0]``, never on ``rr[:, 1]``."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        mask = torch.zeros(1, 1, T)
        mask[..., WINDOW] = 1
        self.register_buffer("mask", mask)
        self.conv = nn.Conv1d(1, 8, 3, padding=1, bias=False)
        self.head = nn.Linear(8, 3)
        self.rr_head = nn.Linear(1, 3)

    def forward(self, x, rr=None):
        h = torch.relu(self.conv(x * self.mask)).mean(dim=-1)  # (B, 8)
        return self.head(h) + (0 if rr is None else self.rr_head(rr[:, :1]))


@pytest.mark.parametrize("method", METHODS)
def test_attribution_mass_falls_inside_the_window_the_output_depends_on(method):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 1, T)).astype(np.float32)
    rr = rng.normal(size=(12, 2)).astype(np.float32)
    att = explain_beats(WindowNet(), {"x": x, "rr": rr}, rng.integers(0, 3, 12), method)
    assert att.beat.shape == x.shape
    reach = slice(WINDOW.start - 1, WINDOW.stop + 1)  # the kernel sees one sample beyond the mask
    assert attribution_mass(att.beat, reach).min() > 0.99
    if method != "gradcam":
        assert np.abs(att.rr[:, 1]).max() == 0 and np.abs(att.rr[:, 0]).max() > 0


def _bump_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(scale=0.3, size=(n, 1, 64)).astype(np.float32)
    x[y == 1, 0, 20:30] += 2.0  # class 1 = a bump at samples 20..29
    return x, y


@pytest.fixture(scope="module")
def trained_and_random():
    x, y = _bump_data()
    torch.manual_seed(0)
    model = tiny_cnn(num_classes=2, seq_len=64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
    model.eval()
    assert (model(torch.from_numpy(x)).argmax(1).numpy() == y).mean() > 0.95
    torch.manual_seed(1)
    return model, tiny_cnn(num_classes=2, seq_len=64).eval(), x[y == 1][:32]  # same architecture, fresh weights


@pytest.mark.parametrize("method", METHODS)
def test_attributions_of_a_randomised_model_differ_from_the_trained_ones(trained_and_random, method):
    """Adebayo et al. 2018's model-randomisation test. Every method concentrates on the bump the
    trained model learned more than on a randomised model's; saliency's maps are unrelated
    (IG and Grad-CAM partly follow the input itself, as the paper found for gradient x input)."""
    model, random, beats = trained_and_random
    trained = explain_beats(model, beats, np.ones(len(beats), int), method)
    rand = explain_beats(random, beats, np.ones(len(beats), int), method)
    bump = slice(20, 30)
    assert attribution_mass(trained.beat, bump).mean() > attribution_mass(rand.beat, bump).mean() + 0.1
    if method == "saliency":
        ranks = lambda v: np.argsort(np.argsort(np.abs(v).reshape(len(v), -1), axis=1), axis=1)  # noqa: E731
        rho = [np.corrcoef(ra, rb)[0, 1] for ra, rb in zip(ranks(trained.beat), ranks(rand.beat))]
        assert np.mean(rho) < 0.3


def test_bad_method_and_non_network_are_one_line_errors():
    with pytest.raises(ConfigError, match="valid: ig, saliency, gradcam"):
        explain_beats(WindowNet(), np.zeros((1, 1, T), np.float32), np.zeros(1, int), "lime")
    with pytest.raises(ConfigError, match="not a network"):
        explain_beats(object(), np.zeros((1, 1, T), np.float32), np.zeros(1, int), "ig")


def test_gradcam_needs_a_convolution():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(T, 2))
    with pytest.raises(ConfigError, match="no 1-D convolution"):
        explain_beats(mlp, np.zeros((2, 1, T), np.float32), np.zeros(2, int), "gradcam")
