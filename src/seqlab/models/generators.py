"""Conditional generators of beats: a conditional VAE and a conditional WGAN-GP.

Why generators at all: the inter-patient S and F classes live in a handful of DS1 records, so
a classifier sees few distinct S / F shapes. A generator that learned the class-conditional
distribution of beats can add new beats of a rare class (``augment.synthetic``); whether that
helps more than repeating the real ones (oversampling) is measured, not assumed
(``docs/generative.md``, "Generators").

Both models map a latent code ``z (B, latent)`` and a class index ``y (B,)`` to a beat
``(B, C, T)`` with the shape of the training beats (``in_channels`` and ``seq_len`` come from
the data), through the same decoder: an MLP over ``[z, embedding(y)]`` and a residual
smoothing convolution. ``sample(y, z)`` is the one call inference uses.

* ``beat_cvae``: conditional VAE (Sohn et al. 2015): an MLP encoder of ``[beat, embedding(y)]``
  to a Gaussian posterior; the loss is the beat's squared reconstruction error plus
  ``beta`` x the KL divergence to N(0, I). Stable and quick on a CPU.
* ``beat_wgan``: conditional Wasserstein GAN with gradient penalty (Gulrajani et al. 2017);
  the critic is a strided 1D CNN with a projection of the class embedding (Miyato & Koyama
  2018). ``n_critic`` critic updates per generator update, penalty weight ``gp_weight``.

Training hyper-parameters that belong to the model (``beta``, ``gp_weight``, ``n_critic``)
are attributes the training module reads (``seqlab.training.generative``). These networks
are not classifiers: they register with ``kind="generator"``.

>>> import torch
>>> net = beat_cvae(num_classes=4, in_channels=2, seq_len=81)
>>> y = torch.tensor([0, 1, 2, 3])
>>> net.sample(y, torch.zeros(4, net.latent)).shape
torch.Size([4, 2, 81])
>>> recon, mu, logvar = net(torch.randn(4, 2, 81), y)
>>> recon.shape, mu.shape
(torch.Size([4, 2, 81]), torch.Size([4, 16]))
>>> gan = beat_wgan(num_classes=4, in_channels=2, seq_len=81)
>>> gan.critic(torch.randn(4, 2, 81), y).shape
torch.Size([4])
"""

from __future__ import annotations

import torch
from torch import nn

from seqlab.models.registry import register_model


def _check(num_classes: int, in_channels: int, seq_len: int, latent: int, hidden: int) -> None:
    if num_classes < 1 or in_channels < 1 or seq_len < 8:
        raise ValueError(f"need >= 1 class, >= 1 channel and >= 8 samples per beat (got {num_classes}, "
                         f"{in_channels}, {seq_len})")
    if latent < 1 or hidden < 1:
        raise ValueError(f"latent and hidden must be >= 1, got latent={latent}, hidden={hidden}")


class ConditionalDecoder(nn.Module):
    """``[z, embedding(y)]`` -> MLP -> ``(B, C, T)``, plus a residual k7 convolution that lets
    neighbouring samples agree (an MLP alone leaves sample-to-sample jitter)."""

    def __init__(self, *, num_classes: int, in_channels: int, seq_len: int, latent: int, hidden: int):
        super().__init__()
        self.shape = (in_channels, seq_len)
        self.embed = nn.Embedding(num_classes, hidden // 4 or 1)
        self.mlp = nn.Sequential(
            nn.Linear(latent + self.embed.embedding_dim, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, in_channels * seq_len),
        )
        self.smooth = nn.Conv1d(in_channels, in_channels, 7, padding=3)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.mlp(torch.cat([z, self.embed(y)], dim=1))  # (B, C*T)
        h = h.view(-1, *self.shape)  # (B, C, T)
        return h + self.smooth(h)  # (B, C, T)


class BeatCVAE(nn.Module):
    """Encoder q(z | x, y), decoder p(x | z, y); ``forward`` returns (reconstruction, mu, logvar)."""

    def __init__(self, *, num_classes: int, in_channels: int, seq_len: int, latent: int, hidden: int,
                 beta: float):
        super().__init__()
        self.latent, self.beta = latent, beta
        self.embed = nn.Embedding(num_classes, hidden // 4 or 1)
        self.encoder = nn.Sequential(
            nn.Linear(in_channels * seq_len + self.embed.embedding_dim, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
            nn.Linear(hidden, 2 * latent),
        )
        self.decoder = ConditionalDecoder(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len,
                                          latent=latent, hidden=hidden)

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.cat([x.flatten(1), self.embed(y)], dim=1)  # (B, C*T + E)
        mu, logvar = self.encoder(h).chunk(2, dim=1)  # (B, latent) each
        return mu, logvar.clamp(-12, 8)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x, y)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu  # reparameterised
        return self.decoder(z, y), mu, logvar

    def sample(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z, y)  # (B, C, T)


class ProjectionCritic(nn.Module):
    """Strided CNN -> features h; score = w·h + <embedding(y), h> (projection discriminator).
    No batch norm: the gradient penalty is taken per sample."""

    def __init__(self, *, num_classes: int, in_channels: int, width: int):
        super().__init__()
        layers, c = [], in_channels
        for i in range(3):
            layers += [nn.Conv1d(c, width * 2**i, 5, stride=2, padding=2), nn.LeakyReLU(0.2)]
            c = width * 2**i
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool1d(8), nn.Flatten())  # (B, 8c)
        self.out = nn.Linear(8 * c, 1)
        self.embed = nn.Embedding(num_classes, 8 * c)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (B, 8c)
        return self.out(h).squeeze(1) + (self.embed(y) * h).sum(dim=1)  # (B,)


class BeatWGAN(nn.Module):
    """Generator (the shared decoder) and projection critic; trained by ``GANModule``."""

    def __init__(self, *, num_classes: int, in_channels: int, seq_len: int, latent: int, hidden: int,
                 width: int, gp_weight: float, n_critic: int):
        super().__init__()
        self.latent, self.gp_weight, self.n_critic = latent, gp_weight, n_critic
        self.generator = ConditionalDecoder(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len,
                                            latent=latent, hidden=hidden)
        self.critic = ProjectionCritic(num_classes=num_classes, in_channels=in_channels, width=width)

    def sample(self, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z, y)  # (B, C, T)


@register_model(kind="generator")
def beat_cvae(*, num_classes: int, in_channels: int = 1, seq_len: int = 187, latent: int = 16,
              hidden: int = 256, beta: float = 1.0) -> nn.Module:
    """Conditional VAE of beats (MLP encoder / decoder): generates beats of a given class."""
    _check(num_classes, in_channels, seq_len, latent, hidden)
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    return BeatCVAE(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len, latent=latent,
                    hidden=hidden, beta=beta)


@register_model(kind="generator")
def beat_wgan(*, num_classes: int, in_channels: int = 1, seq_len: int = 187, latent: int = 32,
              hidden: int = 256, width: int = 32, gp_weight: float = 10.0, n_critic: int = 5) -> nn.Module:
    """Conditional WGAN-GP of beats (MLP generator, projection CNN critic)."""
    _check(num_classes, in_channels, seq_len, latent, hidden)
    if width < 1 or n_critic < 1 or gp_weight < 0:
        raise ValueError(f"width and n_critic must be >= 1 and gp_weight >= 0 (got {width}, {n_critic}, {gp_weight})")
    return BeatWGAN(num_classes=num_classes, in_channels=in_channels, seq_len=seq_len, latent=latent,
                    hidden=hidden, width=width, gp_weight=gp_weight, n_critic=n_critic)
