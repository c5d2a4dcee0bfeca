"""A small class-conditional diffusion model for 28×28 gray images: a UNet that predicts
the noise in an image (Ho et al.'s DDPM objective, a linear schedule of 1000 steps) and a
deterministic DDIM sampler (Song et al., eta = 0), so fixed seeds give the same images."""
import math

import torch
from torch import nn

STEPS = 1000  # the forward process's length
CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def noise_levels():
    """ᾱ_t for t = 0..STEPS-1: how much of the image is left at step t."""
    betas = torch.linspace(1e-4, 0.02, STEPS, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0).float()


def timestep_features(t, size):
    half = size // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat((angles.sin(), angles.cos()), dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, tdim):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.cond = nn.Linear(tdim, cout)
        self.norm2, self.conv2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(nn.functional.silu(self.norm1(x))) + self.cond(emb)[:, :, None, None]
        return self.skip(x) + self.conv2(nn.functional.silu(self.norm2(h)))


class UNet(nn.Module):
    """28 → 14 → 7 and back, with skips; conditioned on the step and the class."""

    def __init__(self, channels=32):
        super().__init__()
        c, tdim = channels, channels * 4
        self.channels = channels
        self.time = nn.Sequential(nn.Linear(c, tdim), nn.SiLU(), nn.Linear(tdim, tdim))
        self.label = nn.Embedding(len(CLASSES), tdim)
        self.conv_in = nn.Conv2d(1, c, 3, padding=1)
        self.res1 = ResBlock(c, c, tdim)
        self.down1 = nn.Conv2d(c, c, 3, stride=2, padding=1)
        self.res2 = ResBlock(c, 2 * c, tdim)
        self.down2 = nn.Conv2d(2 * c, 2 * c, 3, stride=2, padding=1)
        self.mid = ResBlock(2 * c, 2 * c, tdim)
        self.up2 = ResBlock(4 * c, 2 * c, tdim)
        self.up1 = ResBlock(3 * c, c, tdim)
        self.out = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 3, padding=1))

    def forward(self, x, t, labels):
        emb = self.time(timestep_features(t, self.channels)) + self.label(labels)
        s1 = self.res1(self.conv_in(x), emb)
        s2 = self.res2(self.down1(s1), emb)
        h = self.mid(self.down2(s2), emb)
        h = self.up2(torch.cat((nn.functional.interpolate(h, scale_factor=2.0), s2), 1), emb)
        h = self.up1(torch.cat((nn.functional.interpolate(h, scale_factor=2.0), s1), 1), emb)
        return self.out(h)


def training_loss(model, images, labels, generator, levels):
    """The DDPM objective on images in [0, 1]: noise them to a random step, predict the noise."""
    x0 = images * 2 - 1
    t = torch.randint(0, STEPS, (x0.shape[0],), generator=generator)
    noise = torch.randn(x0.shape, generator=generator)
    a = levels[t][:, None, None, None]
    noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise
    return nn.functional.mse_loss(model(noisy, t, labels), noise)


@torch.inference_mode()
def sample(model, labels, generator, steps=50):
    """DDIM (eta = 0) from noise drawn from generator: images in [0, 1], one per label."""
    levels = noise_levels()
    x = torch.randn((len(labels), 1, 28, 28), generator=generator)
    times = torch.linspace(STEPS - 1, 0, steps).round().long().tolist()
    for i, t in enumerate(times):
        a = levels[t]
        a_prev = levels[times[i + 1]] if i + 1 < len(times) else torch.tensor(1.0)
        eps = model(x, torch.full((len(labels),), t), labels)
        x0 = ((x - (1 - a).sqrt() * eps) / a.sqrt()).clamp(-1, 1)
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return (x + 1) / 2
