"""Every registered autoencoder (``kind="autoencoder"``): a beat in, a beat of the same shape out,
gradients everywhere, a deterministic eval pass, a rebuild from its state dict; plus the
parts that make each one what it is (tied weights, sparsity, the VAE's variance) and the
classifier that shares ``conv_ae``'s encoder."""

import inspect

import pytest
import torch

import seqlab.models.catalog  # noqa: F401  (fills the registry)
from seqlab.config import DATA_DERIVED
from seqlab.models.registry import MODELS

AUTOENCODERS = [e.name for e in MODELS.entries() if e.meta.get("kind") == "autoencoder"]


def build(name: str, leads: int = 1, length: int = 187, **kw) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    model = MODELS.get(name).fn(in_channels=leads, seq_len=length, **kw)
    return model, torch.randn(4, leads, length, generator=torch.Generator().manual_seed(1))  # (B, C, T)


def test_the_issue_s_autoencoders_are_registered():
    assert {"conv_ae", "conv_dae", "sparse_ae", "dense_ae", "conv_vae"} <= set(AUTOENCODERS)
    assert "ae_classifier" in MODELS and MODELS.get("ae_classifier").meta.get("kind") is None


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_signature_is_keyword_only_typed_and_defaulted(name):
    entry = MODELS.get(name)
    assert entry.description
    for pname, p in inspect.signature(entry.fn).parameters.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY and p.annotation is not inspect.Parameter.empty
        assert pname in DATA_DERIVED or p.default is not inspect.Parameter.empty, f"{name}({pname})"


@pytest.mark.parametrize("name", AUTOENCODERS)
@pytest.mark.parametrize(("leads", "length"), [(1, 187), (2, 100)])
def test_a_beat_in_a_beat_out_with_gradients_everywhere(name, leads, length):
    model, x = build(name, leads, length)
    model.train()
    out = model.reconstruct(x)
    assert out["recon"].shape == x.shape and torch.isfinite(out["recon"]).all()
    loss = ((out["recon"] - x) ** 2).mean() + out.get("penalty", 0.0)
    if "logvar" in out:
        assert out["logvar"].shape == x.shape
        loss = loss + out["logvar"].mean()
    loss.backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name}: {pname} got no gradient"
    assert model(x).shape == x.shape


@pytest.mark.parametrize("name", AUTOENCODERS)
def test_eval_is_deterministic_and_a_state_dict_rebuilds_it(name):
    model, x = build(name)
    other, _ = build(name)
    with torch.no_grad():
        for p in other.parameters():
            p.add_(1.0)
    other.load_state_dict(model.state_dict())
    model.eval(), other.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
        assert torch.equal(model(x), other(x))
        assert torch.equal(model.reconstruct(x)["recon"], model(x))


def test_tied_decoder_reuses_the_encoder_weights():
    tied, x = build("dense_ae", tied=True)
    untied, _ = build("dense_ae", tied=False)
    assert not any("decoder" in n and n.endswith("weight") for n, _ in tied.named_parameters())
    n_tied, n_untied = (sum(p.numel() for p in m.parameters()) for m in (tied, untied))
    assert n_untied - n_tied == sum(m.weight.numel() for m in tied.encoder)  # only the weight matrices differ
    code = tied.encode(x)
    before = tied.decode(code)
    with torch.no_grad():
        tied.encoder[0].weight.mul_(2.0)  # the first encoder layer is the last decoder layer
    assert not torch.allclose(tied.decode(code), before)


def test_sparsity_penalties():
    l1, x = build("sparse_ae", sparsity="l1", sparsity_weight=0.5)
    out = l1.reconstruct(x)
    assert out["penalty"].item() == pytest.approx(0.5 * l1.encode(x).abs().mean().item(), rel=1e-5)
    assert (l1.encode(x) >= 0).all()  # a ReLU code
    kl, _ = build("sparse_ae", sparsity="kl", sparsity_weight=1.0, sparsity_target=0.05)
    z = kl.encode(x)
    assert ((z > 0) & (z < 1)).all()  # a sigmoid code
    rho, p = 0.05, z.mean(0)
    expected = (rho * torch.log(rho / p) + (1 - rho) * torch.log((1 - rho) / (1 - p))).mean()
    assert kl.reconstruct(x)["penalty"].item() == pytest.approx(expected.item(), rel=1e-4)
    with pytest.raises(ValueError, match="sparsity"):
        build("sparse_ae", sparsity_target=1.5)


def test_vae_samples_in_training_only_and_weighs_its_kl_by_beta():
    vae, x = build("conv_vae", beta=0.0)
    vae.train()
    assert vae.reconstruct(x)["penalty"].item() == 0.0
    a, b = vae.reconstruct(x)["recon"], vae.reconstruct(x)["recon"]
    assert not torch.allclose(a, b)  # the latent is sampled
    vae.eval()
    assert torch.equal(vae.reconstruct(x)["recon"], vae.reconstruct(x)["recon"])
    heavy, _ = build("conv_vae", beta=4.0)
    light, _ = build("conv_vae", beta=1.0)
    heavy.eval(), light.eval()
    assert heavy.reconstruct(x)["penalty"].item() == pytest.approx(4 * light.reconstruct(x)["penalty"].item())


def test_the_denoiser_predicts_a_correction_to_its_input():
    dae, x = build("conv_dae")
    with torch.no_grad():
        dae.head.weight.zero_()
        dae.head.bias.zero_()
    assert torch.equal(dae(x), x)  # residual: a zero correction passes the beat through
    plain, _ = build("conv_dae", residual=False)
    with torch.no_grad():
        plain.head.weight.zero_()
        plain.head.bias.zero_()
    assert torch.equal(plain(x), torch.zeros_like(x))


def test_bad_sizes_are_a_clear_error():
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        build("conv_ae", kernel_size=4)
    with pytest.raises(ValueError, match="at least two levels"):
        build("conv_dae", channels=[8])


@pytest.mark.parametrize("source", ["conv_ae", "sparse_ae"])
def test_ae_classifier_has_the_autoencoder_s_encoder(source):
    ae, x = build(source, code_size=16)
    clf = MODELS.get("ae_classifier").fn(num_classes=3, code_size=16)
    assert {k: v.shape for k, v in ae.encoder.state_dict().items()} == \
        {k: v.shape for k, v in clf.encoder.state_dict().items()}
    clf.load_state_dict({**clf.state_dict(), **{f"encoder.{k}": v for k, v in ae.encoder.state_dict().items()}})
    ae.eval(), clf.eval()
    with torch.no_grad():
        assert torch.equal(clf.encoder(x), ae.encoder(x))
        assert clf(x).shape == (4, 3)
