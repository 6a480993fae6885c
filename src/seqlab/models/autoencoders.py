"""Autoencoders for ECG beats, and a classifier that starts from an autoencoder's encoder.

Registered with ``kind="autoencoder"``: ``forward(x)`` maps a beat ``(B, C, T)`` to its
reconstruction ``(B, C, T)`` (no classes), and ``reconstruct(x)`` returns what the training
objective needs (``seqlab.training.reconstruct``): ``recon``, plus ``penalty`` (a sparsity or KL
term, already weighted) and, for the VAE, ``logvar`` (a per-sample variance for a Gaussian NLL).

* ``conv_ae``: strided convolutions, a dense code, a mirrored decoder (upsample + conv).
* ``conv_dae``: the denoising autoencoder (Vincent et al. 2008: trained with ``reconstruct.noise``
  to return the clean beat): fully convolutional (Chiang et al. 2019, IEEE Access 7), with U-Net
  skips and a residual output (it predicts the noise). Without the skips the decoder loses the
  beat's detail: a version without them stopped at about 12 dB output SNR whatever the input
  SNR. Four strided levels: the deepest layers see the whole 1.5 s window (a baseline offset is
  only known from the whole beat).
* ``sparse_ae``: ``conv_ae`` with an L1 penalty on a ReLU code, or a KL sparsity penalty on a
  sigmoid code (each unit's mean activation pulled to ``sparsity_target``; Ng 2011).
* ``dense_ae``: stacked dense layers, trained end to end; ``tied`` decoders reuse the
  encoder's weights transposed (only biases of their own).
* ``conv_vae``: a VAE (Kingma & Welling 2014) whose decoder gives a mean and a log-variance
  per sample: the loss is the Gaussian NLL plus ``beta`` × KL.

``ae_classifier`` (a classifier, no kind) builds ``conv_ae``'s encoder under the same name
(``encoder.*``) with a classifier head: ``model.init_from: <an autoencoder run>`` loads it.

>>> import torch
>>> ae = conv_ae(in_channels=1, seq_len=187)
>>> ae(torch.randn(2, 1, 187)).shape
torch.Size([2, 1, 187])
>>> clf = ae_classifier(num_classes=5)
>>> set(ae.encoder.state_dict()) == set(clf.encoder.state_dict())
True
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from seqlab.models.layers import ClassifierHead, conv_norm
from seqlab.models.registry import register_model


class ConvEncoder(nn.Module):
    """Strided 'same' convolutions (each halves T, + optional batch norm, ReLU); with
    ``code_size`` a linear layer from the flattened maps to the code."""

    def __init__(self, *, in_channels: int, seq_len: int, channels: list[int], kernel_size: int,
                 code_size: int | None, batch_norm: bool):
        super().__init__()
        if kernel_size % 2 == 0 or not channels:
            raise ValueError(f"kernel_size must be odd and channels non-empty, got {kernel_size}, {channels}")
        layers: list[nn.Module] = []
        width, length = in_channels, seq_len
        for c in channels:
            layers += [*conv_norm(width, c, kernel_size, batch_norm=batch_norm, stride=2), nn.ReLU()]
            width, length = c, (length + 1) // 2
        self.features = nn.Sequential(*layers)
        self.shape = (width, length)  # (C', T') of the last feature map
        self.to_code = nn.Linear(width * length, code_size) if code_size else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (B, C', T')
        return self.to_code(h.flatten(1)) if self.to_code is not None else h  # (B, code) or (B, C', T')


class ConvDecoder(nn.Module):
    """The encoder mirrored: (linear from the code,) then x2 upsampling + conv per level, a last
    conv to ``out_channels``; the output is cut to ``seq_len``."""

    def __init__(self, *, out_channels: int, seq_len: int, channels: list[int], kernel_size: int,
                 code_size: int | None, shape: tuple[int, int], batch_norm: bool):
        super().__init__()
        self.shape, self.seq_len = shape, seq_len
        self.from_code = nn.Linear(code_size, shape[0] * shape[1]) if code_size else None
        layers: list[nn.Module] = []
        width = shape[0]
        for c in [*reversed(channels[:-1]), channels[0]]:
            layers += [nn.Upsample(scale_factor=2, mode="linear", align_corners=False),
                       *conv_norm(width, c, kernel_size, batch_norm=batch_norm), nn.ReLU()]
            width = c
        layers.append(nn.Conv1d(width, out_channels, kernel_size, padding=kernel_size // 2))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.from_code is not None:
            z = F.relu(self.from_code(z)).view(len(z), *self.shape)  # (B, code) -> (B, C', T')
        return self.net(z)[..., : self.seq_len]  # (B, out, T' * 2^levels) -> (B, out, T)


class Autoencoder(nn.Module):
    """An encoder, a decoder, and an optional sparsity penalty on the code."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, *, sparsity: str = "none",
                 sparsity_weight: float = 0.0, sparsity_target: float = 0.05):
        super().__init__()
        if sparsity not in ("none", "l1", "kl") or not 0 < sparsity_target < 1 or sparsity_weight < 0:
            raise ValueError(f"sparsity must be none, l1 or kl with 0 < sparsity_target < 1 and a weight >= 0, "
                             f"got {sparsity!r}, {sparsity_target}, {sparsity_weight}")
        self.encoder, self.decoder = encoder, decoder
        self.sparsity, self.weight, self.target = sparsity, sparsity_weight, sparsity_target

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder(x)
        return torch.sigmoid(z) if self.sparsity == "kl" else F.relu(z) if self.sparsity == "l1" else z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))  # (B, C, T)

    def reconstruct(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        out = {"recon": self.decoder(z)}
        if self.sparsity == "l1":
            out["penalty"] = self.weight * z.abs().mean()
        elif self.sparsity == "kl":  # mean over code units of KL(target || each unit's mean activation)
            rho, p = self.target, z.mean(dim=0).clamp(1e-6, 1 - 1e-6)  # (code,)
            kl = rho * torch.log(rho / p) + (1 - rho) * torch.log((1 - rho) / (1 - p))
            out["penalty"] = self.weight * kl.mean()
        return out


class SkipAutoencoder(nn.Module):
    """An encoder-decoder with skip connections (U-Net shaped): a full-rate stem, strided
    convolutions down, and back up by interpolation, each level joined with the encoder's map
    of the same length; ``residual``: the output is the input plus a correction (the network
    predicts the noise, as in DnCNN, Zhang et al. 2017), so a clean input passes through."""

    def __init__(self, *, in_channels: int, channels: list[int], kernel_size: int, batch_norm: bool,
                 residual: bool):
        super().__init__()
        if kernel_size % 2 == 0 or len(channels) < 2:
            raise ValueError(f"kernel_size must be odd and channels at least two levels, got {kernel_size}, {channels}")
        self.stem = nn.Sequential(*conv_norm(in_channels, channels[0], kernel_size, batch_norm=batch_norm), nn.ReLU())
        pairs = list(zip(channels, channels[1:]))
        self.down = nn.ModuleList(nn.Sequential(*conv_norm(a, b, kernel_size, batch_norm=batch_norm, stride=2),
                                                nn.ReLU()) for a, b in pairs)
        self.up = nn.ModuleList(nn.Sequential(*conv_norm(a + b, a, kernel_size, batch_norm=batch_norm), nn.ReLU())
                                for a, b in reversed(pairs))
        self.head = nn.Conv1d(channels[0], in_channels, kernel_size, padding=kernel_size // 2)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.stem(x)  # (B, C0, T)
        skips = [h]
        for down in self.down:
            h = down(h)  # (B, C_i+1, ceil(T_i / 2))
            skips.append(h)
        skips.pop()  # the deepest map is h itself
        for up in self.up:
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[-1], mode="linear", align_corners=False)  # (B, C, T_skip)
            h = up(torch.cat([h, skip], dim=1))
        out = self.head(h)  # (B, C, T)
        return x + out if self.residual else out

    def reconstruct(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"recon": self(x)}


class DenseAutoencoder(nn.Module):
    """Dense layers ``C·T -> hidden... -> code`` and back; ``tied``: decoder weights are the
    encoder's transposed (Vincent et al. 2010), so only the decoder biases are its own."""

    def __init__(self, *, in_channels: int, seq_len: int, hidden: list[int], code_size: int, tied: bool):
        super().__init__()
        sizes = [in_channels * seq_len, *hidden, code_size]
        self.shape = (in_channels, seq_len)
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.tied = tied
        if tied:
            self.decoder_bias = nn.ParameterList(nn.Parameter(torch.zeros(a)) for a in reversed(sizes[:-1]))
        else:
            self.decoder = nn.ModuleList(nn.Linear(b, a) for a, b in reversed(list(zip(sizes, sizes[1:]))))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        h = x.flatten(1)  # (B, C*T)
        for i, layer in enumerate(self.encoder):
            h = layer(h) if i == len(self.encoder) - 1 else F.relu(layer(h))
        return h  # (B, code), linear

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h, last = z, len(self.encoder) - 1
        for i in range(last + 1):
            if self.tied:
                h = F.linear(h, self.encoder[last - i].weight.t(), self.decoder_bias[i])
            else:
                h = self.decoder[i](h)
            h = h if i == last else F.relu(h)
        return h.view(len(z), *self.shape)  # (B, C*T) -> (B, C, T)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def reconstruct(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"recon": self(x)}


class ConvVAE(nn.Module):
    """Encoder -> (mu, log-variance) of the latent; decoder -> mean and log-variance per sample.
    ``forward`` decodes the posterior mean (deterministic); ``reconstruct`` samples in training."""

    def __init__(self, *, in_channels: int, seq_len: int, channels: list[int], kernel_size: int,
                 latent_size: int, beta: float, batch_norm: bool):
        super().__init__()
        self.encoder = ConvEncoder(in_channels=in_channels, seq_len=seq_len, channels=channels,
                                   kernel_size=kernel_size, code_size=2 * latent_size, batch_norm=batch_norm)
        self.decoder = ConvDecoder(out_channels=2 * in_channels, seq_len=seq_len, channels=channels,
                                   kernel_size=kernel_size, code_size=latent_size, shape=self.encoder.shape,
                                   batch_norm=batch_norm)
        self.beta, self.in_channels = beta, in_channels

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x).chunk(2, dim=1)  # (B, latent) each
        return mu, logvar.clamp(-10.0, 10.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x)[0])[:, : self.in_channels]  # (B, C, T): the mean

    def reconstruct(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        mean, rec_logvar = self.decoder(z).chunk(2, dim=1)  # (B, C, T) each
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum(dim=1).mean()  # nats per beat
        # the NLL is averaged per sample, so the KL is too (per beat / C·T): beta keeps its meaning
        return {"recon": mean, "logvar": rec_logvar.clamp(-9.0, 5.0), "penalty": self.beta * kl / x[0].numel()}


def _conv_pair(in_channels: int, seq_len: int, channels: list[int], kernel_size: int, code_size: int | None,
               batch_norm: bool) -> tuple[ConvEncoder, ConvDecoder]:
    enc = ConvEncoder(in_channels=in_channels, seq_len=seq_len, channels=channels, kernel_size=kernel_size,
                      code_size=code_size, batch_norm=batch_norm)
    dec = ConvDecoder(out_channels=in_channels, seq_len=seq_len, channels=channels, kernel_size=kernel_size,
                      code_size=code_size, shape=enc.shape, batch_norm=batch_norm)
    return enc, dec


@register_model(kind="autoencoder")
def conv_ae(*, in_channels: int = 1, seq_len: int = 187, channels: list[int] = [16, 32, 64],  # noqa: B006
            kernel_size: int = 7, code_size: int = 32, batch_norm: bool = True) -> nn.Module:
    """Convolutional autoencoder: strided convs, a dense code, a mirrored upsampling decoder."""
    return Autoencoder(*_conv_pair(in_channels, seq_len, channels, kernel_size, code_size, batch_norm))


@register_model(kind="autoencoder")
def conv_dae(*, in_channels: int = 1, seq_len: int = 187, channels: list[int] = [8, 16, 32, 32, 32],  # noqa: B006
             kernel_size: int = 7, batch_norm: bool = True, residual: bool = True) -> nn.Module:
    """Denoising autoencoder: a U-Net-shaped conv encoder-decoder predicting the noise to remove."""
    return SkipAutoencoder(in_channels=in_channels, channels=channels, kernel_size=kernel_size,
                           batch_norm=batch_norm, residual=residual)


@register_model(kind="autoencoder")
def sparse_ae(*, in_channels: int = 1, seq_len: int = 187, channels: list[int] = [16, 32, 64],  # noqa: B006
              kernel_size: int = 7, code_size: int = 64, batch_norm: bool = True,
              sparsity: Literal["l1", "kl"] = "l1", sparsity_weight: float = 1e-3,
              sparsity_target: float = 0.05) -> nn.Module:
    """Sparse convolutional autoencoder: L1 on a ReLU code, or KL sparsity on a sigmoid code."""
    return Autoencoder(*_conv_pair(in_channels, seq_len, channels, kernel_size, code_size, batch_norm),
                       sparsity=sparsity, sparsity_weight=sparsity_weight, sparsity_target=sparsity_target)


@register_model(kind="autoencoder")
def dense_ae(*, in_channels: int = 1, seq_len: int = 187, hidden: list[int] = [128, 64],  # noqa: B006
             code_size: int = 32, tied: bool = True) -> nn.Module:
    """Stacked dense autoencoder, decoder weights tied to the encoder's (tied: false unties them)."""
    return DenseAutoencoder(in_channels=in_channels, seq_len=seq_len, hidden=hidden, code_size=code_size, tied=tied)


@register_model(kind="autoencoder")
def conv_vae(*, in_channels: int = 1, seq_len: int = 187, channels: list[int] = [16, 32, 64],  # noqa: B006
             kernel_size: int = 7, latent_size: int = 16, beta: float = 1.0, batch_norm: bool = True) -> nn.Module:
    """Convolutional VAE with a Gaussian decoder (mean and variance per sample): NLL + beta x KL."""
    return ConvVAE(in_channels=in_channels, seq_len=seq_len, channels=channels, kernel_size=kernel_size,
                   latent_size=latent_size, beta=beta, batch_norm=batch_norm)


class EncoderClassifier(nn.Module):
    """``conv_ae``'s encoder (``encoder.*``) + a dense head on its code (and RR features)."""

    def __init__(self, *, num_classes: int, in_channels: int, seq_len: int, num_rr: int, channels: list[int],
                 kernel_size: int, code_size: int, batch_norm: bool, hidden: list[int], dropout: float):
        super().__init__()
        self.encoder = ConvEncoder(in_channels=in_channels, seq_len=seq_len, channels=channels,
                                   kernel_size=kernel_size, code_size=code_size, batch_norm=batch_norm)
        self.head = ClassifierHead(code_size, num_rr=num_rr, hidden=hidden, num_classes=num_classes, dropout=dropout)

    def forward(self, x: torch.Tensor, rr: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.encoder(x), rr)  # (B, code) -> (B, K)


@register_model
def ae_classifier(*, num_classes: int, in_channels: int = 1, seq_len: int = 187, num_rr: int = 0,
                  channels: list[int] = [16, 32, 64], kernel_size: int = 7, code_size: int = 32,  # noqa: B006
                  batch_norm: bool = True, hidden: list[int] = [32], dropout: float = 0.0) -> nn.Module:  # noqa: B006
    """Classifier on conv_ae's encoder (same tensor names): model.init_from an autoencoder run."""
    return EncoderClassifier(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len, num_rr=num_rr,
                             channels=channels, kernel_size=kernel_size, code_size=code_size,
                             batch_norm=batch_norm, hidden=hidden, dropout=dropout)
