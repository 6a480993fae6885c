"""The basics (linear, logistic, softmax, mlp): what each computes, and the mistakes refused."""

import pytest
import torch

from seqlab import config
from seqlab.errors import ConfigError
from seqlab.inference.loading import build_model
from seqlab.models.basics import ACTIVATIONS
from seqlab.models.catalog import MODELS


def n_params(net: torch.nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def test_logistic_is_one_sigmoid_unit_for_two_classes():
    net = MODELS.get("logistic").fn(num_classes=2, in_channels=3)
    assert n_params(net) == 4 and net.is_linear  # 3 weights + 1 bias
    x = torch.randn(5, 3)
    logits = net(x)
    assert logits.shape == (5, 2) and torch.equal(logits[:, 0], torch.zeros(5))
    z = net.net[-1](x)[:, 0]
    assert torch.allclose(logits.softmax(1)[:, 1], torch.sigmoid(z))  # p(class 1) = σ(w·x + b)


def test_logistic_with_k_classes_is_the_reference_class_logit():
    net = MODELS.get("logistic").fn(num_classes=4, in_channels=2)
    assert n_params(net) == 3 * 3 and net(torch.randn(2, 2)).shape == (2, 4)


def test_softmax_has_one_weight_vector_per_class():
    net = MODELS.get("softmax").fn(num_classes=3, in_channels=2)
    assert n_params(net) == 3 * 3 and net.is_linear
    assert net(torch.randn(4, 2)).shape == (4, 3)


def test_2_4_1_mlp_has_17_parameters_and_is_not_linear():
    net = MODELS.get("mlp").fn(num_classes=2, in_channels=2, hidden_sizes=[4], activation="tanh", head="logistic")
    assert n_params(net) == (2 * 4 + 4) + (4 * 1 + 1) and not net.is_linear
    assert isinstance(net.net[1], torch.nn.Tanh)
    assert MODELS.get("mlp").fn(num_classes=2, in_channels=2, hidden_sizes=[]).is_linear


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_every_activation_builds_and_trains(activation):
    net = MODELS.get("mlp").fn(num_classes=3, in_channels=4, hidden_sizes=[8, 8], activation=activation)
    assert sum(isinstance(m, ACTIVATIONS[activation]) for m in net.modules()) == 2
    out = net(torch.randn(6, 4))
    torch.nn.functional.cross_entropy(out, torch.tensor([0, 1, 2, 0, 1, 2])).backward()
    assert all(p.grad is not None for p in net.parameters())


def test_regression_outputs_a_prediction_or_a_mean_and_positive_variance():
    assert MODELS.get("linear").fn(num_classes=1, in_channels=3)(torch.randn(4, 3)).shape == (4, 1)
    out = MODELS.get("mlp").fn(num_classes=1, in_channels=3, loss="gaussian_nll")(torch.randn(4, 3) * 100)
    assert out.shape == (4, 2) and (out[:, 1] > 0).all()


def test_windows_are_flattened():
    net = MODELS.get("mlp").fn(num_classes=3, in_channels=2, seq_len=10)
    assert net(torch.randn(5, 2, 10)).shape == (5, 3)


@pytest.mark.parametrize("name, kwargs, match", [
    ("logistic", {"num_classes": 1}, "use model 'linear'"),
    ("softmax", {"num_classes": 1}, "use model 'linear'"),
    ("linear", {"num_classes": 3, "loss": "gaussian_nll"}, "real-valued target"),
    ("mlp", {"num_classes": 2, "loss": "mse"}, "real-valued target"),
    ("mlp", {"num_classes": 1, "head": "logistic"}, "is for classes"),
    ("mlp", {"num_classes": 1, "loss": "cross_entropy"}, "is for classes"),
    ("mlp", {"num_classes": 2, "hidden_sizes": [4, 0]}, "must be positive"),
])
def test_mismatches_with_the_data_are_one_line_config_errors(name, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        build_model(name, {"in_channels": 2, **kwargs})


def test_an_unknown_activation_is_refused_when_the_config_loads():
    with pytest.raises(ConfigError, match="activation"):
        config.validate_model_params("mlp", {"activation": "swish"})
