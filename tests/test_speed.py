"""The training speed options of issue 22: CPU bf16 (detected), channels-last, compiled steps,
lazy R1 and learning-rate schedules; each does what it says, and bad values are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from aeai_lib import speed
from aeai_lib.checkpoint import load_checkpoint, save_checkpoint
from aeai_lib.cli import main
from aeai_lib.losses import r1_penalty
from aeai_lib.methods import ADVERSARY, make_method
from aeai_lib.speed import BF16_ENV_VAR, cpu_supports_bf16, lr_factor, plan_speed
from aeai_lib.training import TrainConfig, default_model_config, train

CPU = torch.device("cpu")


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the command loads data or trains before refusing its input."""

    def started(*_args, **_kwargs):
        raise AssertionError("work started before the bad input was refused")

    for name in ("load_dataset", "train"):
        monkeypatch.setattr(f"aeai_lib.cli.{name}", started, raising=False)


def _config(**changes) -> TrainConfig:
    fast = {"steps": 6, "batch_size": 8, "device": "cpu", "checkpoint_every": 0}
    return TrainConfig(**{**fast, "diagnostics_every": 0, **changes})


# ---------------------------------------------------------------- bf16, detected


def test_bf16_override_forces_unsupported_and_supported(monkeypatch) -> None:
    monkeypatch.setenv(BF16_ENV_VAR, "unsupported")
    assert cpu_supports_bf16() is False
    monkeypatch.setenv(BF16_ENV_VAR, "supported")
    assert cpu_supports_bf16() is True
    monkeypatch.setenv(BF16_ENV_VAR, "maybe")
    with pytest.raises(ValueError, match=BF16_ENV_VAR):
        cpu_supports_bf16()


@pytest.mark.parametrize("capability", ["avx2", "default"])
def test_bf16_undetected_under_a_lower_aten_capability(capability: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != BF16_ENV_VAR}
    code = "from aeai_lib.speed import cpu_supports_bf16; print(cpu_supports_bf16())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "ATEN_CPU_CAPABILITY": capability},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_bf16_asked_for_on_a_cpu_without_it_is_refused_before_training(
    monkeypatch, blob_dataset
) -> None:
    monkeypatch.setenv(BF16_ENV_VAR, "unsupported")
    with pytest.raises(ValueError, match=r"bf16.*allowed here: bf16=false, or bf16=none"):
        _config(bf16=True)
    # auto (None) trains in float32 there, and says so in the checkpoint's record
    plan = plan_speed(
        CPU, bf16=None, channels_last=False, compile=False, schedule="constant", warmup=0, steps=1
    )
    assert plan.bf16 is False
    with plan.autocast():
        assert torch.nn.Linear(3, 2)(torch.ones(1, 3)).dtype == torch.float32


def test_bf16_training_runs_the_networks_in_bf16_and_stays_close(
    monkeypatch, blob_dataset, tmp_path: Path
) -> None:
    monkeypatch.setenv(BF16_ENV_VAR, "supported")
    dtypes: list[torch.dtype] = []

    def record(steps_done, model) -> None:
        with plan.autocast():
            dtypes.append(model.encoder(blob_dataset.train_images[:2]).dtype)

    plan = plan_speed(
        CPU, bf16=True, channels_last=False, compile=False, schedule="constant", warmup=0, steps=1
    )
    out = tmp_path / "bf16.pt"
    bf16 = train(blob_dataset, make_method("ae"), _config(bf16=True), checkpoint=out,
                 progress=False, callback=record)  # fmt: skip
    fp32 = train(blob_dataset, make_method("ae"), _config(), progress=False)
    assert dtypes and set(dtypes) == {torch.bfloat16}
    assert load_checkpoint(out)["speed"]["bf16"] is True
    first, last = bf16.history["reconstruction"], fp32.history["reconstruction"]
    assert first != last  # other arithmetic ...
    assert first[-1] == pytest.approx(last[-1], rel=0.05)  # ... to the same place


# ---------------------------------------------------------------- channels-last


def test_channels_last_changes_the_layout_not_the_maths(blob_dataset) -> None:
    layouts: list[bool] = []

    def record(steps_done, model) -> None:
        conv = next(m for m in model.encoder.modules() if isinstance(m, torch.nn.Conv2d))
        layouts.append(conv.weight.is_contiguous(memory_format=torch.channels_last))

    method = make_method("aeai", lambda_adv=0.01)
    fast = train(blob_dataset, method, _config(channels_last=True), progress=False,
                 callback=record)  # fmt: skip
    plain = train(blob_dataset, make_method("aeai", lambda_adv=0.01), _config(), progress=False)
    assert layouts and all(layouts)
    for name, values in plain.history.items():  # the same step, rounded in another order
        assert fast.history[name][0] == pytest.approx(values[0], rel=1e-4, abs=1e-7), name
        assert fast.history[name] == pytest.approx(values, rel=5e-2, abs=1e-5), name


# ---------------------------------------------------------------- compiled steps


def test_compile_without_a_cxx_compiler_falls_back_to_eager(monkeypatch, blob_dataset) -> None:
    monkeypatch.setattr(speed, "cxx_compiler", lambda: None)
    compiled: list[bool] = []

    def record(steps_done, model) -> None:
        compiled.append(model.encoder._compiled_call_impl is not None)

    with pytest.warns(UserWarning, match="compile: no C.. compiler"):
        result = train(blob_dataset, make_method("ae"), _config(compile=True), progress=False,
                       callback=record)  # fmt: skip
    assert compiled and not any(compiled)
    assert (
        result.history["reconstruction"]
        == train(blob_dataset, make_method("ae"), _config(), progress=False).history[
            "reconstruction"
        ]
    )


def test_a_missing_compiler_is_detected() -> None:
    from torch._inductor import config, cpp_builder

    # config.patch, not monkeypatch: monkeypatch's undo deletes the option, which hides it.
    cpp_builder.cpp_compiler_search.cache_clear()
    try:
        with config.patch({"cpp.cxx": ("no-such-compiler-22",)}):
            assert speed.cxx_compiler() is None
    finally:
        cpp_builder.cpp_compiler_search.cache_clear()
    assert speed.cxx_compiler() is not None or shutil.which("g++") is None


@pytest.mark.slow
@pytest.mark.skipif(speed.cxx_compiler() is None, reason="no C++ compiler for inductor")
def test_compiled_steps_compile_the_networks_but_not_an_r1_discriminator(blob_dataset) -> None:
    seen: list[tuple[bool, bool]] = []

    def record(steps_done, model) -> None:
        seen.append((model.decoder._compiled_call_impl is not None,
                     model.auxiliary["discriminator"]._compiled_call_impl is not None))  # fmt: skip

    method = make_method("aeai", r1_weight=1.0)
    config = _config(steps=3, compile=True)
    compiled = train(blob_dataset, method, config, progress=False, callback=record)
    eager = train(blob_dataset, make_method("aeai", r1_weight=1.0), _config(steps=3),
                  progress=False)  # fmt: skip
    assert seen and all(seen_step == (True, False) for seen_step in seen)
    for name, values in eager.history.items():
        assert compiled.history[name][0] == pytest.approx(values[0], rel=1e-4, abs=1e-7), name
        assert compiled.history[name] == pytest.approx(values, rel=5e-2, abs=1e-5), name


# ---------------------------------------------------------------- lazy R1


def test_lazy_r1_applies_k_times_the_penalty_once_in_k_steps(blob_dataset) -> None:
    images = blob_dataset.train_images[:8]
    method = make_method("aeai", r1_weight=0.5, r1_every=4)
    torch.manual_seed(0)
    model = method.build_model(default_model_config(blob_dataset))
    expected = 0.5 * 4 * 0.5 * r1_penalty(model.auxiliary["discriminator"], images)
    for step, weighted in ((0, True), (1, False), (3, False), (4, True)):
        losses = method.losses(model, images, step, torch.Generator().manual_seed(1))
        extra = losses.objectives[ADVERSARY] - losses.terms["discriminator"]
        target = expected if weighted else torch.zeros(())
        assert extra.item() == pytest.approx(target.item(), rel=1e-4, abs=1e-7), step


def test_lazy_r1_interval_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match=r"r1_every.*>= 1"):
        make_method("aeai", r1_every=0)


# ---------------------------------------------------------------- learning-rate schedules


def _torch_lrs(scheduler_class, steps: int, **options) -> list[float]:
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = scheduler_class(optimizer, **options)
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_one_cycle_is_torchs_one_cycle() -> None:
    steps = 50
    ours = [lr_factor("one_cycle", step, steps, 0.3) for step in range(steps)]
    theirs = _torch_lrs(
        torch.optim.lr_scheduler.OneCycleLR,
        steps,
        max_lr=1.0,
        total_steps=steps,
        pct_start=0.3,
        cycle_momentum=False,
    )
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)


def test_cosine_warms_up_then_is_torchs_cosine_annealing() -> None:
    steps, warmup = 40, 0.25
    ours = [lr_factor("cosine", step, steps, warmup) for step in range(steps)]
    assert ours[:10] == pytest.approx([(s + 1) / 11 for s in range(10)])
    theirs = _torch_lrs(torch.optim.lr_scheduler.CosineAnnealingLR, 30, T_max=30, eta_min=0.0)
    assert ours[10:] == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    assert [lr_factor("constant", s, steps, warmup) for s in range(steps)] == [1.0] * steps


def test_a_schedule_sets_every_optimisers_rate(blob_dataset, tmp_path: Path) -> None:
    out = tmp_path / "cosine.pt"
    config = _config(lr_schedule="cosine", lr_warmup=0.0, lr=1e-3)
    train(blob_dataset, make_method("aeai"), config, checkpoint=out, progress=False)
    states = load_checkpoint(out)["optimizer_states"]
    factor = lr_factor("cosine", config.steps - 1, config.steps, 0.0)
    adversary_lr = make_method("aeai").default_adversary_lr
    assert states["autoencoder"]["param_groups"][0]["lr"] == pytest.approx(1e-3 * factor)
    assert states[ADVERSARY]["param_groups"][0]["lr"] == pytest.approx(adversary_lr * factor)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"lr_schedule": "step"}, r"lr_schedule.*constant.*cosine.*one_cycle"),
        ({"lr_warmup": 1.0}, r"lr_warmup.*\[0, 1\)"),
        ({"lr_warmup": -0.1}, r"lr_warmup"),
    ],
)
def test_bad_schedules_are_refused(changes: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainConfig(**changes)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--method", "ae", "--bf16"], ("bf16", "bf16=none")),
        (["--method", "ae", "--lr-schedule", "linear"], ("lr_schedule", "one_cycle")),
        (["--method", "aeai", "--r1-every", "0"], ("r1_every", ">= 1")),
    ],
)
def test_the_cli_refuses_bad_values_in_one_line_before_work(
    flags: list[str], named: tuple[str, str], monkeypatch, capsys, tmp_path, no_work
) -> None:
    monkeypatch.setenv(BF16_ENV_VAR, "unsupported")
    argv = ["train", "--dataset", "pole", "--device", "cpu", "--no-progress", *flags]
    assert main([*argv, "--out", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and all(word in err[0] for word in named), err


# ---------------------------------------------------------------- resuming


def test_resume_may_change_the_layout_but_not_the_schedule(blob_dataset, tmp_path: Path) -> None:
    out = tmp_path / "run.pt"
    train(blob_dataset, make_method("ae"), _config(steps=2), checkpoint=out, progress=False)
    train(blob_dataset, make_method("ae"), _config(steps=4, channels_last=True),
          checkpoint=out, resume=True, progress=False)  # fmt: skip
    assert load_checkpoint(out)["step"] == 4
    with pytest.raises(ValueError, match="trained with other settings .lr_schedule"):
        train(blob_dataset, make_method("ae"), _config(steps=6, lr_schedule="cosine"),
              checkpoint=out, resume=True, progress=False)  # fmt: skip


def test_a_checkpoint_from_before_the_options_resumes(blob_dataset, tmp_path: Path) -> None:
    out = tmp_path / "old.pt"
    train(blob_dataset, make_method("aeai"), _config(steps=2), checkpoint=out, progress=False)
    record = load_checkpoint(out)
    new_fields = ("channels_last", "compile", "lr_schedule", "lr_warmup")
    record["train_config"] = {
        k: v for k, v in asdict(_config(steps=2)).items() if k not in new_fields
    }
    del record["method"]["options"]["r1_every"], record["speed"]
    save_checkpoint(record, out)
    train(blob_dataset, make_method("aeai"), _config(steps=3), checkpoint=out, resume=True,
          progress=False)  # fmt: skip
    assert load_checkpoint(out)["step"] == 3
