"""One test suite over every registered torch model (timm's ``tests/test_models.py``).

A new model file is tested the moment ``seqlab.models`` imports it: inputs are built from the
factory's signature (``vocab_size`` -> token ids + attention mask; otherwise a ``(B, C, T)``
signal, plus ``rr (B, F)`` when the factory takes ``num_rr``).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil

import pytest
import torch

import seqlab.models.catalog
from seqlab.config import DATA_DERIVED
from seqlab.models.catalog import MODELS

BATCH, NUM_CLASSES, NUM_RR = 4, 3, 5
REGULARISATION = {"dropout": 0.2, "batch_norm": True, "noise_std": 0.1, "dropconnect": 0.2}

TORCH_MODELS = [e.name for e in MODELS.entries() if e.meta.get("kind") not in ("sklearn", "autoencoder", "generator")]
RR_MODELS = [n for n in TORCH_MODELS if "num_rr" in inspect.signature(MODELS.get(n).fn).parameters]


def params_of(name: str) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(MODELS.get(name).fn).parameters)


def build(name: str, num_rr: int = 0, **overrides) -> tuple[torch.nn.Module, dict]:
    """The model with small data-derived arguments, and a matching batch of inputs."""
    params = params_of(name)
    needs = [k for k, p in params.items() if p.default is inspect.Parameter.empty
             and k not in DATA_DERIVED and k not in overrides]
    if needs:
        pytest.skip(f"{name} needs {', '.join(needs)} (e.g. a pre-trained checkpoint)")
    gen = torch.Generator().manual_seed(0)
    kwargs = {"num_classes": NUM_CLASSES}
    if "vocab_size" in params:
        kwargs["vocab_size"] = 50
        length = 12
        for key in ("seq_len", "max_len", "max_length"):
            if key in params:
                kwargs[key] = length
        ids = torch.randint(1, 50, (BATCH, length), generator=gen)  # (B, L) int64
        mask = torch.ones(BATCH, length, dtype=torch.long)
        mask[0, length // 2 :] = 0  # one padded row
        inputs = {"input_ids": ids, "attention_mask": mask}
    else:
        channels = 2 if "in_channels" in params else 1
        length = params["seq_len"].default if "seq_len" in params else 187
        if "in_channels" in params:
            kwargs["in_channels"] = channels
        if "seq_len" in params:
            kwargs["seq_len"] = length
        inputs = {"x": torch.randn(BATCH, channels, length, generator=gen)}  # (B, C, T)
        if "num_rr" in params:
            kwargs["num_rr"] = num_rr
            if num_rr:
                inputs["rr"] = torch.rand(BATCH, num_rr, generator=gen) + 0.5  # (B, F)
    kwargs.update({k: v for k, v in overrides.items() if k in params})
    torch.manual_seed(0)
    return MODELS.get(name).fn(**kwargs), inputs


def check_forward_backward(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> None:
    model.train()
    logits = model(**inputs)
    assert logits.shape == (BATCH, NUM_CLASSES)
    assert logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    # logits, not log-probabilities: a LogSoftmax in forward would make every row sum to 1
    assert not torch.allclose(logits.exp().sum(1), torch.ones(BATCH), atol=1e-4)
    loss = torch.nn.functional.cross_entropy(logits, torch.arange(BATCH) % NUM_CLASSES)
    loss.backward()
    for pname, p in model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None, f"{pname} got no gradient"
            assert torch.isfinite(p.grad).all(), f"{pname} has a non-finite gradient"


def test_registry_has_the_ecg_models():
    for name in ("seed_leaky_cnn", "seed_cnn2", "kachuee_resnet", "rnn", "gru", "lstm",
                 "bilstm", "rr_resnet"):
        assert name in MODELS


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_signature_is_keyword_only_typed_and_documented(name):
    entry = MODELS.get(name)
    assert entry.description, f"{name} needs a one-line docstring"
    for pname, p in inspect.signature(entry.fn).parameters.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}({pname}) is not keyword-only"
        assert p.annotation is not inspect.Parameter.empty, f"{name}({pname}) has no type"
        if pname not in DATA_DERIVED and pname != "pretrained":
            assert p.default is not inspect.Parameter.empty, f"{name}({pname}) has no default"


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_forward_backward(name):
    model, inputs = build(name)
    check_forward_backward(model, inputs)


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_eval_is_deterministic(name):
    model, inputs = build(name, **REGULARISATION)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(**inputs), model(**inputs))


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_rebuilt_from_state_dict(name):
    """Registry name + kwargs + state dict rebuild the same network (how checkpoints reload)."""
    model, inputs = build(name, num_rr=NUM_RR if name in RR_MODELS else 0)
    other, _ = build(name, num_rr=NUM_RR if name in RR_MODELS else 0)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(1.0)  # a different network until the state dict overwrites it
    other.load_state_dict(model.state_dict())
    model.eval(), other.eval()
    with torch.no_grad():
        assert torch.equal(model(**inputs), other(**inputs))


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_regularisation_switches(name):
    """Every switch the factory offers builds, trains, and is random in training only."""
    switches = {k: v for k, v in REGULARISATION.items() if k in params_of(name)}
    if not switches:
        pytest.skip(f"{name} has no regularisation switches")
    model, inputs = build(name, **switches)
    check_forward_backward(model, inputs)
    if any(k != "batch_norm" for k in switches):
        model.train()
        with torch.no_grad():
            assert not torch.equal(model(**inputs), model(**inputs)), "switches had no effect"


@pytest.mark.parametrize("name", TORCH_MODELS)
def test_training_batch_of_one(name):
    """A loader without ``drop_last`` can end an epoch on a single sample."""
    model, inputs = build(name, num_rr=NUM_RR if name in RR_MODELS else 0, **REGULARISATION)
    model.train()
    one = {k: v[:1] for k, v in inputs.items()}
    logits = model(**one)
    assert logits.shape == (1, NUM_CLASSES) and torch.isfinite(logits).all()


@pytest.mark.parametrize("name", RR_MODELS)
def test_rr_features_are_used(name):
    """Built with ``num_rr > 0`` a model must use ``rr`` (or refuse to be built)."""
    try:
        model, inputs = build(name, num_rr=NUM_RR)
    except ValueError:
        return  # the model says it cannot use RR features: allowed
    check_forward_backward(model, inputs)
    model.eval()
    with torch.no_grad():
        base = model(**inputs)
        moved = model(**{**inputs, "rr": inputs["rr"] * 3.0})
    assert not torch.allclose(base, moved), f"{name} ignores rr although num_rr={NUM_RR}"
    with pytest.raises(ValueError, match="rr"):
        model(x=inputs["x"])


@pytest.mark.parametrize("name", RR_MODELS)
def test_rr_is_ignored_without_num_rr(name):
    model, inputs = build(name, num_rr=0)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(**inputs), model(**inputs, rr=torch.rand(BATCH, NUM_RR)))


@pytest.mark.parametrize(
    "name", [n for n in TORCH_MODELS if {"seq_len", "in_channels"} <= set(params_of(n))]
)
def test_other_lengths_and_channels(name):
    """A 300-sample, 3-lead window (a beat with its neighbours) works where the model allows."""
    model = MODELS.get(name).fn(num_classes=NUM_CLASSES, in_channels=3, seq_len=300)
    assert model(x=torch.randn(2, 3, 300)).shape == (2, NUM_CLASSES)


def test_too_short_input_is_a_clear_error():
    with pytest.raises(ValueError, match="too short"):
        MODELS.get("kachuee_resnet").fn(num_classes=5, seq_len=40)


def test_kachuee_matches_the_paper():
    """187 samples -> five k5/s2 pools -> 32 x 2 = 64 features -> dense 32-32-5."""
    model = MODELS.get("kachuee_resnet").fn(num_classes=5)
    assert model.flat_features == 64
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv1d)]
    assert len(convs) == 11 and all(c.kernel_size == (5,) and c.out_channels == 32 for c in convs)
    linears = [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears == [32, 32, 5]
    assert not any(isinstance(m, (torch.nn.LogSoftmax, torch.nn.Softmax)) for m in model.modules())


def test_bilstm_uses_both_directions():
    model = MODELS.get("bilstm").fn(num_classes=2, hidden_size=8, downsample=4)
    assert model.rnn.bidirectional
    assert model.head.mlp[-1].in_features == 16


MODEL_MODULES = [
    m.name for m in pkgutil.iter_modules(seqlab.models.__path__, "seqlab.models.")
]


@pytest.mark.parametrize("module", MODEL_MODULES)
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), verbose=False)
    assert result.failed == 0


def test_timing_classes_are_a_logistic_regression_of_the_rr_input_alone():
    """With ``timing_classes: [S]`` the S probability depends on the RR-input features only
    (the beat's shape cannot move it) and the output is a proper distribution."""
    import torch

    from seqlab.models.rr_resnet import rr_resnet

    torch.manual_seed(0)
    net = rr_resnet(num_classes=4, num_rr=6, timing_classes=["S"], class_names=["N", "S", "V", "F"]).eval()
    rr = torch.randn(5, 6)
    a, b = net(torch.randn(5, 1, 187), rr).exp(), net(torch.randn(5, 1, 187), rr).exp()
    torch.testing.assert_close(a.sum(dim=1), torch.ones(5))
    torch.testing.assert_close(a[:, 1], b[:, 1])  # S: same RR, other beats -> same probability
    assert not torch.allclose(a[:, [0, 2, 3]], b[:, [0, 2, 3]])  # the other classes do read the beat
    expected = torch.softmax(net.timing(net.rr_norm(rr)), dim=1)[:, 1]
    torch.testing.assert_close(a[:, 1], expected)


def test_morphology_first_decides_v_by_shape_before_timing():
    """With ``morphology_first: [V]`` a beat the beat path calls ventricular stays V however
    premature it is: P(V) is the beat path's own share, S takes timing's share of the rest,
    N and F split what timing leaves; training keeps the timing-first likelihood."""
    import torch

    from seqlab.models.rr_resnet import rr_resnet

    torch.manual_seed(0)
    kw = dict(num_classes=4, num_rr=6, timing_classes=["S"], class_names=list("NSVF"))
    first = rr_resnet(morphology_first=["V"], **kw)
    plain = rr_resnet(**kw)
    plain.load_state_dict(first.state_dict())
    first.eval(), plain.eval()
    x, rr = torch.randn(6, 1, 187), torch.randn(6, 6)
    p = first(x, rr).exp()
    torch.testing.assert_close(p.sum(dim=1), torch.ones(6))
    q = plain(x, rr).exp()[:, [0, 2, 3]]
    q = q / q.sum(dim=1, keepdim=True)  # the beat path's softmax over N, V, F
    g = torch.softmax(first.timing(first.rr_norm(rr)), dim=1)[:, 1]  # timing's P(S)
    torch.testing.assert_close(p[:, 2], q[:, 1])
    torch.testing.assert_close(p[:, 1], (1 - q[:, 1]) * g)
    torch.testing.assert_close(p[:, 0], (1 - g) * q[:, 0])
    with torch.no_grad():  # timing sure of S: a V-shaped beat stays V, an N-shaped one turns S
        first.timing.bias.copy_(torch.tensor([-20.0, 20.0, -20.0, -20.0]))
    p = first(x, rr).exp()
    assert torch.all(p[:, 0] < 1e-6) and torch.allclose(p[:, 2], q[:, 1])
    plain.load_state_dict(first.state_dict())
    first.train(), plain.train()
    torch.manual_seed(1)
    a = first(x, rr)
    torch.manual_seed(1)
    torch.testing.assert_close(a, plain(x, rr))  # the training likelihood is unchanged
    with pytest.raises(ValueError, match="set timing_classes"):
        rr_resnet(num_classes=4, num_rr=6, morphology_first=["V"], class_names=list("NSVF"))
    with pytest.raises(ValueError, match="both"):
        rr_resnet(morphology_first=["S"], **kw)


def test_timing_classes_must_name_known_classes():
    from seqlab.models.rr_resnet import rr_resnet

    with pytest.raises(ValueError, match="not among the classes"):
        rr_resnet(num_classes=4, num_rr=6, timing_classes=["X"], class_names=["N", "S", "V", "F"])
    with pytest.raises(ValueError, match="rr_features"):
        rr_resnet(num_classes=4, num_rr=0, timing_classes=["S"], class_names=["N", "S", "V", "F"])
