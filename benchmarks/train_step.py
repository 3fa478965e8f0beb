"""Training-step benchmark: what an AEAI step costs against a plain AE step, and why (issue #15).

    python benchmarks/train_step.py [--device cpu|cuda] [--threads N] [--size 64] [--repeats 5]
        [--statistic median|min] [--bf16] [--compile] [--aeai-options JSON]
        [--sections steps,estimators,options] [--dry-run]

Every step timed is the library's own: :func:`aeai_lib.training.train` on the pole training
images (batch 32, i.e. 16 pairs; latent 256; M = 16; diagnostics off), timed between its step
callbacks, on CUDA after a synchronisation: the median (or with --statistic min, the
fastest: steadier on a busy machine) of --repeats steps after 2 warm-up steps. Three
sections, each printed side by side:

steps       plain AE; AEAI at its current defaults; AEAI with smoothness="sibling" and
            alphas_per_pair=1 (the likely new defaults, issue #10), alone, with R1 and with
            spectral normalisation; AEAI with --aeai-options if given. Each with its ratio to
            the AE step (target: <= 3 on 2 CPU threads at 64x64), its FLOPs per step (counted
            by torch.utils.flop_counter: matrix products and convolutions, forward and
            backward) and their rate against this machine's float32 matmul peak, measured here.
estimators  L_S by the JVP at the drawn points and the endpoints (current default), by the
            sibling finite difference (K = 1), and over the whole grid by finite differences
            and by JVP: each one's step time next to its accuracy: the RMS error of its
            d x / d a against the JVP at the same points, and the bias and the per-step spread
            of L_S against the exact L_S (JVP at all M + 1 grid points) over 16 draws of the
            alphas; on one batch of 16 pole pairs, with the weights of the shipped pole AE
            (data/checkpoints/pole_ae.pt; at sizes other than 64 a fresh model).
speed       issue 22's options for AE and AEAI at its defaults, alone and combined: bf16
            autocast (where native: CUDA, or a CPU with AVX512-BF16 or AMX), channels-last,
            torch.compile, lazy R1 (r1_every 4 and 16), each as a ratio to today's float32
            eager AE step, to its own base, and AEAI / AE with the same options (compile
            alone, with --speed-compile: each compiled row costs minutes of compiling);
            then pythae's
            trainer on our AE network (benchmarks/peer.py) as our AE / pythae.
options     channels-last memory format (changes no maths: kept if it wins); reported only,
            since they change the model or a loss: no normalisation in the decoder (the most a
            cheaper one could save), the JVP for the interpolants only, and the cycle term on
            the interpolants only (fewer re-encodings), the last two as the time of the network
            pass they would save.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from common import (
    LIKELY_AEAI,
    add_device_arguments,
    aeai_options,
    changing_the_model,
    check_device_arguments,
    compile_networks,
    describe,
    open_device,
    synchronize,
)
from peer import pythae_step_ms
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from aeai_lib.checkpoint import load_model
from aeai_lib.data.base import ImageDataset
from aeai_lib.data.registry import load_dataset
from aeai_lib.losses import decode_with_velocity
from aeai_lib.methods import ADVERSARY, make_method
from aeai_lib.methods.base import Method
from aeai_lib.models import AutoencoderModel
from aeai_lib.speed import cpu_supports_bf16
from aeai_lib.training import TrainConfig, default_model_config, train

BATCH, WARMUP, DRAWS = 32, 2, 16
SECTIONS = ("steps", "estimators", "options", "speed")
STATISTICS = {"median": statistics.median, "min": min}
SHIPPED_AE = Path(__file__).resolve().parents[1] / "data" / "checkpoints" / "pole_ae.pt"


def aeai(**options) -> Method:
    """AEAI with ``options``; the warm-up of L_A changes no cost and is left out, so that a
    few timed steps can run with any settings."""
    return make_method("aeai", **{**options, "adversarial_warmup": 0})


def label(options: dict) -> str:
    """e.g. "jvp, K=2" for AEAI options (the defaults filled in)."""
    o = make_method("aeai", **options).options
    k = "whole grid" if o.alphas_per_pair is None else f"K={o.alphas_per_pair}"
    return f"{o.smoothness}, {k}"


class WholeStep:
    """Stands in for FlopCounterMode's per-module tracker, whose hooks break R1's double
    backward ("A leaf node was passed to _will_engine_execute_node"); every FLOP then counts
    under "Global", which is all :meth:`FlopCounterMode.get_total_flops` reads."""

    parents = {"Global"}

    def __enter__(self) -> WholeStep:
        return self

    def __exit__(self, *args: object) -> None:
        return None


class Bench:
    """Times and counts training steps of methods on one dataset, device and precision."""

    def __init__(self, dataset: ImageDataset, device: torch.device, args: argparse.Namespace):
        self.dataset, self.device, self.args = dataset, device, args
        self.ms: dict[str, float | str] = {}

    def step_ms(
        self,
        key: str,
        method: Method,
        change: Callable[[AutoencoderModel], AutoencoderModel] | None = None,
        **train_options: object,
    ) -> float | str:
        """Milliseconds of the library's training step (--statistic; cached under ``key``), or
        the first line of the error that stopped it."""
        if key in self.ms:
            return self.ms[key]
        if self.args.compile:
            method = changing_the_model(method, compile_networks)
        if change is not None:
            method = changing_the_model(method, change)
        stamps: list[float] = []

        def stamp(steps_done: int, model: AutoencoderModel) -> None:
            synchronize(self.device)
            stamps.append(time.perf_counter())

        config = TrainConfig(
            steps=WARMUP + self.args.repeats,
            batch_size=BATCH,
            device=str(self.device),
            checkpoint_every=0,
            diagnostics_every=0,
            **{"bf16": self.args.bf16, **train_options},
        )
        try:
            train(self.dataset, method, config, progress=False, callback=stamp)
        except Exception as error:  # a row that cannot run is reported, the others go on
            self.ms[key] = "failed: " + (str(error).splitlines() or [type(error).__name__])[0]
            return self.ms[key]
        steps = [
            after - before
            for before, after in zip(stamps[WARMUP - 1 : -1], stamps[WARMUP:], strict=True)
        ]
        self.ms[key] = 1000 * STATISTICS[self.args.statistic](steps)
        return self.ms[key]

    def flops(self, method: Method) -> float:
        """FLOPs of one training step of ``method`` (float32, on the CPU: they do not depend
        on the device): the extra adversary updates, the losses and every backward pass."""
        torch.manual_seed(0)
        model = method.build_model(default_model_config(self.dataset))
        groups = method.parameter_groups(model)
        images = self.dataset.train_images[:BATCH]
        generator = torch.Generator().manual_seed(0)
        counter = FlopCounterMode(display=False)
        counter.mod_tracker = WholeStep()
        with counter:
            for _ in range(method.adversary_steps - 1):
                extra = method.adversary_losses(model, images, 0, generator)
                extra.objectives[ADVERSARY].backward(inputs=groups[ADVERSARY])
            losses = method.losses(model, images, 0, generator)
            names = list(losses.objectives)
            for position, name in enumerate(names):
                losses.objectives[name].backward(
                    inputs=groups[name], retain_graph=position < len(names) - 1
                )
        return float(counter.get_total_flops())


def matmul_peak(device: torch.device, dtype: torch.dtype = torch.float32) -> float:
    """FLOP/s of the fastest of 5 large square matrix products (8192 on CUDA, 2048 on CPU)."""
    n = 8192 if device.type == "cuda" else 2048
    a, b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
    best = float("inf")
    for repeat in range(7):
        synchronize(device)
        started = time.perf_counter()
        a @ b
        synchronize(device)
        if repeat >= 2:
            best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best


NAME = 58


def row(name: str, ms: float | str, base: float | str, cells: str = "", note: str = "") -> None:
    """One line: name, ms per step, its ratio to ``base``, more cells, a note; a row that
    failed shows its error in place of the note."""
    if isinstance(ms, str):
        print(f"{name:<{NAME}}{'-':>9}{'-':>7}{cells}   {ms[:90]}")
        return
    times = f"{ms / base:>7.2f}" if isinstance(base, float) else f"{'-':>7}"
    print(f"{name:<{NAME}}{ms:>9.1f}{times}{cells}   {note}".rstrip())


def steps_section(bench: Bench, extra: dict, peak: float) -> None:
    rows: list[tuple[str, str, Method, str]] = [
        ("plain AE", "ae", make_method("ae"), ""),
        (f"AEAI current defaults ({label({})})", "aeai", aeai(), "target: AEAI / AE <= 3"),
        (f"AEAI {label(LIKELY_AEAI)} (likely defaults)", "likely", aeai(**LIKELY_AEAI), ""),
        ("  + R1 (r1_weight = 1)", "likely+r1", aeai(**LIKELY_AEAI, r1_weight=1.0), ""),
        ("  + spectral norm", "likely+sn", aeai(**LIKELY_AEAI, spectral_norm=True), ""),
    ]
    if extra:
        rows.append((f"AEAI --aeai-options {extra}", "extra", aeai(**extra), ""))
    print(f"\n{'step':<{NAME}}{'ms':>9}{'x AE':>7}{'GFLOP':>8}{'GFLOP/s':>9}{'/peak':>7}")
    for name, key, method, target in rows:
        ms = bench.step_ms(key, method)
        flops = bench.flops(method)
        rate = flops / (ms / 1000) if isinstance(ms, float) else float("nan")
        cells = f"{flops / 1e9:>8.2f}{rate / 1e9:>9.1f}{rate / peak:>7.3f}"
        row(name, ms, bench.ms["ae"], cells, target)


def smoothness_values(model: AutoencoderModel, images: torch.Tensor, options: dict) -> list[float]:
    """L_S of ``images``' pairs under AEAI ``options``, once per draw of the alphas."""
    method = make_method("aeai", lambda_adv=0, lambda_cycle=0, lambda_smooth=1, **options)
    with torch.no_grad():
        return [
            method.losses(model, images, 0, torch.Generator().manual_seed(draw))
            .terms["smoothness"]
            .item()
            for draw in range(DRAWS)
        ]


def difference_errors(model: AutoencoderModel, images: torch.Tensor) -> torch.Tensor:
    """Relative error of the forward difference M (x((n+1)/M) - x(n/M)) against the exact
    derivative (JVP) at n / M, for n = 0..M-1: (M,), the RMS over the pairs' pixels."""
    m, n_pairs = make_method("aeai").options.grid_intervals, len(images) // 2
    with torch.no_grad():
        codes = model.encoder(images)
        sources, targets = codes[:n_pairs], codes[n_pairs : 2 * n_pairs]
        alphas = (torch.arange(m + 1, dtype=torch.float32) / m).view(1, -1, 1)
        path = ((1 - alphas) * sources.unsqueeze(1) + alphas * targets.unsqueeze(1)).flatten(0, 1)
        directions = (targets - sources).repeat_interleave(m + 1, dim=0)
        decoded, exact = decode_with_velocity(model.decoder, path, directions)
    decoded, exact = decoded.unflatten(0, (n_pairs, m + 1)), exact.unflatten(0, (n_pairs, m + 1))
    error = m * (decoded[:, 1:] - decoded[:, :-1]) - exact[:, :-1]
    dims = (0, 2, 3, 4)
    return (error.square().mean(dims) / exact[:, :-1].square().mean(dims)).sqrt()


def estimators_section(bench: Bench) -> None:
    torch.manual_seed(0)
    if bench.dataset.size == 64 and SHIPPED_AE.exists():
        model, weights = load_model(SHIPPED_AE, "cpu"), "the shipped pole AE"
    else:
        model = make_method("ae").build_model(default_model_config(bench.dataset)).eval()
        weights = "a freshly initialised model"
    order = torch.randperm(len(bench.dataset.train_idx), generator=torch.Generator().manual_seed(0))
    images = bench.dataset.train_images[order[:BATCH]]
    exact = smoothness_values(model, images, {"alphas_per_pair": None})[0]
    errors = difference_errors(model, images)
    print(f"\nsmoothness estimators, with {weights}'s weights on 16 pole pairs: d x / d a error")
    print("(RMS, against the JVP at the same points), and bias and spread of L_S against the")
    print(f"exact whole-grid L_S ({exact:.4g}) over {DRAWS} draws of the alphas")
    print(f"{'estimator':<{NAME}}{'ms':>9}{'x AE':>7}{'dx/da':>8}{'bias':>8}{'spread':>8}")
    rows = [
        (f"{label({})} (current default)", "aeai", {}),
        (f"{label(LIKELY_AEAI)} (likely default)", "likely", LIKELY_AEAI),
        (
            "finite_difference, whole grid",
            "fd-grid",
            {"alphas_per_pair": None, "smoothness": "finite_difference"},
        ),
        ("jvp, whole grid (exact: the reference)", "jvp-grid", {"alphas_per_pair": None}),
    ]
    for name, key, options in rows:
        ms = bench.step_ms(key, aeai(**options))
        values = smoothness_values(model, images, options)
        smoothness = make_method("aeai", **options).options.smoothness
        # the sibling differences sit at n = 1..M-2, the whole grid's at n = 0..M-1
        points = {"jvp": None, "sibling": errors[1:-1], "finite_difference": errors}[smoothness]
        error = 0.0 if points is None else points.square().mean().sqrt().item()
        bias = statistics.fmean(values) / exact - 1
        spread = statistics.pstdev(values) / exact
        row(name, ms, bench.ms["ae"], f"{error:>8.1%}{bias:>+8.1%}{spread:>8.1%}")


def channels_last(model: AutoencoderModel) -> AutoencoderModel:
    return model.to(memory_format=torch.channels_last)


def without_decoder_norm(model: AutoencoderModel) -> AutoencoderModel:
    features = model.decoder.features
    for index, layer in enumerate(features):
        if isinstance(layer, nn.GroupNorm):
            features[index] = nn.Identity()
    return model


def pass_ms(bench: Bench, forward: Callable[[], torch.Tensor]) -> float:
    """Milliseconds of ``forward()`` and the backward pass of its result (--statistic)."""
    times = []
    for repeat in range(WARMUP + bench.args.repeats):
        synchronize(bench.device)
        started = time.perf_counter()
        with torch.autocast("cuda", torch.bfloat16, enabled=bench.args.bf16):
            loss = forward()
        loss.backward()
        synchronize(bench.device)
        if repeat >= WARMUP:
            times.append(time.perf_counter() - started)
    return 1000 * STATISTICS[bench.args.statistic](times)


def saved_passes(bench: Bench) -> list[tuple[str, str, float]]:
    """What the two loss-changing options would save: (base key, option, ms)."""
    torch.manual_seed(0)
    model = make_method("ae").build_model(default_model_config(bench.dataset)).to(bench.device)
    n_pairs, dim = BATCH // 2, model.config.latent_dim
    k = make_method("aeai").options.alphas_per_pair or 1
    codes = torch.randn(BATCH + n_pairs * k, dim, device=bench.device)
    directions = torch.randn_like(codes)

    def jvp_all() -> torch.Tensor:
        images, velocities = decode_with_velocity(model.decoder, codes, directions)
        return images.square().mean() + velocities.square().mean()

    def jvp_path_only() -> torch.Tensor:
        images = model.decoder(codes[:BATCH])
        path, velocities = decode_with_velocity(model.decoder, codes[BATCH:], directions[BATCH:])
        return images.square().mean() + path.square().mean() + velocities.square().mean()

    interpolants = 2 * n_pairs * LIKELY_AEAI["alphas_per_pair"]
    images = bench.dataset.train_images[: 2 * n_pairs + interpolants].to(bench.device)
    images.requires_grad_(True)  # re-encoded images carry the decoder's graph
    all_ms = pass_ms(bench, lambda: model.encoder(images).square().mean())
    interpolants_ms = pass_ms(bench, lambda: model.encoder(images[2 * n_pairs :]).square().mean())
    jvp_saved = pass_ms(bench, jvp_all) - pass_ms(bench, jvp_path_only)
    return [
        ("aeai", "JVP for the interpolants only", jvp_saved),
        ("likely", "cycle term on the interpolants only", all_ms - interpolants_ms),
    ]


def options_section(bench: Bench) -> None:
    bases = {
        "ae": ("plain AE", make_method("ae")),
        "aeai": (f"AEAI {label({})}", aeai()),
        "likely": (f"AEAI {label(LIKELY_AEAI)}", aeai(**LIKELY_AEAI)),
    }
    changes = [
        ("ae", channels_last, "same maths"),
        ("aeai", channels_last, "same maths"),
        ("likely", channels_last, "same maths"),
        ("aeai", without_decoder_norm, "another model"),
        ("likely", without_decoder_norm, "another model"),
    ]
    print(f"\n{'option':<{NAME}}{'ms':>9}{'x AE':>7}{'x base':>8}")
    for base, change, maths in changes:
        base_name, base_method = bases[base]
        base_ms = bench.step_ms(base, base_method)
        method = type(base_method)(base_method.options)  # a fresh one to change
        ms = bench.step_ms(f"{base}+{change.__name__}", method, change)
        times = (
            f"{ms / base_ms:>8.2f}" if isinstance(ms, float) and isinstance(base_ms, float) else ""
        )
        name = f"{base_name}, {change.__name__.replace('_', ' ')}"
        row(name, ms, bench.ms["ae"], times, maths)
    for base, option, saved in saved_passes(bench):
        base_name, base_method = bases[base]
        base_ms = bench.step_ms(base, base_method)
        if not isinstance(base_ms, float):
            continue
        ms = base_ms - saved
        note = f"another loss (estimated: the step less the {saved:.1f} ms pass it saves)"
        row(f"{base_name}, {option}", ms, bench.ms["ae"], f"{ms / base_ms:>8.2f}", note)


def speed_section(bench: Bench) -> None:
    """Issue 22's options, alone and combined, against today's float32 eager steps."""
    print(f"\nspeed options (issue 22), each against today's float32 eager step; CPU bf16 "
          f"native here: {cpu_supports_bf16()}")  # fmt: skip
    print(f"{'run':<{NAME}}{'ms':>9}{'x AE':>7}{'x base':>8}{'AEAI/AE':>9}")
    bf16 = {"bf16": True} if bench.device.type == "cuda" or cpu_supports_bf16() else {}
    fast = {**bf16, "channels_last": True}
    combos = [
        ("float32 eager (base)", {}, {}),
        ("bf16 autocast", bf16, {}),
        ("channels_last", {"channels_last": True}, {}),
        ("lazy R1 (r1_every = 4)", {}, {"r1_every": 4}),
        ("lazy R1 (r1_every = 16)", {}, {"r1_every": 16}),
        ("bf16 + channels_last", fast, {}),
        ("bf16 + channels_last + lazy R1 (4)", fast, {"r1_every": 4}),
    ]
    if bench.args.speed_compile:
        combos.insert(3, ("torch.compile", {"compile": True}, {}))  # fmt: skip
    rows = [
        (f"{label_}, {name}", key, method_name, options, r1)
        for name, options, r1 in combos
        if bf16 or "bf16" not in name
        for key in [f"speed:{sorted(options.items())}"]
        for label_, method_name in (("AE", "ae"), ("AEAI defaults", "aeai"))
        if not (r1 and method_name == "ae")  # lazy R1 changes no AE step
    ]
    measured: dict[str, float | str] = {}
    for round_ in range(bench.args.rounds):  # rounds: a drifting load hits every row alike
        for name, key, method_name, options, r1 in rows:
            method = make_method("ae") if method_name == "ae" else aeai(**r1)
            ms = bench.step_ms(f"{key}:{method_name}:{r1}:{round_}", method, **options)
            best = measured.get(name)
            if not isinstance(best, float) or (isinstance(ms, float) and ms < best):
                measured[name] = ms
    bases = {"ae": measured[rows[0][0]], "aeai": measured[rows[1][0]]}
    ae_ms = {key: measured[name] for name, key, method_name, _, _ in rows if method_name == "ae"}
    for name, key, method_name, _, _ in rows:
        ms, base, same = measured[name], bases[method_name], ae_ms.get(key)
        floats = isinstance(ms, float) and isinstance(base, float)
        cells = f"{ms / base:>8.2f}" if floats else ""
        if method_name == "aeai" and isinstance(ms, float) and isinstance(same, float):
            cells += f"{ms / same:>9.2f}"
        row(name, ms, bases["ae"], cells)
    peer = pythae_step_ms(
        bench.dataset, BATCH, bench.args.repeats, STATISTICS[bench.args.statistic]
    )
    ours = bases["ae"]
    note = (f"our AE / pythae = {ours / peer:.2f} (float32 eager, same network, data, batch)"
            if isinstance(peer, float) and isinstance(ours, float) else "")  # fmt: skip
    row("pythae 0.1.2 BaseTrainer, our AE network", peer, ours, "", note)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_device_arguments(parser)
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per row")
    parser.add_argument(
        "--rounds", type=int, default=1, help="speed section: passes over its rows (best kept)"
    )
    parser.add_argument(
        "--speed-compile", action="store_true", help="torch.compile rows in the speed section"
    )
    parser.add_argument(
        "--statistic", choices=tuple(STATISTICS), default="median", help="of the timed steps"
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of {SECTIONS}"
    )
    args = parser.parse_args()
    extra = aeai_options(parser, args.aeai_options)
    sections = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown or not sections:
        parser.error(f"--sections takes some of {', '.join(SECTIONS)}; got {args.sections!r}")
    if args.repeats < 1 or args.rounds < 1:
        parser.error(f"--repeats and --rounds must be >= 1, got {args.repeats}, {args.rounds}")
    check_device_arguments(parser, args)
    if args.dry_run:
        print(f"train_step: would run {', '.join(sections)} on {args.device or 'the best device'}")
        return
    device = open_device(parser, args)
    dataset = load_dataset("pole", size=args.size)
    bench = Bench(dataset, device, args)
    print(f"train_step: {describe(args, device)}")
    print(
        f"pole {args.size}x{args.size} RGB, batch {BATCH} (16 pairs), latent 256, M = 16; "
        f"{args.statistic} of {args.repeats} steps"
    )
    peak = matmul_peak(device)
    print(f"peak float32 matmul: {peak / 1e9:.1f} GFLOP/s", end="")
    print(f"; bf16: {matmul_peak(device, torch.bfloat16) / 1e9:.1f} GFLOP/s" if args.bf16 else "")
    bench.step_ms("ae", make_method("ae"))
    if "steps" in sections:
        steps_section(bench, extra, peak)
    if "estimators" in sections:
        estimators_section(bench)
    if "options" in sections:
        options_section(bench)
    if "speed" in sections:
        speed_section(bench)
    print(f"\nend: {describe(args, device)}")


if __name__ == "__main__":
    main()
