"""Why an AE+A discriminator sits at chance: each player's step, measured on held-out images.

    .venv/bin/python benchmarks/adversarial_balance.py [--steps 300] [--size 32]

For each setting (lambda_A, the discriminator's learning rate) an AE+A model trains with
*sequential* updates, and around every update the discriminator's margin is measured on
held-out images: mean logit of 64 fresh real pole images minus mean logit of their
interpolants at fixed alphas. Per block of steps it prints the margin, D's held-out accuracy,
the discriminator loss, and how far one discriminator step and one autoencoder step moved the
margin. When the autoencoder's step undoes the discriminator's step as fast as it is taken,
D stays at chance without ever being beaten on the images: the two players' balance, not
the images, is what to fix (issue #10).
"""

from __future__ import annotations

import argparse
from statistics import fmean

import torch

from aeai_lib.data import load_dataset
from aeai_lib.data.validation import validation_images
from aeai_lib.methods import ADVERSARY, AUTOENCODER, make_method
from aeai_lib.training import default_model_config

SETTINGS = (  # (lambda_A, discriminator learning rate, R1 gamma)
    (0.01, 2e-4, 0.0),  # the old defaults: D at chance
    (1e-8, 2e-4, 0.0),  # no adversarial push: D learns
    (0.01, 1e-3, 0.0),  # a faster D against a strong push: D wins, reconstruction suffers
    (1e-3, 1e-3, 1.0),  # the new defaults
)


def margin(model, method, images: torch.Tensor, alphas: torch.Tensor) -> tuple[float, float]:
    """(mean logit real - mean logit interpolants, balanced accuracy) on held-out images."""
    discriminator = model.auxiliary["discriminator"]
    with torch.no_grad():
        codes = model.encoder(images)
        half = len(codes) // 2
        a = alphas.unsqueeze(-1)
        path = ((1 - a) * codes[:half].unsqueeze(1) + a * codes[half:].unsqueeze(1)).flatten(0, 1)
        real, fake = discriminator(images), discriminator(model.decoder(path))
    accuracy = 0.5 * ((real > 0).float().mean() + (fake < 0).float().mean())
    return (real.mean() - fake.mean()).item(), accuracy.item()


def run(lambda_adv: float, adversary_lr: float, r1: float, steps: int, size: int) -> list[str]:
    dataset = load_dataset("pole", size=size)
    held_out = validation_images(dataset, 64)
    method = make_method("ae", lambda_adv=lambda_adv, r1_weight=r1)
    torch.manual_seed(0)
    model = method.build_model(default_model_config(dataset))
    groups = method.parameter_groups(model)
    optimizers = method.make_optimizers(groups, 1e-3, adversary_lr)
    generator = torch.Generator().manual_seed(0)
    alphas = method.sample_alphas(len(held_out) // 2, torch.Generator().manual_seed(5))
    train_images = dataset.train_images
    records = []
    for step in range(steps):
        batch = train_images[torch.randint(len(train_images), (32,), generator=generator)]
        before = margin(model, method, held_out, alphas)
        for group in (ADVERSARY, AUTOENCODER):  # one player at a time
            losses = method.losses(model, batch, step, generator)
            optimizers[group].zero_grad(set_to_none=True)
            losses.objectives[group].backward(inputs=groups[group])
            optimizers[group].step()
            if group == ADVERSARY:
                after_d = margin(model, method, held_out, alphas)
        after_ae = margin(model, method, held_out, alphas)
        records.append((before, after_d, after_ae, losses.terms["discriminator"].item()))
    block = steps // 5
    lines = []
    for start in range(0, steps - block + 1, block):
        chunk = records[start : start + block]
        lines.append(
            f"{lambda_adv:<8g}{adversary_lr:<8g}{r1:<5g}{start:>5}-{start + block:<5}"
            f"{fmean([r[0][0] for r in chunk]):>+9.4f}{fmean([r[0][1] for r in chunk]):>8.3f}"
            f"{fmean([r[3] for r in chunk]):>8.3f}"
            f"{fmean([r[1][0] - r[0][0] for r in chunk]):>+11.5f}"
            f"{fmean([r[2][0] - r[1][0] for r in chunk]):>+11.5f}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--size", type=int, default=32, choices=(32, 64))
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"{'lam_A':<8}{'D lr':<8}{'R1':<5}{'steps':^11}{'margin':>9}{'D acc':>8}{'L_D':>8}"
        f"{'D step':>11}{'AE step':>11}"
    )
    for setting in SETTINGS:
        for line in run(*setting, steps=args.steps, size=args.size):
            print(line, flush=True)


if __name__ == "__main__":
    main()
