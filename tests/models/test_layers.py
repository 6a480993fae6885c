"""The shared building blocks and their regularisation switches."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.models.layers import (
    ClassifierHead,
    DropConnectLinear,
    FeatureBatchNorm,
    GaussianNoise,
    ResidualBlock1d,
    check_rr,
    make_activation,
    make_linear,
    make_norm,
)


def test_gaussian_noise_only_in_training():
    x = torch.zeros(64, 2, 50)
    noise = GaussianNoise(0.5)
    out = noise(x)
    assert not torch.equal(out, x)
    assert 0.4 < out.std().item() < 0.6
    noise.eval()
    assert noise(x) is x
    assert GaussianNoise(0.0)(x) is x
    with pytest.raises(ValueError):
        GaussianNoise(-1.0)


def test_dropconnect_linear_masks_weights_in_training_only():
    torch.manual_seed(0)
    layer = DropConnectLinear(20, 7, p=0.5)
    x = torch.randn(3, 20)
    plain = nn.functional.linear(x, layer.weight, layer.bias)
    assert not torch.allclose(layer(x), plain)
    layer.eval()
    assert torch.allclose(layer(x), plain)
    # same state-dict keys as nn.Linear, so checkpoints transfer either way
    assert set(layer.state_dict()) == set(nn.Linear(20, 7).state_dict())
    with pytest.raises(ValueError):
        DropConnectLinear(2, 2, p=1.0)


def test_dropconnect_gradients_reach_only_kept_weights():
    torch.manual_seed(0)
    layer = DropConnectLinear(10, 10, p=0.5, bias=False)
    layer(torch.ones(1, 10)).sum().backward()
    dropped = (layer.weight.grad == 0).float().mean().item()
    assert 0.3 < dropped < 0.7


def test_make_linear_and_make_norm():
    assert type(make_linear(4, 2)) is nn.Linear
    assert isinstance(make_linear(4, 2, dropconnect=0.1), DropConnectLinear)
    assert isinstance(make_norm(True, 8), nn.BatchNorm1d)
    assert isinstance(make_norm(False, 8), nn.Identity)


def test_make_activation_names_the_valid_ones():
    assert isinstance(make_activation("leaky_relu"), nn.LeakyReLU)
    with pytest.raises(ValueError, match="relu"):
        make_activation("swish")


@pytest.mark.parametrize("batch_norm", [False, True])
def test_residual_block_shapes(batch_norm):
    x = torch.randn(2, 8, 31)
    assert ResidualBlock1d(8, 8, batch_norm=batch_norm)(x).shape == (2, 8, 31)
    block = ResidualBlock1d(8, 16, batch_norm=batch_norm, noise_std=0.1, dropout=0.1)
    assert block(x).shape == (2, 16, 31)
    assert not isinstance(block.skip, nn.Identity)  # 1x1 projection when channels change


def test_residual_block_is_identity_plus_body():
    block = ResidualBlock1d(4, 4)
    for p in block.body.parameters():
        nn.init.zeros_(p)
    x = torch.randn(2, 4, 9)
    assert torch.allclose(block(x), torch.relu(x))


def test_check_rr():
    rr = torch.rand(2, 3)
    assert check_rr(rr, 0) is None
    assert check_rr(None, 0) is None
    assert check_rr(rr, 3) is rr
    with pytest.raises(ValueError, match="num_rr=3"):
        check_rr(None, 3)
    with pytest.raises(ValueError, match=r"\(B, 4\)"):
        check_rr(rr, 4)


def test_classifier_head_with_and_without_rr():
    head = ClassifierHead(10, num_rr=0, hidden=[8, 8], num_classes=3)
    assert head(torch.randn(5, 10)).shape == (5, 3)
    head = ClassifierHead(10, num_rr=4, hidden=[], num_classes=3, dropout=0.1, dropconnect=0.1,
                          noise_std=0.1, rr_input_norm=True)
    assert head(torch.randn(5, 10), torch.rand(5, 4)).shape == (5, 3)


def test_feature_batch_norm_accepts_a_training_batch_of_one():
    norm = FeatureBatchNorm(3)
    norm(torch.randn(16, 3) * 4 + 2)  # updates the running statistics
    running = norm.running_mean.clone()
    one = torch.randn(1, 3)
    out = norm(one)  # nn.BatchNorm1d would raise here
    assert torch.equal(norm.running_mean, running)
    norm.eval()
    assert torch.allclose(out, norm(one))
