"""The conditional generators (``seqlab.models.generators``): shapes, class conditioning,
and that a short fit learns which class is which."""

import pytest
import torch

from seqlab.models.catalog import MODELS

GENERATORS = [e.name for e in MODELS.entries() if e.meta.get("kind") == "generator"]


def test_both_generators_are_registered():
    assert {"beat_cvae", "beat_wgan"} <= set(GENERATORS)


@pytest.mark.parametrize("name", GENERATORS)
def test_sample_shape_and_class_conditioning(name):
    torch.manual_seed(0)
    net = MODELS.get(name).fn(num_classes=4, in_channels=2, seq_len=81).eval()
    z = torch.randn(6, net.latent)
    with torch.no_grad():
        a = net.sample(torch.zeros(6, dtype=torch.long), z)
        b = net.sample(torch.full((6,), 3, dtype=torch.long), z)
    assert a.shape == (6, 2, 81) and torch.isfinite(a).all()
    assert not torch.allclose(a, b), "the class does not change the generated beat"


def test_cvae_forward_and_wgan_critic_shapes():
    y = torch.tensor([0, 1, 2])
    vae = MODELS.get("beat_cvae").fn(num_classes=3, in_channels=1, seq_len=40, latent=5)
    recon, mu, logvar = vae(torch.randn(3, 1, 40), y)
    assert recon.shape == (3, 1, 40) and mu.shape == logvar.shape == (3, 5)
    gan = MODELS.get("beat_wgan").fn(num_classes=3, in_channels=1, seq_len=40)
    assert gan.critic(torch.randn(3, 1, 40), y).shape == (3,)


@pytest.mark.parametrize(("kwargs", "match"), [({"latent": 0}, "latent"), ({"seq_len": 4}, "samples"),
                                               ({"beta": 0.0}, "beta")])
def test_bad_sizes_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MODELS.get("beat_cvae").fn(num_classes=2, **kwargs)


def test_a_short_cvae_fit_generates_each_class_its_own_shape():
    """Class 0: a positive central bump, class 1: a negative one; after 200 steps the beats
    generated for each class carry their class's sign at the centre."""
    torch.manual_seed(0)
    t = torch.linspace(-1, 1, 32)
    y = torch.arange(128) % 2
    x = (torch.exp(-(t / 0.2) ** 2) * (1 - 2 * y[:, None].float()))[:, None, :]  # (B, 1, T)
    net = MODELS.get("beat_cvae").fn(num_classes=2, in_channels=1, seq_len=32, latent=4, hidden=32)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(200):
        recon, mu, logvar = net(x, y)
        loss = (recon - x).pow(2).flatten(1).sum(1).mean() + (-0.5 * (1 + logvar - mu ** 2 - logvar.exp())).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        z = torch.randn(64, 4)
        pos = net.sample(torch.zeros(64, dtype=torch.long), z)[:, 0, 16]
        neg = net.sample(torch.ones(64, dtype=torch.long), z)[:, 0, 16]
    assert pos.mean() > 0.5 and neg.mean() < -0.5
