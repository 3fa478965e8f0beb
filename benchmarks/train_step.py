"""Training-step benchmark: prints the ratios that issue #3 sets targets for, side by side.

    python benchmarks/train_step.py [--device cpu|cuda] [--repeats 5] [--threads N]

1. the step time of the plain AE vs the default AEAI step (target: AEAI <= 4x AE);
2. the vectorised whole-grid AEAI step (all M + 1 interpolants through the decoder and the
   encoder in one call each) vs a naive loop that handles one alpha at a time
   (target: vectorised >= 3x faster);
3. the whole-grid AEAI step with JVP smoothness vs finite-difference smoothness.

Settings: 64x64 RGB images, batch 32 (16 pairs), M = 16, latent 256. A step is forward,
backward and optimiser update of every parameter group; the median of --repeats steps after
two warm-up steps is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from aeai_lib.device import pick_device
from aeai_lib.interpolation import alpha_grid
from aeai_lib.losses import (
    cycle_consistency_loss,
    decode_with_velocity,
    discriminator_loss,
    generator_adversarial_loss,
    reconstruction_loss,
    smoothness_loss,
)
from aeai_lib.methods import ADVERSARY, AUTOENCODER, StepLosses, make_method
from aeai_lib.models import ModelConfig

BATCH, M, SIZE = 32, 16, 64


def naive_grid_losses(method, model, images, step, generator) -> StepLosses:
    """The whole-grid AEAI losses computed one alpha at a time (the baseline to beat)."""
    o = method.options
    codes = model.encoder(images)
    n_pairs = len(images) // 2
    sources, targets = codes[:n_pairs], codes[n_pairs : 2 * n_pairs]
    reconstruction = reconstruction_loss(images, model.decoder(codes))
    real_logits = model.auxiliary["discriminator"](images)
    adversarial, discriminator, cycle, smooth = [], [], [], []
    for alpha in alpha_grid(M)[1:-1].tolist():
        z = (1 - alpha) * sources + alpha * targets
        decoded, velocity = decode_with_velocity(model.decoder, z, targets - sources)
        fake_logits = model.auxiliary["discriminator"](decoded)
        adversarial.append(generator_adversarial_loss(fake_logits))
        discriminator.append(discriminator_loss(real_logits, fake_logits))
        cycle.append(cycle_consistency_loss(z, model.encoder(decoded)))
        smooth.append(smoothness_loss(velocity))
    terms = {
        "reconstruction": reconstruction,
        "adversarial": torch.stack(adversarial).mean(),
        "discriminator": torch.stack(discriminator).mean(),
        "cycle": torch.stack(cycle).mean(),
        "smoothness": torch.stack(smooth).mean(),
    }
    total = (
        reconstruction
        + o.lambda_adv * terms["adversarial"]
        + o.lambda_cycle * terms["cycle"]
        + o.lambda_smooth * terms["smoothness"]
    )
    return StepLosses({AUTOENCODER: total, ADVERSARY: terms["discriminator"]}, terms)


def time_steps(method, losses_fn, device: torch.device, repeats: int) -> float:
    """Median seconds per training step of ``losses_fn`` (forward, backward, update)."""
    torch.manual_seed(0)
    model = method.build_model(ModelConfig(image_size=SIZE, channels=3, latent_dim=256)).to(device)
    model.train()
    groups = method.parameter_groups(model)
    optimizers = {name: torch.optim.Adam(params, lr=1e-4) for name, params in groups.items()}
    images = torch.rand(BATCH, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(0)).to(device)
    generator = torch.Generator().manual_seed(0)
    times = []
    for step in range(repeats + 2):
        if device.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        losses = losses_fn(method, model, images, step, generator)
        names = list(losses.objectives)
        for position, name in enumerate(names):
            optimizers[name].zero_grad(set_to_none=True)
            losses.objectives[name].backward(
                inputs=groups[name], retain_graph=position < len(names) - 1
            )
        for name in names:
            optimizers[name].step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if step >= 2:
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)

    def library_losses(method, model, images, step, generator):
        return method.losses(model, images, step, generator)

    ae = time_steps(make_method("ae"), library_losses, device, args.repeats)
    aeai = time_steps(make_method("aeai"), library_losses, device, args.repeats)
    grid = make_method("aeai", alphas_per_pair=None)
    vectorised = time_steps(grid, library_losses, device, args.repeats)
    naive = time_steps(grid, naive_grid_losses, device, args.repeats)
    grid_fd = make_method("aeai", alphas_per_pair=None, smoothness="finite_difference")
    finite_difference = time_steps(grid_fd, library_losses, device, args.repeats)

    print(
        f"device {device}, threads {torch.get_num_threads()}, "
        f"{SIZE}x{SIZE} RGB, batch {BATCH}, M = {M}"
    )
    print(f"{'step':<52}{'ms':>9}{'ratio':>9}   target")
    rows = [
        ("plain AE", ae, 1.0, ""),
        (
            f"AEAI default (alphas_per_pair = {make_method('aeai').options.alphas_per_pair})",
            aeai,
            aeai / ae,
            "AEAI / AE <= 4",
        ),
        ("AEAI whole grid, vectorised (JVP)", vectorised, 1.0, ""),
        (
            "AEAI whole grid, naive loop over alpha (JVP)",
            naive,
            naive / vectorised,
            "naive / vectorised >= 3",
        ),
        (
            "AEAI whole grid, finite-difference smoothness",
            finite_difference,
            finite_difference / vectorised,
            "vs JVP",
        ),
    ]
    for label, seconds, ratio, target in rows:
        print(f"{label:<52}{seconds * 1000:>9.1f}{ratio:>9.2f}   {target}")


if __name__ == "__main__":
    main()
